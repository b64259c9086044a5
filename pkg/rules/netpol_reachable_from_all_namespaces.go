package rules

import (
	"fmt"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "netpol-reachable-from-all-namespaces", Title: "Workload reachable from every namespace", Severity: api.SeverityMedium, Category: api.CategoryNetwork,
			Rationale:   "An ingress rule with an empty or absent from (or namespaceSelector: {}) admits every pod of every namespace, including namespaces created tomorrow: the policy isolates the workload in name only.",
			Remediation: "Name the clients: a namespaceSelector on the client namespace's kubernetes.io/metadata.name label together with a podSelector on the client pods.",
			Example:     "ingress:\n- from:\n  - namespaceSelector:\n      matchLabels:\n        kubernetes.io/metadata.name: checkout\n    podSelector:\n      matchLabels:\n        app: checkout",
			References:  []api.Reference{nsa("Network separation and hardening: network policies"), mitre("T1210", "Exploitation of Remote Services")},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(everywhere(kindNetworkPolicy, kindNamespace, kindNode), inNamespace(kindService)),
		Check: func(in *Input) []Violation {
			m, dst := workloadPod(in)
			if dst == nil {
				return nil
			}
			// A pod without labels in a namespace without labels: anyone.
			anyone := probe("guardrail-probe-elsewhere", nil)
			var open, because []string
			for _, c := range dst.Ports {
				e := m.Check(netpol.Connection{Src: anyone, Dst: dst, Port: c.ContainerPort, Protocol: c.Protocol})
				if !e.Ingress.Isolated || e.Ingress.Verdict != netpol.Allow {
					continue // not isolated: the namespace default-deny rules report it
				}
				open = append(open, fmt.Sprintf("%d/%s", c.ContainerPort, protocolOf(c.Protocol)))
				because = append(because, e.Ingress.Because...)
			}
			if len(open) == 0 {
				return nil
			}
			return []Violation{{Message: "port " + strings.Join(open, ", ") + " is open to every pod of every namespace (" + strings.Join(dedupe(because), "; ") + ")",
				Field: in.Workload.Field("containers"), Key: "ingress-any-namespace"}}
		},
	})
}

func protocolOf(p any) string {
	if s := fmt.Sprint(p); s != "" {
		return s
	}
	return "TCP"
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
