package rbac

import (
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// FromObjects builds a Policy from the RBAC objects among objs (manifests or
// a cluster's); other objects are ignored.
func FromObjects(objs []*inventory.Object) *Policy {
	var (
		roles []*rbacv1.Role
		crs   []*rbacv1.ClusterRole
		rbs   []*rbacv1.RoleBinding
		crbs  []*rbacv1.ClusterRoleBinding
	)
	for _, o := range objs {
		switch x := o.Obj.(type) {
		case *rbacv1.Role:
			roles = append(roles, x)
		case *rbacv1.ClusterRole:
			crs = append(crs, x)
		case *rbacv1.RoleBinding:
			rbs = append(rbs, x)
		case *rbacv1.ClusterRoleBinding:
			crbs = append(crbs, x)
		}
	}
	return NewPolicy(roles, crs, rbs, crbs)
}
