package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "networkpolicy-service-port", Title: "NetworkPolicy allows a Service port instead of the pods' port", Severity: api.SeverityMedium, Category: api.CategoryNetwork,
			Rationale: "NetworkPolicy ports are the pods' ports. Calico, Cilium and kube-proxy based plugins check policies after the Service translation, on the target port, " +
				"so a rule written for the Service's port (80 in front of a pod listening on 8080) never matches: the intended traffic is blocked, and the usual fix, " +
				"widening the rule, opens more than was meant. A paper policy either way.",
			Remediation: "Use the Service's targetPort, or better the container port's name, in the policy's ports.",
			Example:     "ingress:\n- ports:\n  - port: http   # the container port's name; not the Service's 80",
			References:  []api.Reference{nsa("Network separation and hardening: network policies")},
		},
		Scope:       ScopeObject,
		Kinds:       []schema.GroupKind{kindNetworkPolicy},
		CrossObject: true,
		Reads:       everywhere(kindService, WorkloadKind, kindNamespace, kindNetworkPolicy, kindNode),
		Check: func(in *Input) []Violation {
			np, ok := in.Object.Obj.(*networkingv1.NetworkPolicy)
			if !ok {
				return nil
			}
			var out []Violation
			for _, pm := range segmentation(in.Inventory).ServicePortMistakes(np) {
				out = append(out, Violation{
					Message: fmt.Sprintf("port %d/%s is the port of Service %s, whose pods listen on %d: policies are checked on the pod's port, so this allows nothing",
						pm.Port, pm.Protocol, pm.Service.Namespace+"/"+pm.Service.Name, pm.Target),
					Field: pm.Field,
				})
			}
			return out
		},
	})
}
