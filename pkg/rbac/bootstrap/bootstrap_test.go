package bootstrap

import (
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestBootstrapRolesResolveAndAggregate(t *testing.T) {
	crs := ClusterRoles()
	if len(crs) < 50 {
		t.Fatalf("only %d bootstrap ClusterRoles", len(crs))
	}
	p := rbac.NewPolicy(nil, crs, nil, []*rbacv1.ClusterRoleBinding{
		{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "dev"}}},
	})
	dev := rbac.User{Name: "dev"}
	// edit is an aggregate: its rules come from the aggregate-to-edit roles.
	if _, ok := p.Authorize(dev, rbac.Attributes{Verb: "create", Group: "apps", Resource: "deployments", Namespace: "x"}); !ok {
		t.Error("edit must allow creating deployments (aggregated from system:aggregate-to-edit)")
	}
	if _, ok := p.Authorize(dev, rbac.Attributes{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings", Namespace: "x"}); ok {
		t.Error("edit must not manage RBAC")
	}
	if rules, _ := p.ClusterRoleRules("cluster-admin"); len(rules) == 0 {
		t.Error("cluster-admin has no rules")
	}
}
