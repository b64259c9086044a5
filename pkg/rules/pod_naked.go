package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "pod-naked", Title: "Pod without a controller", Severity: api.SeverityLow, Category: api.CategoryHardening,
			Rationale:   "A bare Pod is not recreated when its node fails and escapes the review that controller templates get; bare pods are also how attackers deploy one-off tools.",
			Remediation: "Run the pod from a Deployment, StatefulSet, DaemonSet or Job.",
			Example:     "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec: {}   # the former Pod's spec",
			References:  []api.Reference{mitreDeploy},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			if !in.Workload.Naked {
				return nil
			}
			for _, ref := range in.Object.Meta.GetOwnerReferences() {
				if ref.Controller != nil && *ref.Controller {
					return nil
				}
			}
			return []Violation{{Message: "the Pod has no controller owner", Field: "metadata"}}
		},
	})
}
