package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "service-external-ips", Title: "Service with externalIPs", Severity: api.SeverityHigh, Category: api.CategoryExposure,
			Rationale:   "externalIPs make kube-proxy capture traffic for any address the Service names, so whoever can create a Service can intercept traffic meant for other hosts (CVE-2020-8554).",
			Remediation: "Remove spec.externalIPs; use a LoadBalancer or Ingress. Block the field cluster-wide with the DenyServiceExternalIPs admission plugin.",
			Example:     "spec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [203.0.113.0/24]",
			References:  []api.Reference{mitre("T1557", "Adversary-in-the-Middle"), mitreExternal},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindService},
		Check: func(in *Input) []Violation {
			s, ok := in.Object.Obj.(*corev1.Service)
			if !ok || len(s.Spec.ExternalIPs) == 0 {
				return nil
			}
			return []Violation{{Message: "spec.externalIPs lists " + strings.Join(s.Spec.ExternalIPs, ", "), Field: "spec.externalIPs"}}
		},
	})
}
