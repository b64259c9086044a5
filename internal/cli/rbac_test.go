package cli

import (
	"encoding/json"
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
	var report []struct {
		Subject struct{ Kind, Name, Namespace string }
		Score   int
		Risks   []struct{ Risk struct{ ID string } }
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil || len(report) != 2 {
		t.Fatalf("risks: exit %d\n%s", code, out)
	}
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
