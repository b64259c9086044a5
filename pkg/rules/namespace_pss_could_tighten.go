package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	psaapi "k8s.io/pod-security-admission/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-pss-could-tighten", Title: "Pod Security enforcement looser than the workloads need", Severity: api.SeverityLow, Category: api.CategoryPodSecurity,
			Rationale:   "Every workload of the namespace already meets a stricter Pod Security level than the one enforced: the looser level protects nothing the workloads use, but would admit a privileged pod tomorrow.",
			Remediation: "Raise pod-security.kubernetes.io/enforce to the level the workloads meet.",
			Example:     "metadata:\n  labels:\n    pod-security.kubernetes.io/enforce: restricted",
			References:  psaRefs,
		},
		Scope:                 ScopeNamespace,
		NeedsPodSecurityLevel: true,
		Reads:                 inNamespace(WorkloadKind, kindNamespace),
		Check: func(in *Input) []Violation {
			if in.Object == nil {
				return nil
			}
			workloads := in.Inventory.Workloads(in.Namespace)
			if len(workloads) == 0 {
				return nil
			}
			met := psaapi.LevelRestricted
			for _, o := range workloads {
				if l := o.Workload.PSSLevel(); levelRank[l] < levelRank[met] {
					met = l
				}
			}
			enforced, ok := enforcedLevel(in.Object)
			if !ok {
				enforced = psaapi.LevelPrivileged
			}
			if levelRank[met] <= levelRank[enforced] {
				return nil
			}
			return []Violation{{Message: "all " + itoa(len(workloads)) + " workloads meet " + string(met) + " but the namespace enforces " + string(enforced) +
				": enforce " + string(met), Field: "metadata.labels", Key: "ns"}}
		},
	})
}
