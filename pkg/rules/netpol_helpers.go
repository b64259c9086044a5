package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

// policyDirections returns the directions a NetworkPolicy isolates, with
// the API server's defaulting: without policyTypes, Ingress always, and
// Egress only when the egress list is non-empty ("egress: []" isolates
// nothing for egress).
func policyDirections(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// selectsAll reports whether the policy's podSelector is empty.
func selectsAll(np *networkingv1.NetworkPolicy) bool {
	s := np.Spec.PodSelector
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// defaultDeny reports whether np isolates every pod of its namespace in the
// given direction without a rule that lets everything back in.
func defaultDeny(np *networkingv1.NetworkPolicy, egressDir bool) bool {
	in, eg := policyDirections(np)
	if !selectsAll(np) || (egressDir && !eg) || (!egressDir && !in) {
		return false
	}
	if egressDir {
		for _, r := range np.Spec.Egress {
			if len(r.To) == 0 && len(r.Ports) == 0 {
				return false // an empty rule allows all egress
			}
		}
		return true
	}
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 && len(r.Ports) == 0 {
			return false
		}
	}
	return true
}

// networkPolicies returns the typed NetworkPolicies of namespace ns.
func networkPolicies(inv *inventory.Inventory, ns string) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, o := range inv.ByKind(kindNetworkPolicy) {
		if o.Namespace() != ns {
			continue
		}
		if np, ok := o.Obj.(*networkingv1.NetworkPolicy); ok {
			out = append(out, np)
		}
	}
	return out
}

// namespaceInScope reports whether a namespace rule should judge ns: the
// input declares the Namespace or runs workloads in it.
func namespaceInScope(in *Input) bool {
	return in.Namespace != "" && (in.Object != nil || len(in.Inventory.Workloads(in.Namespace)) > 0)
}
