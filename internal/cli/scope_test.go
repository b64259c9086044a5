package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLiveScanNamespaceScope on the real API server: scan --live -n NS
// reports the cluster-scoped objects that grant into NS (a ClusterRole
// bound there, any ClusterRoleBinding) and leaves out a ClusterRole bound
// only in another namespace, counting it; without -n it is reported.
func TestLiveScanNamespaceScope(t *testing.T) {
	tc, client := sharedClient(t)
	ctx := context.Background()
	must := mustCreate(t)
	for _, ns := range []string{"scope-a", "scope-b"} {
		must(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	secrets := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}
	for _, name := range []string{"scope-reads-in-a", "scope-reads-in-b", "scope-reads-everywhere"} {
		must(client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: secrets}, metav1.CreateOptions{}))
	}
	user := []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "scope-user"}}
	for ns, role := range map[string]string{"scope-a": "scope-reads-in-a", "scope-b": "scope-reads-in-b"} {
		must(client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reads"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: user}, metav1.CreateOptions{}))
	}
	must(client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "scope-reads-everywhere"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "scope-reads-everywhere"}, Subjects: user}, metav1.CreateOptions{}))

	scanned := func(args ...string) (map[string]bool, int, []string) {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"scan", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json", "--fail-on", "none"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var doc struct {
			Summary  struct{ OutOfScope int }
			Findings []struct {
				Object struct{ Kind, Name string }
			}
			Skipped []string
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range doc.Findings {
			got[f.Object.Kind+"/"+f.Object.Name] = true
		}
		return got, doc.Summary.OutOfScope, doc.Skipped
	}
	all, _, _ := scanned()
	for _, k := range []string{"ClusterRole/scope-reads-in-a", "ClusterRole/scope-reads-in-b", "ClusterRole/scope-reads-everywhere"} {
		if !all[k] {
			t.Fatalf("without -n, no finding on %s", k)
		}
	}
	inA, out, skipped := scanned("-n", "scope-a")
	for k, want := range map[string]bool{"ClusterRole/scope-reads-in-a": true, "ClusterRole/scope-reads-everywhere": true,
		"ClusterRoleBinding/scope-reads-everywhere": all["ClusterRoleBinding/scope-reads-everywhere"], "ClusterRole/scope-reads-in-b": false} {
		if inA[k] != want {
			t.Errorf("-n scope-a: finding on %s = %v, want %v", k, inA[k], want)
		}
	}
	if out == 0 || !strings.Contains(strings.Join(skipped, "\n"), "left out by -n") {
		t.Errorf("-n scope-a: %d out of scope, skipped %q", out, skipped)
	}
}

// TestNamespaceCompletionFromTheCluster: -n completes the namespaces of
// the cluster the command's --kubeconfig reaches, by prefix, on every
// command that takes -n.
func TestNamespaceCompletionFromTheCluster(t *testing.T) {
	tc, client := sharedClient(t)
	ctx := context.Background()
	for _, ns := range []string{"compl-one", "compl-two"} {
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range [][]string{{"scan"}, {"netpol", "matrix"}, {"rbac", "who-can"}} {
		args := append(append([]string{"__complete"}, cmd...), "--kubeconfig", tc.Kubeconfig, "-n", "compl-")
		_, out, stderr := run(t, "", args...)
		if !strings.Contains(out, "compl-one\n") || !strings.Contains(out, "compl-two\n") || strings.Contains(out, "default\n") {
			t.Errorf("%v: %q (%s)", cmd, out, stderr)
		}
	}
	if _, out, _ := run(t, "", "__complete", "rbac", "can", "-o", ""); !strings.Contains(out, "mermaid") {
		t.Errorf("rbac -o: %q", out)
	}
}

// TestManifestScanNamespaceScope: -n on manifests reads as kubectl apply
// -n does. An object that names no namespace is in it, an object of
// another namespace is left out, and what is left out is counted and said.
func TestManifestScanNamespaceScope(t *testing.T) {
	dir := t.TempDir()
	pod := func(name, ns string) string {
		meta := "name: " + name
		if ns != "" {
			meta += ", namespace: " + ns
		}
		return "apiVersion: v1\nkind: Pod\nmetadata: {" + meta + "}\nspec: {containers: [{name: c, image: nginx}]}\n"
	}
	file := filepath.Join(dir, "pods.yaml")
	if err := os.WriteFile(file, []byte(pod("in-x", "x")+"---\n"+pod("in-y", "y")+"---\n"+pod("unnamed", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(args ...string) (map[string]bool, int, string) {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"scan", file, "-o", "json", "--fail-on", "none"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var doc struct {
			Summary  struct{ OutOfScope int }
			Findings []struct {
				Object struct{ Namespace, Name string }
			}
			Skipped []string
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range doc.Findings {
			got[f.Object.Namespace+"/"+f.Object.Name] = true
		}
		return got, doc.Summary.OutOfScope, strings.Join(doc.Skipped, "\n")
	}
	all, _, _ := scan()
	if !all["x/in-x"] || !all["y/in-y"] || !all["/unnamed"] {
		t.Fatalf("without -n: %v", all)
	}
	got, out, skipped := scan("-n", "x")
	if !got["x/in-x"] || !got["x/unnamed"] || got["y/in-y"] {
		t.Errorf("-n x: %v", got)
	}
	if out == 0 || !strings.Contains(skipped, "left out by -n") {
		t.Errorf("-n x left out %d findings, skipped %q: want them counted and said", out, skipped)
	}
}
