package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestImpersonationWithKubectlFlags: kubectl's --as works on scan --live
// (cli-runtime's flags) on a real API server. A user bound to the shipped
// scanner ClusterRole gets a complete scan; a user with no role gets the
// partial-result exit code, not a silent pass.
func TestImpersonationWithKubectlFlags(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../deploy/scanner/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal([]byte(strings.Split(string(data), "\n---\n")[0]), &role); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	role.Name = "guardrail-scanner-as-test"
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "scanner-bot"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "--as", "scanner-bot", "--fail-on", "none", "-o", "json")
	if code != 0 || strings.Contains(out, `"partial": true`) {
		t.Errorf("--as a user with the shipped role: exit %d\n%s\n%s", code, errs, out)
	}
	code, _, errs = run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "--as", "nobody", "--as-group", "nobodies", "--fail-on", "none")
	if code != ExitPartial {
		t.Errorf("--as a user without a role: exit %d, want %d (partial)\n%s", code, ExitPartial, errs)
	}
}
