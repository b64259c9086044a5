package netpol

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// peerClasses makes each peer a class of its own.
func peerClasses(peers []*Pod) []*Class {
	out := make([]*Class, len(peers))
	for i, p := range peers {
		out[i] = &Class{Rep: p, Pods: []*Pod{p}}
	}
	return out
}

// peerDestinationPorts partitions each protocol's port space for peer
// destinations, which declare no ports: only the numbers and ranges of
// egress rules tell ports apart, so the space splits at their bounds into
// intervals that every rule treats alike. Intervals no rule names fold
// into one "any other port"; each interval is asked about by its first
// port, which makes the verdict exact for all of it. Named ports never
// match a peer (it has no container ports). TCP is always partitioned,
// other protocols when a rule names them.
func (m *Model) peerDestinationPorts() []PortVerdict {
	policies := m.peerPortPolicies
	if policies == nil {
		policies = m.Policies
	}
	type span struct{ lo, hi int32 }
	spans := map[corev1.Protocol][]span{corev1.ProtocolTCP: nil, corev1.ProtocolUDP: nil}
	for _, np := range policies {
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				proto := corev1.ProtocolTCP
				if p.Protocol != nil {
					proto = *p.Protocol
				}
				if _, ok := spans[proto]; !ok {
					spans[proto] = nil
				}
				if p.Port == nil || p.Port.Type != 0 {
					continue // every port of the protocol, or a name
				}
				lo, hi := p.Port.IntVal, p.Port.IntVal
				if p.EndPort != nil && *p.EndPort > lo {
					hi = *p.EndPort
				}
				if lo < 1 || hi > 65535 {
					continue
				}
				spans[proto] = append(spans[proto], span{lo, hi})
			}
		}
	}
	protos := make([]corev1.Protocol, 0, len(spans))
	for p := range spans {
		protos = append(protos, p)
	}
	sort.Slice(protos, func(i, j int) bool { return protos[i] < protos[j] })
	var out []PortVerdict
	for _, proto := range protos {
		ss := spans[proto]
		cuts := map[int32]bool{1: true, 65536: true}
		for _, s := range ss {
			cuts[s.lo], cuts[s.hi+1] = true, true
		}
		bounds := make([]int32, 0, len(cuts))
		for c := range cuts {
			bounds = append(bounds, c)
		}
		sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
		other := int32(0)
		for i := 0; i+1 < len(bounds); i++ {
			lo, hi := bounds[i], bounds[i+1]-1
			named := false
			for _, s := range ss {
				named = named || s.lo <= lo && hi <= s.hi
			}
			switch {
			case named && hi > lo:
				out = append(out, PortVerdict{Port: lo, EndPort: hi, Protocol: proto})
			case named:
				out = append(out, PortVerdict{Port: lo, Protocol: proto})
			case other == 0:
				other = lo
			}
		}
		if other != 0 {
			out = append(out, PortVerdict{Port: other, AnyOther: true, Protocol: proto})
		}
	}
	return out
}

// usePeerPortsOf makes the model partition peer destination ports by the
// egress rules of all the given models' policies, so two models' answers
// for peer destinations are on the same ports.
func (m *Model) usePeerPortsOf(models ...*Model) {
	var all []*networkingv1.NetworkPolicy
	for _, o := range models {
		all = append(all, o.Policies...)
	}
	if all == nil {
		all = []*networkingv1.NetworkPolicy{}
	}
	m.peerPortPolicies = all
}
