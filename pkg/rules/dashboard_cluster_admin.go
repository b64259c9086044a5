package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "dashboard-cluster-admin", Title: "Kubernetes Dashboard runs as cluster-admin", Severity: api.SeverityCritical, Category: api.CategoryRBAC,
			Rationale:   "Whoever reaches a Dashboard whose service account is bound to cluster-admin controls the cluster, whatever their own permissions.",
			Remediation: "Bind the Dashboard's service account to a minimal role (the upstream manifests' kubernetes-dashboard role) and have users log in with their own tokens.",
			Example:     "roleRef:\n  kind: Role\n  name: kubernetes-dashboard",
			References:  []api.Reference{cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), mitreValidAcct},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       everywhere(kindRoleBinding, kindClusterRoleBinding),
		Check: func(in *Input) []Violation {
			if !strings.Contains(in.Object.Name(), "dashboard") {
				return nil
			}
			sa := in.Object.Namespace() + "/" + serviceAccountName(in.Workload.Spec)
			for _, ref := range serviceAccountBindings(in.Inventory)[sa] {
				if r, _, _ := bindingOf(ref.binding); r.Kind == "ClusterRole" && r.Name == "cluster-admin" {
					return []Violation{{Message: "runs as ServiceAccount " + sa + ", bound to cluster-admin by " + ref.binding.GVK.Kind + " " + ref.binding.Name(),
						Field: in.Workload.Field("serviceAccountName")}}
				}
			}
			return nil
		},
	})
}
