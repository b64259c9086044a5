package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "service-selects-nothing", Title: "Service selects no pod", Severity: api.SeverityLow, Category: api.CategoryExposure,
			Rationale:   "A Service whose selector matches no workload has no endpoints: a broken route at best, and a name that another workload can take over by carrying the labels at worst.",
			Remediation: "Fix spec.selector to match the intended pods' labels, or delete the Service. Judged only in namespaces whose workloads are in the scanned input.",
			Example:     "spec:\n  selector:\n    app: backend   # the labels the pods really carry",
		},
		Scope:       ScopeObject,
		Kinds:       []schema.GroupKind{kindService},
		CrossObject: true,
		Reads:       inNamespace(AnyKind),
		Check: func(in *Input) []Violation {
			s, ok := in.Object.Obj.(*corev1.Service)
			if !ok || len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName || len(in.Inventory.Workloads(s.Namespace)) == 0 {
				return nil
			}
			sel := labels.SelectorFromSet(s.Spec.Selector)
			if len(in.Inventory.PodsMatching(s.Namespace, sel)) > 0 {
				return nil
			}
			return []Violation{selectsNothing(in.Inventory, s.Namespace, "spec.selector", sel.String())}
		},
	})
}
