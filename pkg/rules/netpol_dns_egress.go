package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "netpol-dns-egress", Title: "DNS egress blocked or UDP only", Severity: api.SeverityMedium, Category: api.CategoryReliability,
			Rationale:   "Egress policies that allow DNS over UDP but not TCP break large answers and DNSSEC (truncated replies retry over TCP); policies that allow neither break name resolution entirely.",
			Remediation: "Allow port 53 over both UDP and TCP to the cluster DNS pods (k8s-app: kube-dns in kube-system).",
			Example:     "egress:\n- to:\n  - namespaceSelector:\n      matchLabels:\n        kubernetes.io/metadata.name: kube-system\n    podSelector:\n      matchLabels:\n        k8s-app: kube-dns\n  ports:\n  - {port: 53, protocol: UDP}\n  - {port: 53, protocol: TCP}",
			References:  []api.Reference{nsa("Network separation and hardening: network policies")},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(everywhere(kindNetworkPolicy, kindNamespace, kindNode), inNamespace(kindService)),
		Check: func(in *Input) []Violation {
			m, src := workloadPod(in)
			if src == nil {
				return nil
			}
			dns := probe("kube-system", map[string]string{"k8s-app": "kube-dns"})
			udp := m.Check(netpol.Connection{Src: src, Dst: dns, Port: 53, Protocol: corev1.ProtocolUDP})
			if !udp.Egress.Isolated {
				return nil
			}
			tcp := m.Check(netpol.Connection{Src: src, Dst: dns, Port: 53, Protocol: corev1.ProtocolTCP})
			switch {
			case udp.Egress.Verdict == netpol.Deny && tcp.Egress.Verdict == netpol.Deny:
				return []Violation{{Message: "egress policies allow no DNS: port 53 to kube-dns is denied over UDP and TCP", Field: in.Workload.Field("containers"), Key: "dns"}}
			case udp.Egress.Verdict != netpol.Deny && tcp.Egress.Verdict == netpol.Deny:
				return []Violation{{Message: "egress policies allow DNS over UDP but not TCP: truncated answers cannot be retried", Field: in.Workload.Field("containers"), Key: "dns"}}
			}
			return nil
		},
	})
}
