package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// IPBlockMode is how a plugin matches ipBlock peers against pods.
type IPBlockMode int

// The ipBlock modes.
const (
	// IPBlockUnknown leaves every ipBlock-versus-pod question to the CNI.
	IPBlockUnknown IPBlockMode = iota
	// IPBlockNever: ipBlocks never match in-cluster pods (or nodes).
	IPBlockNever
	// IPBlockByAddress: ipBlocks match pods by address, like any other
	// address; a pod whose addresses are not known stays "depends".
	IPBlockByAddress
)

// CNI is how a network plugin settles what the NetworkPolicy specification
// leaves to it. Only behaviour the plugin's maintainers document is
// encoded; everything else stays "depends on the CNI".
type CNI struct {
	Name string
	// Enforces is false for plugins that ignore NetworkPolicy: every
	// policy is then on paper only and every connection is allowed.
	Enforces bool
	// IPBlock is how ipBlock peers treat pod addresses.
	IPBlock IPBlockMode
	// HostNetworkAsNode: traffic of host-network pods is the node's
	// traffic. Pod and namespace selectors never match such a pod, and
	// policies selecting it do not restrict it; ipBlocks may match its
	// (node) address. This is the behaviour the Kubernetes documentation
	// calls the most common one.
	HostNetworkAsNode bool
	// SCTP: the plugin enforces SCTP rules, so SCTP verdicts stand.
	SCTP bool
	// TargetPort: policies see a Service connection after the Service's
	// translation, so on the backend's target port.
	TargetPort bool
	// Sources say where each behaviour is documented.
	Sources []string
}

// Profiles are the known CNI profiles by name.
var Profiles = map[string]*CNI{
	"calico": {Name: "calico", Enforces: true, IPBlock: IPBlockByAddress, HostNetworkAsNode: true, SCTP: true, TargetPort: true,
		Sources: []string{
			"ipBlock matches in-cluster pod addresses (projectcalico/calico#6634)",
			"host-network pods are host endpoints, not workload endpoints, so Kubernetes policies do not select them (docs.tigera.io, host endpoints; kubernetes.io network-policies#networkpolicy-and-hostnetwork-pods)",
			"SCTP ports in policy rules (projectcalico/libcalico-go#1182, Calico 3.12)",
			"workload policy applies after DNAT; only preDNAT host-endpoint policy sees the Service port (docs.tigera.io, reference/host-endpoints/pre-dnat)",
		}},
	"cilium": {Name: "cilium", Enforces: true, IPBlock: IPBlockNever, TargetPort: true,
		Sources: []string{
			"CIDR rules apply to traffic leaving the cluster only: ipBlocks never match pods or nodes (cilium/cilium#9209, #35212)",
			"policy is enforced at the endpoint after load-balancer translation, on the backend port (cilium/cilium#48141, #14144)",
			"SCTP needs sctp.enabled (cilium/cilium#20033), so SCTP stays undecided",
			"host-network pods carry the host identity and local-host traffic is allowed by default, so it stays undecided",
		}},
	"flannel": {Name: "flannel", Enforces: false,
		Sources: []string{"flannel provides connectivity only and does not implement NetworkPolicy"}},
}

