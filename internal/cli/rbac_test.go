package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRBACCommandsOnManifests(t *testing.T) {
	code, out, stderr := run(t, "", "rbac", "who-can", "create", "pods/exec", "-n", "shop", "-f", examples+"/shop")
	if code != 0 {
		t.Fatalf("who-can: exit %d %s", code, stderr)
	}
	for _, want := range []string{
		"ServiceAccount ci/deployer   cluster-wide    ClusterRoleBinding ci-deployer → ClusterRole cluster-admin → rules[0]",
		"ServiceAccount shop/backend  namespace shop  RoleBinding shop/backend → Role backend → rules[1]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("who-can output lacks %q:\n%s", want, out)
		}
	}
	// The built-in roles can be left out: the cluster-admin binding then grants nothing.
	_, out, _ = run(t, "", "rbac", "who-can", "create", "pods/exec", "-n", "shop", "-f", examples+"/shop", "--no-builtin-roles")
	if strings.Contains(out, "ci/deployer") {
		t.Errorf("--no-builtin-roles still resolves cluster-admin:\n%s", out)
	}
	code, out, _ = run(t, "", "rbac", "risks", "-f", examples+"/shop", "-o", "json")
	var doc struct {
		SchemaVersion string
		Subjects      []struct {
			Subject struct{ Kind, Name, Namespace string }
			Score   int
			Risks   []struct{ Risk struct{ ID string } }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.SchemaVersion != "guardrail.dev/rbac/v1" || len(doc.Subjects) != 2 || strings.Contains(out, `"Score"`) {
		t.Fatalf("risks: exit %d\n%s", code, out)
	}
	report := doc.Subjects
	if report[0].Subject.Name != "deployer" || report[0].Risks[0].Risk.ID != "cluster-admin" || report[1].Subject.Name != "backend" {
		t.Errorf("risk ranking = %+v", report)
	}
	code, out, _ = run(t, "", "rbac", "can", "serviceaccount:shop:backend", "-f", examples+"/shop")
	if code != 0 || !strings.Contains(out, "namespace shop  create          \"\"          pods/exec") {
		t.Errorf("can: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "rbac", "graph", "serviceaccount:shop:backend", "-f", examples+"/shop", "-o", "dot")
	if code != 0 || !strings.Contains(out, `"RoleBinding shop/backend" -> "Role backend";`) {
		t.Errorf("graph: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"rbac", "who-can", "get", "widgets", "-f", examples + "/shop"},
		{"rbac", "can", "alice", "-f", examples + "/shop"},
		{"rbac", "risks"},
	} {
		if code, _, _ := run(t, "", bad...); code != ExitError {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitError)
		}
	}
}

// TestRBACNamespaceScopesCanAndRisks: -n scopes `rbac can` and `rbac
// risks` to what applies in that namespace (granted there or
// cluster-wide); it used to be accepted and ignored.
func TestRBACNamespaceScopesCanAndRisks(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "rbac.yaml")
	os.WriteFile(f, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-secrets, namespace: a}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: x, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-secrets}
subjects: [{kind: ServiceAccount, name: x, namespace: a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: b}
rules:
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: x, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
subjects: [{kind: ServiceAccount, name: x, namespace: a}]
`), 0o644)
	_, all, _ := run(t, "", "rbac", "can", "serviceaccount:a:x", "-f", f)
	_, inB, _ := run(t, "", "rbac", "can", "serviceaccount:a:x", "-f", f, "-n", "b")
	if !strings.Contains(all, "secrets") || !strings.Contains(all, "pods/exec") || strings.Contains(inB, "secrets") || !strings.Contains(inB, "pods/exec") {
		t.Errorf("can:\n%s\n-n b:\n%s", all, inB)
	}
	_, risksA, _ := run(t, "", "rbac", "risks", "-f", f, "-n", "a")
	_, risksAll, _ := run(t, "", "rbac", "risks", "-f", f)
	if !strings.Contains(risksAll, "namespace b") || strings.Contains(risksA, "namespace b") || !strings.Contains(risksA, "namespace a") {
		t.Errorf("risks:\n%s\n-n a:\n%s", risksAll, risksA)
	}
}

// TestManifestWarningsAreShown: rbac and netpol print the loader's
// warnings on stderr, as scan and the live path do; they were dropped.
func TestManifestWarningsAreShown(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.yaml")
	os.WriteFile(f, []byte("a: 1\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: n}\n"), 0o644)
	for _, args := range [][]string{{"rbac", "risks", "-f", f}, {"netpol", "matrix", f}} {
		_, _, errs := run(t, "", args...)
		if !strings.Contains(errs, "warning:") || !strings.Contains(errs, "not a Kubernetes object") {
			t.Errorf("%v: stderr %q", args, errs)
		}
	}
}
