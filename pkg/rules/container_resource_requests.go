package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	corev1 "k8s.io/api/core/v1"
)

var resourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-resource-requests", Title: "Resource requests missing", Severity: api.SeverityMedium, Category: api.CategoryReliability,
			Rationale:   "Without requests the scheduler cannot place the pod sensibly and the pod is the first evicted under pressure (BestEffort).",
			Remediation: "Set resources.requests for cpu, memory and ephemeral-storage from observed usage.",
			Example:     "resources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\n    ephemeral-storage: 100Mi",
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation { return missingResources(in, "requests") },
	})
}

// missingResources reports, per container, the resources missing from
// requests or limits. Ephemeral containers cannot set resources.
func missingResources(in *Input, kind string) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		if c.Type == workload.Ephemeral {
			continue
		}
		list := c.C.Resources.Requests
		if kind == "limits" {
			list = c.C.Resources.Limits
		}
		var missing []string
		for _, r := range resourceNames {
			if _, ok := list[r]; !ok {
				missing = append(missing, string(r))
			}
		}
		if len(missing) > 0 {
			out = append(out, containerViolation(c, "resources."+kind, kind, "resources.%s has no %s", kind, strings.Join(missing, ", ")))
		}
	}
	return out
}
