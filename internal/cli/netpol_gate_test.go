package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestNetpolGateSeesTheOutside: the pull request opens the frontend to
// 0.0.0.0/0 and to every namespace. diff reports both openings with the
// rule, and --fail-on-added gates on them; ignoring those peers passes.
func TestNetpolGateSeesTheOutside(t *testing.T) {
	main, pr := "testdata/netpol/main", "testdata/netpol/pr"
	code, out, errOut := run(t, "", "netpol", "diff", main, pr, "--fail-on-added", "--cni", "cilium")
	for _, want := range []string{
		"+ internet -> shop/Deployment/frontend 8080/TCP allow (was deny)\n    because ingress: allowed by shop/frontend-open ingress[0] (allow)",
		"+ namespace:* -> shop/Deployment/frontend 8080/TCP allow (was deny)",
		"2 connections added, 0 removed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if code != ExitFindings {
		t.Errorf("--fail-on-added exit %d, want %d", code, ExitFindings)
	}
	code, out, _ = run(t, "", "netpol", "diff", main, pr, "--fail-on-added", "--cni", "cilium", "--ignore-peer", "internet", "--ignore-peer", "namespace:*")
	if code != 0 || !strings.Contains(out, "0 connections added, 0 removed (2 changes to ignored peers not shown)") {
		t.Errorf("ignored peers: exit %d\n%s", code, out)
	}
	// Without a profile 0.0.0.0/0 may hold node addresses: an opening too.
	_, out, _ = run(t, "", "netpol", "diff", main, pr)
	if !strings.Contains(out, "+ nodes -> shop/Deployment/frontend 8080/TCP depends (was deny)") {
		t.Errorf("nodes without a profile:\n%s", out)
	}
	// A hypothetical namespace by labels, and a CIDR, named on the command line.
	_, out, _ = run(t, "", "netpol", "diff", main, pr, "--cni", "cilium", "--peer", "namespace:{team=payments}", "--peer", "cidr:198.51.100.0/24")
	for _, want := range []string{"+ namespace:{team=payments} -> shop/Deployment/frontend 8080/TCP allow", "+ cidr:198.51.100.0/24 -> shop/Deployment/frontend 8080/TCP allow"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
}

// TestNetpolExplainNamesTheUnknown: explain says which of SRC and DST it
// does not know, and answers for a peer.
func TestNetpolExplainNamesTheUnknown(t *testing.T) {
	pr := "testdata/netpol/pr"
	code, _, errOut := run(t, "", "netpol", "explain", "shop/Deployment/frontend", "shop/Deployment/nope", "8080", "-f", pr)
	if code != ExitError || !strings.Contains(errOut, `DST "shop/Deployment/nope" is not a workload of the input`) {
		t.Errorf("unknown DST: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "", "netpol", "explain", "frontend", "shop/Deployment/cart", "7070", "-f", pr)
	if code != ExitError || !strings.Contains(errOut, `SRC "frontend" is not a workload`) || !strings.Contains(errOut, "did you mean shop/Deployment/frontend?") {
		t.Errorf("unknown SRC: exit %d: %s", code, errOut)
	}
	code, out, _ := run(t, "", "netpol", "explain", "internet", "shop/Deployment/frontend", "8080", "-f", pr, "--cni", "cilium")
	if code != 0 || !strings.Contains(out, "internet -> shop/Deployment/frontend 8080: allow") || !strings.Contains(out, "allowed by shop/frontend-open ingress[0] (allow)") {
		t.Errorf("explain internet: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "cidr:10.0.0.0/8", "shop/Deployment/cart", "7070", "-f", pr)
	if code != 0 || !strings.Contains(out, ": deny") {
		t.Errorf("explain cidr: exit %d\n%s", code, out)
	}
}

// TestNetpolJSONGolden pins the JSON schema of matrix, explain and diff:
// schemaVersion, camelCase, string verdicts (run -update to refresh).
func TestNetpolJSONGolden(t *testing.T) {
	main, pr := "testdata/netpol/main", "testdata/netpol/pr"
	for name, args := range map[string][]string{
		"matrix":  {"netpol", "matrix", pr, "-o", "json", "--cni", "cilium"},
		"explain": {"netpol", "explain", "internet", "shop/Deployment/frontend", "8080", "-f", pr, "-o", "json"},
		"diff":    {"netpol", "diff", main, pr, "-o", "json"},
	} {
		t.Run(name, func(t *testing.T) {
			_, out, errOut := run(t, "", args...)
			if strings.Contains(out, `"verdict": 0`) || strings.Contains(out, `"Verdict"`) {
				t.Errorf("verdicts must be strings in camelCase fields:\n%s", out)
			}
			golden := filepath.Join("testdata", "netpol", "golden."+name+".json")
			if *update {
				os.WriteFile(golden, []byte(out), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -update)", err)
			}
			if out != string(want) {
				t.Errorf("%s JSON differs from %s (run -update and review):\n%s%s", name, golden, diff(string(want), out), errOut)
			}
		})
	}
}

// TestNetpolNodesFromCluster: the nodes peer takes its addresses from the
// live Node objects, so an ipBlock holding them opens to the nodes under
// calico (ipBlocks match by address) and not under cilium (never).
func TestNetpolNodesFromCluster(t *testing.T) {
	tc := testcluster.Dedicated(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, must := context.Background(), mustCreate(t)
	must(client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}, metav1.CreateOptions{}))
	node, err := client.CoreV1().Nodes().Get(ctx, "node-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.20.0.5"}, {Type: corev1.NodeHostName, Address: "node-a"}}
	must(client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}))
	ns := "netpol-nodes"
	seedAPIWebBatch(t, client, ns)
	must(client.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "from-nodes"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "172.20.0.0/16"}}}}}}},
		metav1.CreateOptions{}))
	for cni, want := range map[string]string{"calico": "allow", "cilium": ""} {
		code, out, errOut := run(t, "", "netpol", "matrix", "--live", "--kubeconfig", tc.Kubeconfig, "-n", ns, "--cni", cni, "-o", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cni, code, errOut)
		}
		got := ""
		for _, e := range matrixEdges(t, out) {
			if e.From == "nodes" && e.To == ns+"/Deployment/api" && e.Port == 8080 {
				got = e.Verdict.String()
			}
			if e.From == "internet" && e.To == ns+"/Deployment/api" {
				t.Errorf("%s: 172.20.0.0/16 is not the internet, yet %s", cni, e.Verdict)
			}
		}
		if got != want {
			t.Errorf("%s: nodes -> api 8080 is %q, want %q", cni, got, want)
		}
	}
	// The same policy from manifests, where no Node says where the nodes
	// are: under calico it depends, and --node-cidr settles it.
	f := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(f, []byte(netpolBase+"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-nodes, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress: [{from: [{ipBlock: {cidr: 172.20.0.0/16}}]}]\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{{nil, "depends"}, {[]string{"--node-cidr", "172.20.0.0/24"}, "allow"}, {[]string{"--node-cidr", "10.1.0.0/24"}, ""}} {
		_, out, errOut := run(t, "", append([]string{"netpol", "matrix", f, "--cni", "calico", "-o", "json"}, tc.args...)...)
		got := ""
		for _, e := range matrixEdges(t, out) {
			if e.From == "nodes" && e.To == "shop/Deployment/api" {
				got = e.Verdict.String()
			}
		}
		if got != tc.want {
			t.Errorf("%v: nodes -> api is %q, want %q (%s)", tc.args, got, tc.want, errOut)
		}
	}
}

