package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-resource-limits", Title: "Resource limits missing", Severity: api.SeverityMedium, Category: api.CategoryReliability,
			Rationale:   "Without limits one container can exhaust the node's memory, disk or CPU and take its neighbours down with it.",
			Remediation: "Set resources.limits for cpu, memory and ephemeral-storage.",
			Example:     "resources:\n  limits:\n    cpu: 500m\n    memory: 256Mi\n    ephemeral-storage: 1Gi",
			References:  []api.Reference{nsa("Network separation and hardening: resource policies"), mitreDoS},
		},
		Scope:                   ScopeWorkload,
		CrossObject:             true, // a LimitRange of the namespace may supply the defaults
		NeedsContainerResources: true,
		Reads:                   inNamespace(kindLimitRange),
		Check:                   func(in *Input) []Violation { return missingResources(in, "limits") },
	})
}
