package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"go4.org/netipx"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	selectionop "k8s.io/apimachinery/pkg/selection"
)

// PeerKind says which class of sources and destinations outside the
// input's workloads a Peer stands for.
type PeerKind int

// The peer kinds.
const (
	// PeerInternet is every public IPv4 address.
	PeerInternet PeerKind = iota + 1
	// PeerInternet6 is every public (global unicast) IPv6 address.
	PeerInternet6
	// PeerNodes is the addresses of the cluster's nodes other than the
	// pod's own (traffic from a pod's own node is always allowed).
	PeerNodes
	// PeerAnyNamespace is any pod in a namespace that is not in the input,
	// with no labels assumed for the namespace or the pod.
	PeerAnyNamespace
	// PeerNamespace is any pod (labels unknown) in a hypothetical namespace
	// carrying exactly the given labels.
	PeerNamespace
	// PeerCIDR is every address of a CIDR outside the cluster.
	PeerCIDR
)

// Peer is an abstract source or destination: a class of addresses or pods
// the input does not list one by one. A verdict for a peer holds for every
// member of the class; where members differ (an ipBlock holding part of the
// internet, a namespaceSelector on labels the class does not fix) the
// verdict is Depends and a note says why.
//
// A peer's own policies are not modelled: the internet, nodes and CIDRs
// have none, and a pod in a namespace outside the input is the attacker's,
// so only the input's policies restrict what it sends.
type Peer struct {
	Kind PeerKind
	// Name is how the peer is written on the command line and printed:
	// "internet", "internet6", "nodes", "namespace:*",
	// "namespace:{team=payments}", "cidr:203.0.113.0/24".
	Name string
	// Labels are a PeerNamespace's namespace labels.
	Labels map[string]string
	// addrs is the class's addresses (internet, CIDR; nodes when known).
	addrs *netipx.IPSet
}

// The default peers of the netpol commands.
const (
	PeerNameInternet     = "internet"
	PeerNameInternet6    = "internet6"
	PeerNameNodes        = "nodes"
	PeerNameAnyNamespace = "namespace:*"
)

// DefaultPeers are the peers every segmentation answer includes unless
// told otherwise: the internet, the nodes and any namespace not in the
// input.
func DefaultPeers() []*Peer {
	out := make([]*Peer, 0, 3)
	for _, n := range []string{PeerNameInternet, PeerNameNodes, PeerNameAnyNamespace} {
		p, _ := ParsePeer(n)
		out = append(out, p)
	}
	return out
}

// notPublic4 and notPublic6 are the IANA special-purpose ranges that are
// not globally reachable (RFC 6890 and its registry): private, shared,
// loopback, link-local, documentation, benchmarking, multicast and
// reserved space. The internet peers are everything else.
var (
	notPublic4 = []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"}
	notPublic6 = []string{"2001:db8::/32", "2001:2::/48", "2001:10::/28"}
)

func addrSet(add []string, remove []string) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, s := range add {
		b.AddPrefix(netip.MustParsePrefix(s))
	}
	for _, s := range remove {
		b.RemovePrefix(netip.MustParsePrefix(s))
	}
	set, _ := b.IPSet()
	return set
}

// ParsePeer reads a peer as the command line writes it: internet,
// internet6, nodes, namespace:*, namespace:{key=value,...} (or
// namespace:key=value,...), cidr:PREFIX or a bare PREFIX.
func ParsePeer(s string) (*Peer, error) {
	s = strings.TrimSpace(s)
	switch s {
	case PeerNameInternet:
		return &Peer{Kind: PeerInternet, Name: s, addrs: addrSet([]string{"0.0.0.0/0"}, notPublic4)}, nil
	case PeerNameInternet6:
		return &Peer{Kind: PeerInternet6, Name: s, addrs: addrSet([]string{"2000::/3"}, notPublic6)}, nil
	case PeerNameNodes:
		return &Peer{Kind: PeerNodes, Name: s}, nil
	case PeerNameAnyNamespace:
		return &Peer{Kind: PeerAnyNamespace, Name: s}, nil
	}
	if rest, ok := strings.CutPrefix(s, "namespace:"); ok {
		rest = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(rest), "{"), "}")
		set, err := labels.ConvertSelectorToLabelsMap(rest)
		if err != nil || len(set) == 0 {
			return nil, fmt.Errorf("peer %q: write namespace:* or namespace:{key=value,...}", s)
		}
		keys := make([]string, 0, len(set))
		for k, v := range set {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		return &Peer{Kind: PeerNamespace, Name: "namespace:{" + strings.Join(keys, ",") + "}", Labels: set}, nil
	}
	cidr := strings.TrimPrefix(s, "cidr:")
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("unknown peer %q: use internet, internet6, nodes, namespace:*, namespace:{key=value}, or cidr:203.0.113.0/24", s)
	}
	p = p.Masked()
	var b netipx.IPSetBuilder
	b.AddPrefix(p)
	set, _ := b.IPSet()
	return &Peer{Kind: PeerCIDR, Name: "cidr:" + p.String(), addrs: set}, nil
}