// Profile returns the named profile, or an error listing the known ones.
func Profile(name string) (*CNI, error) {
	if p, ok := Profiles[strings.ToLower(name)]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown CNI profile %q: known profiles are %s", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the known profiles in order.
func ProfileNames() []string {
	names := make([]string, 0, len(Profiles))
	for n := range Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Source is the profile's sources in one line.
func (c *CNI) Source() string { return strings.Join(c.Sources, "; ") }

// SetCNI makes the model answer as the given plugin does (nil: unknown).
// Call it before the first Check or Matrix.
func (m *Model) SetCNI(c *CNI) { m.cni = c }

// ipBlockVerdict is what an ipBlock peer answers for a pod peer. A
// workload stands for all its live pods: a block holding any of their
// addresses matches it (some replica is reachable).
func (m *Model) ipBlockVerdict(b *networkingv1.IPBlock, pod *Pod) Verdict {
	if m.cni == nil {
		return Depends
	}
	switch m.cni.IPBlock {
	case IPBlockNever:
		return Deny
	case IPBlockByAddress:
		if len(pod.IPs) == 0 {
			return m.ipBlockVersusPodCIDRs(b)
		}
		for _, ip := range pod.IPs {
			if m.ipBlockContains(b, ip) {
				return Allow
			}
		}
		return Deny
	}
	return Depends
}

// SetPodCIDRs tells the model where pods without a known address (workload
// templates) get theirs, so that under a profile whose ipBlocks match pods
// by address a block holding a whole pod CIDR matches them and a block
// disjoint from every pod CIDR does not. Call it before the first Matrix.
func (m *Model) SetPodCIDRs(cidrs []netip.Prefix) { m.podCIDRs = cidrs }

// ipBlockVersusPodCIDRs judges an ipBlock for a pod whose address is only
// known to lie in one of the pod CIDRs.
func (m *Model) ipBlockVersusPodCIDRs(b *networkingv1.IPBlock) Verdict {
	if len(m.podCIDRs) == 0 {
		return Depends
	}
	pb := m.parseBlock(b)
	if !pb.ok {
		return Deny // an invalid block matches nothing; the API server rejects it anyway
	}
	disjoint := true
	for _, pc := range m.podCIDRs {
		if !pb.cidr.Overlaps(pc) {
			continue
		}
		covered, cut := pb.cidr.Bits() <= pc.Bits(), false
		for _, e := range pb.excepts {
			switch {
			case e.Overlaps(pc) && e.Bits() <= pc.Bits():
				cut = true // the except holds the whole pod CIDR
			case e.Overlaps(pc):
				covered = false
			}
		}
		if cut {
			continue
		}
		if covered {
			return Allow // every address of this pod CIDR is in the block
		}
		disjoint = false
	}
	if disjoint {
		return Deny
	}
	return Depends
}

// asNode reports whether pod's traffic is node traffic under the profile.
func (m *Model) asNode(pod *Pod) bool {
	return pod.HostNetwork && m.cni != nil && m.cni.HostNetworkAsNode
}

// hostNetworkUndecided reports whether host-network pods stay "depends".
func (m *Model) hostNetworkUndecided() bool { return m.cni == nil || !m.cni.HostNetworkAsNode }

// sctpUndecided reports whether SCTP verdicts stay "depends".
func (m *Model) sctpUndecided() bool { return m.cni == nil || !m.cni.SCTP }

// ipBlockKey says which of the model's ipBlocks contain the pod's
// addresses; it is part of the class key when ipBlocks match by address,
// so that pods in one class get the same ipBlock answers.
func (m *Model) ipBlockKey(p *Pod, blocks []*networkingv1.IPBlock) string {
	if m.cni == nil || m.cni.IPBlock != IPBlockByAddress || len(blocks) == 0 {
		return ""
	}
	if len(p.IPs) == 0 {
		return "?"
	}
	var b strings.Builder
	for _, blk := range blocks {
		in := false
		for _, ip := range p.IPs {
			in = in || m.ipBlockContains(blk, ip)
		}
		if in {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// ipBlocks lists every ipBlock peer of the model's policies.
func (m *Model) ipBlocks() []*networkingv1.IPBlock {
	var out []*networkingv1.IPBlock
	add := func(peers []networkingv1.NetworkPolicyPeer) {
		for i := range peers {
			if peers[i].IPBlock != nil {
				out = append(out, peers[i].IPBlock)
			}
		}
	}
	for _, np := range m.Policies {
		for _, r := range np.Spec.Ingress {
			add(r.From)
		}
		for _, r := range np.Spec.Egress {
			add(r.To)
		}
	}
	return out
}

// ParseIPs parses pod addresses (status.podIPs), skipping bad ones.
func ParseIPs(ips ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ips {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// enforced reports whether policies are enforced at all.
func (m *Model) enforced() bool { return m.cni == nil || m.cni.Enforces }
