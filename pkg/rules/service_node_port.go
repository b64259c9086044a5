package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "service-node-port", Title: "Service of type NodePort", Severity: api.SeverityMedium, Category: api.CategoryExposure,
			Rationale:   "A NodePort opens the port on every node's addresses, bypassing the ingress layer, its TLS and its authentication.",
			Remediation: "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer with loadBalancerSourceRanges.",
			Example:     "spec:\n  type: ClusterIP   # expose through an Ingress or Gateway",
			References:  []api.Reference{nsa("Network separation and hardening: network policies"), mitreExternal},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindService},
		Check: func(in *Input) []Violation {
			s, ok := in.Object.Obj.(*corev1.Service)
			if !ok || s.Spec.Type != corev1.ServiceTypeNodePort {
				return nil
			}
			return []Violation{{Message: "type is NodePort: the service is reachable on every node's address", Field: "spec.type"}}
		},
	})
}
