package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "workload-default-namespace", Title: "Workload in the default namespace", Severity: api.SeverityLow, Category: api.CategoryHardening,
			Rationale:   "The default namespace has no owner, usually no NetworkPolicy and no Pod Security labels; workloads there share one security boundary with everything else dropped there.",
			Remediation: "Deploy into a dedicated namespace with its own NetworkPolicies, RBAC and Pod Security labels. Manifests without a namespace are not flagged, since the namespace is chosen at apply time.",
			Example:     "metadata:\n  namespace: shop",
			References:  []api.Reference{cis("5.7.4", "The default namespace should not be used"), nsa("Network separation and hardening: namespaces")},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			if in.Object.Namespace() == "default" {
				return []Violation{{Message: "metadata.namespace is \"default\"", Field: "metadata.namespace"}}
			}
			return nil
		},
	})
}
