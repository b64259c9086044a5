package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	psaapi "k8s.io/pod-security-admission/api"
)

// levelRank orders Pod Security levels from loosest to strictest.
var levelRank = map[psaapi.Level]int{psaapi.LevelPrivileged: 0, psaapi.LevelBaseline: 1, psaapi.LevelRestricted: 2}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-pss-violated", Title: "Workloads violate the namespace's enforced Pod Security level", Severity: api.SeverityMedium, Category: api.CategoryPodSecurity,
			Rationale:   "Pod Security admission checks pods when they are created: pods admitted before the label was set, or by an exemption, keep running in violation, and their next rollout will be rejected.",
			Remediation: "Fix the listed workloads to meet the namespace's level (guardrail scan names the failing checks), or move them to a namespace whose level they are meant to have.",
			Example:     "# fix the workload, e.g.\nsecurityContext:\n  runAsNonRoot: true\n  allowPrivilegeEscalation: false",
			References:  psaRefs,
		},
		Scope:                 ScopeNamespace,
		NeedsPodSecurityLevel: true,
		Reads:                 inNamespace(WorkloadKind, kindNamespace),
		Check: func(in *Input) []Violation {
			if in.Object == nil {
				return nil
			}
			enforced, ok := enforcedLevel(in.Object)
			if !ok {
				return nil
			}
			var bad []string
			for _, o := range in.Inventory.Workloads(in.Namespace) {
				if levelRank[o.Workload.PSSLevel()] < levelRank[enforced] {
					bad = append(bad, o.GVK.Kind+"/"+o.Name())
				}
			}
			if len(bad) == 0 {
				return nil
			}
			sortStrings(bad)
			return []Violation{{Message: "enforces " + string(enforced) + " but " + itoa(len(bad)) + " workloads do not meet it: " + joinList(bad) +
				" (new pods would be rejected; running ones predate the label or are exempt)", Field: "metadata.labels[" + psaEnforce + "]", Key: "ns"}}
		},
	})
}

// enforcedLevel reads a Namespace's pod-security.kubernetes.io/enforce label.
func enforcedLevel(ns *inventory.Object) (psaapi.Level, bool) {
	v, ok := ns.Meta.GetLabels()[psaEnforce]
	if !ok {
		return "", false
	}
	l, err := psaapi.ParseLevel(v)
	return l, err == nil
}
