package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-liveness-probe", Title: "Liveness probe missing", Severity: api.SeverityLow, Category: api.CategoryReliability,
			Rationale:   "Without a liveness probe a hung process keeps its pod Running and is never restarted.",
			Remediation: "Add a livenessProbe that fails only when the process cannot recover by itself.",
			Example:     "livenessProbe:\n  httpGet:\n    path: /healthz\n    port: http",
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			return missingProbe(in, "livenessProbe", func(c *workload.Container) bool { return c.C.LivenessProbe != nil })
		},
	})
}

// missingProbe reports long-running containers (regular ones and sidecars
// of workloads that do not run to completion) without the named probe.
func missingProbe(in *Input, probe string, has func(*workload.Container) bool) []Violation {
	if in.Workload.Batch {
		return nil
	}
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		if (c.Type == workload.Regular || c.Sidecar()) && !has(c) {
			out = append(out, containerViolation(c, probe, probe, "no %s", probe))
		}
	}
	return out
}
