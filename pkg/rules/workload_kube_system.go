package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "workload-kube-system", Title: "Workload in kube-system", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "kube-system holds the control plane's own credentials and is often exempt from Pod Security and admission policies; an application there sits next to the most privileged service accounts.",
			Remediation: "Move application workloads to their own namespace; keep kube-system for cluster components and except those explicitly.",
			Example:     "metadata:\n  namespace: shop",
			References:  []api.Reference{nsa("Network separation and hardening: namespaces"), mitreValidAcct},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			if in.Object.Namespace() == "kube-system" {
				return []Violation{{Message: "metadata.namespace is \"kube-system\"", Field: "metadata.namespace"}}
			}
			return nil
		},
	})
}
