// Package bootstrap holds the ClusterRoles every kube-apiserver creates at
// start-up (cluster-admin, admin, edit, view, system:*), snapshotted from a
// real API server, so that RBAC in manifests that binds them can be judged
// without a cluster.
package bootstrap

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	rbacv1 "k8s.io/api/rbac/v1"
)

//go:embed clusterroles.yaml
var clusterRolesYAML string

var (
	roles    []*rbacv1.ClusterRole
	loadOnce sync.Once
)

// ClusterRoles returns the bootstrap ClusterRoles. Callers must not modify them.
func ClusterRoles() []*rbacv1.ClusterRole {
	loadOnce.Do(func() {
		res := manifest.NewLoader(manifest.WithStdin(strings.NewReader(clusterRolesYAML))).Load([]string{"-"})
		for _, o := range res.Objects {
			if r, ok := o.Obj.(*rbacv1.ClusterRole); ok {
				roles = append(roles, r)
			}
		}
	})
	return roles
}