// TestRBACJSONGolden pins the JSON schema of rbac who-can, can and risks:
// schemaVersion and camelCase fields (run -update to refresh).
func TestRBACJSONGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"who-can": {"rbac", "who-can", "get", "secrets", "-n", "shop", "-f", examples + "/shop", "-o", "json"},
		"can":     {"rbac", "can", "serviceaccount:shop:backend", "-f", examples + "/shop", "-o", "json"},
		"risks":   {"rbac", "risks", "-f", examples + "/shop", "-o", "json"},
	} {
		t.Run(name, func(t *testing.T) {
			_, out, errOut := run(t, "", args...)
			if !strings.Contains(out, `"schemaVersion": "guardrail.dev/rbac/v1"`) || strings.Contains(out, `"BindingKind"`) {
				t.Errorf("not the schema:\n%s%s", out, errOut)
			}
			golden := filepath.Join("testdata", "rbac", "golden."+name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, []byte(out), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -update)", err)
			}
			if out != string(want) {
				t.Errorf("%s JSON differs from %s (run -update and review):\n%s", name, golden, diff(string(want), out))
			}
		})
	}
}

// TestWalkFlagsOnEveryCommand: rbac and netpol read manifests with scan's
// walk rules: a symlink out of the directory is skipped with a warning
// unless --follow-symlinks, and --exclude leaves paths out.
func TestWalkFlagsOnEveryCommand(t *testing.T) {
	outside, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(outside, "np.yaml"), []byte(netpolBase), 0o644)
	if err := os.Symlink(filepath.Join(outside, "np.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(dir, "rbac.yaml"), []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects: [{kind: ServiceAccount, name: x, namespace: shop}]\n"), 0o644)
	_, out, errOut := run(t, "", "netpol", "matrix", dir)
	if strings.Contains(out, "shop/Deployment/api") || !strings.Contains(errOut, "symlink") {
		t.Errorf("netpol followed a symlink out of the directory:\n%s%s", out, errOut)
	}
	_, out, _ = run(t, "", "netpol", "matrix", dir, "--follow-symlinks")
	if !strings.Contains(out, "shop/Deployment/api") {
		t.Errorf("--follow-symlinks did not follow:\n%s", out)
	}
	_, out, _ = run(t, "", "rbac", "who-can", "delete", "pods", "-n", "shop", "-f", dir)
	if !strings.Contains(out, "shop/x") {
		t.Errorf("rbac who-can without --exclude:\n%s", out)
	}
	if code, out, errOut := run(t, "", "rbac", "who-can", "delete", "pods", "-n", "shop", "-f", dir, "--exclude", "rbac.yaml"); strings.Contains(out, "shop/x") {
		t.Errorf("rbac --exclude did not leave rbac.yaml out: exit %d\n%s%s", code, out, errOut)
	}
}
