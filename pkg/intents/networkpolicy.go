package intents

import (
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// nameLabel is the label every namespace carries with its own name.
const nameLabel = "kubernetes.io/metadata.name"

// NetworkPolicies generates, for every namespace in scope, a default deny
// of ingress and egress and DNS egress to the cluster DNS pods over UDP and
// TCP; then per destination an ingress allow and per source an egress
// allow, each naming the peer by namespace and pod labels (never an empty
// peer) and the target port. When the DNS namespace is itself in scope, the
// DNS pods get an ingress allow from the scoped namespaces.
func (p *Plan) NetworkPolicies() []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	dnsPorts := []networkingv1.NetworkPolicyPort{port(53, corev1.ProtocolUDP), port(53, corev1.ProtocolTCP)}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	for _, ns := range p.Scope {
		out = append(out,
			policy(ns, "guardrail-default-deny", nil, both),
			withEgress(policy(ns, "guardrail-allow-dns", nil, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}),
				networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{p.dnsPeer()}, Ports: dnsPorts}))
		if ns == p.DNS.Namespace {
			np := policy(ns, "guardrail-dns-ingress", p.DNS.Labels, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress})
			var from []networkingv1.NetworkPolicyPeer
			for _, s := range p.Scope {
				from = append(from, networkingv1.NetworkPolicyPeer{NamespaceSelector: nsSelector(s)})
			}
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: dnsPorts}}
			out = append(out, np)
		}
	}
	ingress, egress := map[*Endpoint][]Flow{}, map[*Endpoint][]Flow{}
	for _, f := range p.Flows {
		ingress[f.To] = append(ingress[f.To], f)
		egress[f.From] = append(egress[f.From], f)
	}
	external := map[*Endpoint][]ExternalFlow{}
	for _, f := range p.External {
		external[f.From] = append(external[f.From], f)
	}
	inbound := map[*Endpoint][]InboundFlow{}
	for _, f := range p.Inbound {
		inbound[f.To] = append(inbound[f.To], f)
	}
	inScope := map[string]bool{}
	for _, ns := range p.Scope {
		inScope[ns] = true
	}
	for _, e := range p.Endpoints {
		if e.Synthetic || !inScope[e.Namespace] {
			continue // pods outside the scope keep their own policies
		}
		if fs, ins := ingress[e], inbound[e]; len(fs)+len(ins) > 0 {
			np := policy(e.Namespace, "guardrail-ingress-"+slug(e), e.Labels, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress})
			for _, g := range group(fs, func(f Flow) *Endpoint { return f.From }) {
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer(g.peer)}, Ports: g.ports})
			}
			np.Spec.Ingress = append(np.Spec.Ingress, inboundRules(ins)...)
			out = append(out, np)
		}
		if fs, xs := egress[e], external[e]; len(fs)+len(xs) > 0 {
			np := policy(e.Namespace, "guardrail-egress-"+slug(e), e.Labels, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})
			for _, g := range group(fs, func(f Flow) *Endpoint { return f.To }) {
				np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{peer(g.peer)}, Ports: g.ports})
			}
			np.Spec.Egress = append(np.Spec.Egress, externalRules(xs)...)
			out = append(out, np)
		}
	}
	return out
}

type peerPorts struct {
	peer  *Endpoint
	ports []networkingv1.NetworkPolicyPort
}

// group collects the ports of flows by their peer, in endpoint order.
func group(fs []Flow, peerOf func(Flow) *Endpoint) []peerPorts {
	idx := map[*Endpoint]int{}
	var out []peerPorts
	for _, f := range fs {
		e := peerOf(f)
		i, ok := idx[e]
		if !ok {
			i = len(out)
			idx[e] = i
			out = append(out, peerPorts{peer: e})
		}
		out[i].ports = append(out[i].ports, port(f.Port, f.Protocol))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].peer.ID() < out[j].peer.ID() })
	return out
}

func policy(ns, name string, podLabels map[string]string, types []networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "guardrail"}},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: podLabels}, PolicyTypes: types},
	}
}

func withEgress(np *networkingv1.NetworkPolicy, r networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
	np.Spec.Egress = append(np.Spec.Egress, r)
	return np
}

func nsSelector(ns string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{nameLabel: ns}}
}

func peer(e *Endpoint) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: nsSelector(e.Namespace), PodSelector: &metav1.LabelSelector{MatchLabels: e.Labels}}
}

func (p *Plan) dnsPeer() networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: nsSelector(p.DNS.Namespace), PodSelector: &metav1.LabelSelector{MatchLabels: p.DNS.Labels}}
}

func port(n int32, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &v}
}

// slug is "kind-name" in lower case, e.g. "deployment-web".
func slug(e *Endpoint) string { return strings.ToLower(e.Kind + "-" + e.Name) }

// externalRules is one egress rule per CIDR, with its ports.
func externalRules(xs []ExternalFlow) []networkingv1.NetworkPolicyEgressRule {
	var out []networkingv1.NetworkPolicyEgressRule
	idx := map[netip.Prefix]int{}
	for _, x := range xs {
		i, ok := idx[x.CIDR]
		if !ok {
			i = len(out)
			idx[x.CIDR] = i
			out = append(out, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: x.CIDR.String()}}}})
		}
		out[i].Ports = append(out[i].Ports, port(x.Port, x.Protocol))
	}
	return out
}

// inboundRules is one ingress rule per source block: the internet as
// 0.0.0.0/0 (it holds the node addresses a load balancer's traffic may be
// SNATed to, so the entry point stays reachable whatever the Service's
// externalTrafficPolicy), a CIDR as itself, namespaces by a
// namespaceSelector on their labels.
func inboundRules(fs []InboundFlow) []networkingv1.NetworkPolicyIngressRule {
	var out []networkingv1.NetworkPolicyIngressRule
	idx := map[string]int{}
	for _, f := range fs {
		src := f.Source()
		i, ok := idx[src]
		if !ok {
			i = len(out)
			idx[src] = i
			peer := networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}
			switch {
			case f.Namespace != nil:
				peer = networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: f.Namespace}}
			case !f.Internet:
				peer.IPBlock.CIDR = f.CIDR.String()
			}
			out = append(out, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}})
		}
		out[i].Ports = append(out[i].Ports, port(f.Port, f.Protocol))
	}
	return out
}
