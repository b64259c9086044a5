package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// jsonReport is the part of the JSON report these tests read.
type jsonReport struct {
	Findings []struct {
		RuleID   string
		Severity string
		Platform bool
		Object   struct{ Kind, Namespace, Name string }
	}
	Summary struct {
		High, Critical, Medium, Platform int
		Score                            *int
		Partial                          bool
	}
}

func decodeReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

// TestEmptyRealClusterScansClean: a control plane with the controllers a
// real cluster runs (service accounts, tokens, kube-root-ca.crt in every
// namespace, aggregated roles) and three empty namespaces gives no finding
// at or above high, and none at or above medium on Kubernetes' own
// objects. Before the platform was recognised this setup gave 238 high
// findings (224 of them secret-in-configmap on kube-root-ca.crt).
func TestEmptyRealClusterScansClean(t *testing.T) {
	tc := testcluster.Dedicated(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names := []string{"team-a", "team-b", "team-c"}
	for _, ns := range names {
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the controllers: the CA bundle and the default service
	// account in every namespace, the aggregated admin role.
	deadline := time.Now().Add(60 * time.Second)
	for _, ns := range append(names, "default", "kube-system", "kube-public", "kube-node-lease") {
		for {
			_, errCM := client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
			_, errSA := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			if errCM == nil && errSA == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("controllers did not populate namespace %s: %v %v\n%s", ns, errCM, errSA, tc.Logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	code, out, stderr := run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json")
	rep := decodeReport(t, out)
	for _, f := range rep.Findings {
		t.Logf("reported: %s %s %s/%s/%s", f.Severity, f.RuleID, f.Object.Kind, f.Object.Namespace, f.Object.Name)
		sev := f.Severity
		if sev == "high" || sev == "critical" {
			t.Errorf("empty cluster: %s %s on %s/%s/%s", sev, f.RuleID, f.Object.Kind, f.Object.Namespace, f.Object.Name)
		}
	}
	if code != ExitOK {
		t.Errorf("empty cluster: exit %d, want 0; stderr %s", code, stderr)
	}
	// The same scan with --include-system shows what was left out, marked,
	// and none of it may be counted or gate.
	_, all, _ := run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json", "--include-system")
	full := decodeReport(t, all)
	var medium int
	for _, f := range full.Findings {
		if !f.Platform && (f.Severity == "medium" || f.Severity == "high" || f.Severity == "critical") && ownObject(f.Object.Kind, f.Object.Namespace, f.Object.Name) {
			medium++
			t.Errorf("Kubernetes' own object judged as the user's: %s %s %s/%s/%s", f.Severity, f.RuleID, f.Object.Kind, f.Object.Namespace, f.Object.Name)
		}
	}
	if full.Summary.High != rep.Summary.High || full.Summary.Critical != rep.Summary.Critical {
		t.Errorf("--include-system changed the counts: %+v vs %+v", full.Summary, rep.Summary)
	}
	t.Logf("empty cluster: %d findings reported (%d high, %d medium), %d platform findings left out; score %v",
		len(rep.Findings), rep.Summary.High, rep.Summary.Medium, rep.Summary.Platform, scoreText(rep.Summary.Score))
	if rep.Summary.Platform == 0 {
		t.Error("no platform finding counted: the test no longer sees Kubernetes' own objects (is the controller manager running?)")
	}

	// rbac risks ranks what users granted; the controllers of the bootstrap
	// policy (generic-garbage-collector scored 285 before) are apart.
	code, out, stderr = run(t, "", "rbac", "risks", "--live", "--kubeconfig", tc.Kubeconfig)
	if code != 0 || !strings.HasPrefix(out, "No subject that users granted holds a risky capability.") || !strings.Contains(out, "--include-system lists them") {
		t.Errorf("rbac risks on an empty cluster: exit %d %s\n%s", code, stderr, out)
	}
	if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "alice"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, out, _ = run(t, "", "rbac", "risks", "--live", "--kubeconfig", tc.Kubeconfig, "--include-system")
	if !strings.HasPrefix(out, "User alice") || !strings.Contains(out, "Kubernetes' own subjects") || !strings.Contains(out, "generic-garbage-collector") {
		t.Errorf("rbac risks: the user's cluster-admin grant must rank first, platform subjects apart:\n%s", out)
	}
}

// ownObject reports the objects every cluster has before anything is deployed.
func ownObject(kind, ns, name string) bool {
	switch {
	case kind == "ConfigMap" && name == "kube-root-ca.crt",
		ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease",
		strings.HasPrefix(name, "system:"),
		kind == "Service" && ns == "default" && name == "kubernetes":
		return true
	}
	return false
}

func scoreText(s *int) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprint(*s)
}

// TestReadNothingNeverPasses: an identity that may list nothing gets the
// partial-result exit code, even with --allow-partial, since no workload
// was judged; and an empty input is not a clean scan either.
func TestReadNothingNeverPasses(t *testing.T) {
	tc := testcluster.Shared(t)
	kc, err := tc.WriteKubeconfig(filepath.Join(t.TempDir(), "nobody.kubeconfig"), "nobody")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"scan", "--live", "--kubeconfig", kc},
		{"scan", "--live", "--kubeconfig", kc, "--allow-partial"},
		{"scan", "--live", "--kubeconfig", kc, "-o", "json"},
	} {
		code, out, stderr := run(t, "", args...)
		if code != ExitPartial || !strings.Contains(stderr, "no workload kind could be read") {
			t.Errorf("%v: exit %d, want %d; stderr %s", args, code, ExitPartial, stderr)
		}
		if strings.Contains(out, "100/100") || strings.Contains(out, `"score": 100`) {
			t.Errorf("%v: a scan that read nothing must not score 100:\n%s", args, out)
		}
	}
}

// TestNodeHygieneOnTheCluster: a node whose kubelet trails the API server
// by four minors and whose containerd misses the runc escape fix is
// reported from its live status.nodeInfo.
func TestNodeHygieneOnTheCluster(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "old-node"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}) })
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v1.33.5", ContainerRuntimeVersion: "containerd://1.7.12"}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json")
	got := map[string]bool{}
	for _, f := range decodeReport(t, out).Findings {
		if f.Object.Kind == "Node" && f.Object.Name == "old-node" {
			got[f.RuleID] = true
		}
	}
	if !got["node-container-runtime"] || !got["node-kubelet-version"] {
		t.Errorf("node hygiene findings on old-node: %v; stderr %s", got, stderr)
	}
}
