package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "networkpolicy-selects-nothing", Title: "NetworkPolicy selects no pod", Severity: api.SeverityLow, Category: api.CategoryNetwork,
			Rationale:   "A policy whose podSelector matches no workload protects nothing: it is a paper policy, usually a typo in a label, and the pods it was meant for are open.",
			Remediation: "Fix spec.podSelector to match the intended pods' labels, or delete the policy. Judged only in namespaces whose workloads are in the scanned input.",
			Example:     "spec:\n  podSelector:\n    matchLabels:\n      app: backend   # the labels the pods really carry",
			References:  []api.Reference{nsa("Network separation and hardening: network policies")},
		},
		Scope:       ScopeObject,
		Kinds:       []schema.GroupKind{kindNetworkPolicy},
		CrossObject: true,
		Reads:       inNamespace(AnyKind),
		Check: func(in *Input) []Violation {
			np, ok := in.Object.Obj.(*networkingv1.NetworkPolicy)
			if !ok || len(in.Inventory.Workloads(np.Namespace)) == 0 {
				return nil
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil {
				return []Violation{{Message: "spec.podSelector is invalid: " + err.Error(), Field: "spec.podSelector"}}
			}
			if len(in.Inventory.PodsMatching(np.Namespace, sel)) > 0 {
				return nil
			}
			return []Violation{selectsNothing(in.Inventory, np.Namespace, "spec.podSelector", sel.String())}
		},
	})
}
