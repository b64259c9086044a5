package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-readiness-probe", Title: "Readiness probe missing", Severity: api.SeverityLow, Category: api.CategoryReliability,
			Rationale:   "Without a readiness probe a pod receives traffic before it can serve it and keeps receiving it when it cannot.",
			Remediation: "Add a readinessProbe that checks the container can serve requests.",
			Example:     "readinessProbe:\n  httpGet:\n    path: /ready\n    port: http",
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			return missingProbe(in, "readinessProbe", func(c *workload.Container) bool { return c.C.ReadinessProbe != nil })
		},
	})
}
