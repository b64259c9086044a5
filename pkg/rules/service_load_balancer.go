package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// internalLBAnnotations mark a load balancer as internal on the major clouds.
var internalLBAnnotations = []string{
	"service.beta.kubernetes.io/aws-load-balancer-internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal",
	"networking.gke.io/load-balancer-type",
	"cloud.google.com/load-balancer-type",
	"service.beta.kubernetes.io/oci-load-balancer-internal",
}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "service-load-balancer", Title: "Service exposed by a public load balancer", Severity: api.SeverityMedium, Category: api.CategoryExposure,
			Rationale:   "A LoadBalancer Service gets an external address; without loadBalancerSourceRanges or an internal annotation it is open to the internet.",
			Remediation: "Restrict spec.loadBalancerSourceRanges, mark the load balancer internal, or expose the service through an authenticated ingress.",
			Example:     "spec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [203.0.113.0/24]",
			References:  []api.Reference{mitreExternal, mitrePublicApp},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindService},
		Check: func(in *Input) []Violation {
			s, ok := in.Object.Obj.(*corev1.Service)
			if !ok || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				return nil
			}
			for _, a := range internalLBAnnotations {
				if _, ok := s.Annotations[a]; ok {
					return nil
				}
			}
			for _, r := range s.Spec.LoadBalancerSourceRanges {
				if r == "0.0.0.0/0" || r == "::/0" {
					return []Violation{{Message: "type is LoadBalancer and loadBalancerSourceRanges allows " + r, Field: "spec.loadBalancerSourceRanges"}}
				}
			}
			if len(s.Spec.LoadBalancerSourceRanges) > 0 {
				return nil
			}
			return []Violation{{Message: "type is LoadBalancer with no loadBalancerSourceRanges: reachable from any address", Field: "spec.type"}}
		},
	})
}
