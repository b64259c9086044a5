package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "pod-share-process-namespace", Title: "Process namespace shared between containers", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "With shareProcessNamespace every container sees and can signal the others' processes and read their /proc/<pid>/root, including a sidecar's secrets.",
			Remediation: "Remove shareProcessNamespace or set it to false; use an ephemeral debug container when you need to inspect processes.",
			Example:     "spec:\n  shareProcessNamespace: false",
			References:  []api.Reference{mitreDiscovery},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			if s := in.Workload.Spec.ShareProcessNamespace; s != nil && *s {
				return []Violation{{Message: "shareProcessNamespace is true", Field: in.Workload.Field("shareProcessNamespace")}}
			}
			return nil
		},
	})
}