// IsPeer reports whether id names a peer rather than a workload.
func IsPeer(id string) bool {
	_, err := ParsePeer(id)
	return err == nil
}

// SetPeers adds abstract peers to the model as sources and destinations of
// Matrix, Check and Diff. Call it before the first Matrix. Peers with the
// same name are added once.
func (m *Model) SetPeers(peers []*Peer) {
	seen := map[string]bool{}
	m.peers = m.peers[:0]
	for _, p := range peers {
		if p == nil || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		m.peers = append(m.peers, &Pod{Name: p.Name, Peer: p})
	}
	sort.SliceStable(m.peers, func(i, j int) bool { return m.peers[i].Name < m.peers[j].Name })
}

// Peer returns the peer pod of the given name, adding it when the name
// parses as a peer (so explain can ask about any CIDR or namespace
// labels), or nil.
func (m *Model) Peer(name string) *Pod {
	p, err := ParsePeer(name)
	if err != nil {
		return nil
	}
	for _, pp := range m.peers {
		if pp.Name == p.Name {
			return pp
		}
	}
	return &Pod{Name: p.Name, Peer: p}
}

// Peers returns the model's peers as pods, sorted by name.
func (m *Model) Peers() []*Pod { return m.peers }

// SetNodeAddresses tells the model the nodes' addresses (Node objects'
// status.addresses, or --node-cidr). Without them only an ipBlock holding
// every IPv4 address is known to match the nodes.
func (m *Model) SetNodeAddresses(prefixes []netip.Prefix) {
	var b netipx.IPSetBuilder
	for _, p := range prefixes {
		b.AddPrefix(p.Masked())
	}
	m.nodeAddrs, _ = b.IPSet()
	if len(prefixes) == 0 {
		m.nodeAddrs = nil
	}
}

// peerAddrs is the address class of an address peer; the internet leaves
// out the pod CIDRs and node addresses the model knows (they are the
// cluster's, not the internet's).
func (m *Model) peerAddrs(p *Peer) *netipx.IPSet {
	switch p.Kind {
	case PeerNodes:
		if m.nodeAddrs != nil {
			return m.nodeAddrs
		}
		return addrSet([]string{"0.0.0.0/0"}, nil)
	case PeerInternet, PeerInternet6:
		if len(m.podCIDRs) == 0 && m.nodeAddrs == nil {
			return p.addrs
		}
		var b netipx.IPSetBuilder
		b.AddSet(p.addrs)
		for _, c := range m.podCIDRs {
			b.RemovePrefix(c)
		}
		if m.nodeAddrs != nil {
			b.RemoveSet(m.nodeAddrs)
		}
		s, _ := b.IPSet()
		return s
	}
	return p.addrs
}

// coverage says whether an ipBlock holds all (Allow), none (Deny) or part
// (Depends) of an address class.
func coverage(class *netipx.IPSet, b block) Verdict {
	if !b.ok || class == nil {
		return Deny
	}
	var bb netipx.IPSetBuilder
	bb.AddPrefix(b.cidr)
	for _, e := range b.excepts {
		bb.RemovePrefix(e)
	}
	bs, _ := bb.IPSet()
	if !bs.Overlaps(class) {
		return Deny
	}
	var rest netipx.IPSetBuilder
	rest.AddSet(class)
	rest.RemoveSet(bs)
	if rs, _ := rest.IPSet(); len(rs.Prefixes()) == 0 {
		return Allow
	}
	return Depends
}

