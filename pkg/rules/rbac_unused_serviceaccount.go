package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-unused-serviceaccount", Title: "Service account holds bindings but runs no pod", Severity: api.SeverityLow, Category: api.CategoryRBAC,
			Rationale:   "Permissions of a service account no workload uses serve no one but an attacker who mints its token or creates a pod with it: standing privilege to cut off.",
			Remediation: "Delete the bindings (and the service account) if nothing needs them; otherwise document the out-of-cluster user.",
			Example:     "kubectl delete rolebinding <binding> -n <namespace>",
			References:  []api.Reference{cis("5.1.5", "Ensure that default service accounts are not actively used"), mitreValidAcct},
		},
		Scope:       ScopeObject,
		Kinds:       []schema.GroupKind{kindServiceAccount},
		CrossObject: true,
		Input:       ClusterOnly,
		Reads:       everywhere(kindRoleBinding, kindClusterRoleBinding, WorkloadKind),
		Check: func(in *Input) []Violation {
			key := in.Object.Namespace() + "/" + in.Object.Name()
			refs := serviceAccountBindings(in.Inventory)[key]
			if len(refs) == 0 || serviceAccountsInUse(in.Inventory)[key] {
				return nil
			}
			names := make([]string, 0, len(refs))
			for _, r := range refs {
				names = append(names, r.binding.GVK.Kind+" "+r.binding.Name())
			}
			sortStrings(names)
			return []Violation{{Message: "bound by " + joinList(names) + " but no workload runs as it", Field: "metadata.name"}}
		},
	})
}

// serviceAccountsInUse indexes the service accounts workloads run as.
func serviceAccountsInUse(inv *inventory.Inventory) map[string]bool {
	return inv.Memo("rules/sa-in-use", func(inv *inventory.Inventory) any {
		out := map[string]bool{}
		for _, ns := range inv.Namespaces() {
			for _, o := range inv.Workloads(ns) {
				out[ns+"/"+serviceAccountName(o.Workload.Spec)] = true
			}
		}
		return out
	}).(map[string]bool)
}
