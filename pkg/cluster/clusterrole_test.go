package cluster_test

import (
	"context"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

const roleFile = "../../deploy/scanner/clusterrole.yaml"

func scannerRoles(t *testing.T) []*rbacv1.ClusterRole {
	t.Helper()
	res := manifest.NewLoader().Load([]string{roleFile})
	if res.Errors() > 0 {
		t.Fatal(res.Problems)
	}
	var out []*rbacv1.ClusterRole
	for _, o := range res.Objects {
		out = append(out, o.Obj.(*rbacv1.ClusterRole))
	}
	return out
}

// TestScannerRoleIsExactlyWhatTheScanLists: list only, on exactly the
// resources of cluster.Resources.
func TestScannerRoleIsExactlyWhatTheScanLists(t *testing.T) {
	var granted, want []string
	for _, r := range scannerRoles(t) {
		for _, pr := range r.Rules {
			if r.Name == "guardrail-scanner-kubelet" {
				if strings.Join(pr.Verbs, ",") != "get" || strings.Join(pr.Resources, ",") != "nodes/proxy" {
					t.Errorf("the kubelet role must grant only get nodes/proxy: %+v", pr)
				}
				continue
			}
			if strings.Join(pr.Verbs, ",") != "list" {
				t.Errorf("%s grants %v; the scan only lists", r.Name, pr.Verbs)
			}
			for _, g := range pr.APIGroups {
				for _, res := range pr.Resources {
					granted = append(granted, g+"/"+res)
				}
			}
		}
	}
	for _, r := range cluster.Resources {
		want = append(want, r.GVR.Group+"/"+r.GVR.Resource)
	}
	sort.Strings(granted)
	sort.Strings(want)
	if strings.Join(granted, " ") != strings.Join(want, " ") {
		t.Errorf("deploy/scanner/clusterrole.yaml grants\n  %v\nthe scan lists\n  %v", granted, want)
	}
}

// TestDeployPassesGuardrail: Guardrail's own manifests report nothing above info.
func TestDeployPassesGuardrail(t *testing.T) {
	res := manifest.NewLoader().Load([]string{"../../deploy"})
	if res.Errors() > 0 {
		t.Fatal(res.Problems)
	}
	for _, f := range engine.New().Scan(inventory.New(res.Objects)).Findings {
		if f.Severity > api.SeverityInfo {
			t.Errorf("%s %s: %s", f.RuleID, f.Object, f.Message)
		}
	}
}

// TestScannerRoleSufficesOnARealAPIServer: an identity bound to both roles
// scans with --include-secrets and meets no forbidden list.
func TestScannerRoleSufficesOnARealAPIServer(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	must(t, err)
	ctx := context.Background()
	for _, r := range scannerRoles(t) {
		r.ResourceVersion = ""
		_, err := client.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{})
		must(t, err)
		_, err = client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: r.Name},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: r.Name},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "guardrail-scanner"}}}, metav1.CreateOptions{})
		must(t, err)
	}
	dir := t.TempDir()
	kc, err := tc.WriteKubeconfig(dir+"/scanner.kubeconfig", "guardrail-scanner")
	must(t, err)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	must(t, err)
	res, err := cluster.Load(ctx, cfg, cluster.Options{IncludeSecrets: true})
	must(t, err)
	if res.Partial || len(res.Problems) > 0 {
		t.Fatalf("the shipped role is not enough: %v", res.Problems)
	}
	_ = os.Remove(kc)
}

var update = flag.Bool("update", false, "rewrite generated files")

// TestScannerRoleFileIsGenerated: deploy/scanner/clusterrole.yaml is what
// ScannerRole renders from the kinds table, so a kind the rules read is
// granted with it.
func TestScannerRoleFileIsGenerated(t *testing.T) {
	want := cluster.ScannerRole()
	if *update {
		if err := os.WriteFile(roleFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./pkg/cluster -run ScannerRoleFile -update", roleFile)
	}
}
