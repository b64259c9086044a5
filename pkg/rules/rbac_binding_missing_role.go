package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-binding-missing-role", Title: "Binding to a role that does not exist", Severity: api.SeverityMedium, Category: api.CategoryRBAC,
			Rationale:   "A binding to a missing role grants nothing today but is dormant: whoever next creates a role of that name decides what the subjects get, without touching the binding that a review would look at.",
			Remediation: "Delete the binding, or create the role it names with the permissions intended.",
			Example:     "kubectl delete rolebinding <name> -n <namespace>",
			References:  []api.Reference{nsa("Authentication and authorization"), mitreAcctManip},
		},
		Scope:       ScopeObject,
		Kinds:       bindingKinds,
		CrossObject: true,
		Input:       ClusterOnly,
		Reads:       inNamespace(kindRole, kindClusterRole),
		Check: func(in *Input) []Violation {
			ref, _, ok := bindingOf(in.Object)
			if !ok {
				return nil
			}
			ns, gk := in.Object.Namespace(), kindRole
			if ref.Kind == "ClusterRole" {
				ns, gk = "", kindClusterRole
			}
			if in.Inventory.Get(gk, ns, ref.Name) != nil {
				return nil
			}
			return []Violation{{Message: "roleRef " + ref.Kind + " " + quote(ref.Name) + " does not exist: the binding is dormant until someone creates it", Field: "roleRef"}}
		},
	})
}