// peerIPBlock is what an ipBlock peer answers for an abstract peer.
func (m *Model) peerIPBlock(b *networkingv1.IPBlock, p *Peer) Verdict {
	switch p.Kind {
	case PeerInternet, PeerInternet6, PeerCIDR:
		return coverage(m.peerAddrs(p), m.parseBlock(b))
	case PeerNodes:
		v := coverage(m.peerAddrs(p), m.parseBlock(b))
		switch {
		case m.cni == nil:
			// Whether ipBlocks match node addresses is the plugin's to say.
			if v != Deny {
				return Depends
			}
			if m.nodeAddrs == nil {
				return Depends
			}
			return Deny
		case m.cni.IPBlock == IPBlockNever:
			return Deny
		case m.cni.IPBlock == IPBlockByAddress:
			return v
		}
		return Depends
	}
	// A pod of a namespace outside the input: as a workload template.
	return m.ipBlockVerdict(b, &Pod{})
}

// peerSelects says whether a selector peer of a policy in policyNS matches
// an abstract peer: never an address peer; for a namespace peer, the
// namespaceSelector against what the class fixes, and any podSelector but
// the empty one depends (the pods' labels are not known).
func (m *Model) peerSelects(np networkingv1.NetworkPolicyPeer, p *Peer) Verdict {
	if p.Kind != PeerAnyNamespace && p.Kind != PeerNamespace {
		return Deny // not pods: no selector matches an address
	}
	if np.NamespaceSelector == nil {
		return Deny // a podSelector alone selects in the policy's namespace, which is in the input
	}
	v := m.namespaceSelects(np.NamespaceSelector, p)
	if v != Deny && np.PodSelector != nil && (len(np.PodSelector.MatchLabels) > 0 || len(np.PodSelector.MatchExpressions) > 0) {
		if _, err := metav1.LabelSelectorAsSelector(np.PodSelector); err != nil {
			return Deny
		}
		v = both(v, Depends)
	}
	return v
}

// namespaceSelects evaluates a namespaceSelector against a namespace peer:
// requirements on labels the class fixes are decided; on others (every
// label of namespace:*; the name label of a namespace:{...} that does not
// give it) they depend, except that such a namespace's name is none of the
// input's namespaces.
func (m *Model) namespaceSelects(sel *metav1.LabelSelector, p *Peer) Verdict {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return Deny
	}
	reqs, _ := s.Requirements()
	v := Allow
	for _, r := range reqs {
		v = both(v, m.requirement(r, p))
	}
	return v
}

func (m *Model) requirement(r labels.Requirement, p *Peer) Verdict {
	if p.Kind == PeerNamespace {
		if _, given := p.Labels[r.Key()]; given || r.Key() != nameLabel {
			if r.Matches(labels.Set(p.Labels)) {
				return Allow
			}
			return Deny
		}
	}
	// The label is unknown. Its name, if it is the name label, is not an
	// input namespace: a requirement only those names satisfy fails.
	if r.Key() == nameLabel && (r.Operator() == selectionop.In || r.Operator() == selectionop.Equals || r.Operator() == selectionop.DoubleEquals) {
		for v := range r.Values() {
			if _, inInput := m.Namespaces[v]; !inInput {
				return Depends
			}
		}
		return Deny
	}
	return Depends
}

// peerDependsNote says why a verdict for a peer can depend on the member.
func peerDependsNote(p *Peer) string {
	switch p.Kind {
	case PeerNodes:
		return "nodes: whether ipBlocks match node addresses depends on the CNI, or the nodes' addresses are not known (--node-cidr, or --live reads the Nodes)"
	case PeerAnyNamespace, PeerNamespace:
		return p.Name + ": the answer depends on labels the class does not fix (the namespace's or the pods'), or on the CNI for ipBlocks"
	}
	return p.Name + ": the rules' ipBlocks hold only part of its addresses"
}
