package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Verdict is the answer for one connection.
type Verdict int

// The verdicts, in the order they combine: Deny wins over Depends, which
// wins over Allow (a connection needs both directions).
const (
	Allow Verdict = iota
	Depends
	Deny
)

// String is "allow", "depends" or "deny": the JSON form too. Why a
// verdict depends (the CNI, which member of a peer class) is in the
// explanation's notes.
func (v Verdict) String() string {
	if v < Allow || v > Deny {
		return fmt.Sprintf("Verdict(%d)", int(v))
	}
	return [...]string{"allow", "depends", "deny"}[v]
}

// MarshalText writes the verdict as a string, never an integer.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads "allow", "depends" or "deny".
func (v *Verdict) UnmarshalText(b []byte) error {
	switch string(b) {
	case "allow":
		*v = Allow
	case "depends":
		*v = Depends
	case "deny":
		*v = Deny
	default:
		return fmt.Errorf("verdict %q: want allow, depends or deny", b)
	}
	return nil
}

// both combines the ingress and egress verdicts.
func both(a, b Verdict) Verdict { return max(a, b) }

// either combines alternatives (rules, peers): Allow wins, then Depends.
func either(a, b Verdict) Verdict { return min(a, b) }

// Side explains one direction.
type Side struct {
	// Isolated is true when a policy selects the pod for this direction.
	Isolated bool `json:"isolated"`
	// Selecting names the policies that select the pod for this direction.
	Selecting []string `json:"selecting,omitempty"`
	// Because names the rules that decided ("ns/policy ingress[0]").
	Because []string `json:"because,omitempty"`
	Verdict Verdict  `json:"verdict"`
}

// Explanation is a verdict with its reasons.
type Explanation struct {
	Verdict Verdict  `json:"verdict"`
	Egress  Side     `json:"egress"`  // the source's egress policies
	Ingress Side     `json:"ingress"` // the destination's ingress policies
	Notes   []string `json:"notes,omitempty"`
}

// Connection is a question: from Src to Dst (a pod) on Port/Protocol.
type Connection struct {
	Src, Dst *Pod
	Port     int32
	Protocol corev1.Protocol
}

// Check answers a pod-to-pod question.
func (m *Model) Check(c Connection) Explanation {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	var e Explanation
	if c.Src.ID() == c.Dst.ID() {
		e.Notes = append(e.Notes, "a pod always reaches itself")
		return e
	}
	e.Egress = m.side(c.Src, true, func(np *networkingv1.NetworkPolicy, i int) Verdict {
		r := np.Spec.Egress[i]
		return judge(r.To, r.Ports, np.Namespace, c, c.Dst, m) // egress peers describe the destination
	})
	e.Ingress = m.side(c.Dst, false, func(np *networkingv1.NetworkPolicy, i int) Verdict {
		r := np.Spec.Ingress[i]
		return judge(r.From, r.Ports, np.Namespace, c, c.Src, m) // ingress peers describe the source
	})
	e.Verdict = both(e.Egress.Verdict, e.Ingress.Verdict)
	if e.Verdict == Depends {
		for _, p := range []*Pod{c.Src, c.Dst} {
			if p.Peer != nil {
				e.Notes = append(e.Notes, peerDependsNote(p.Peer))
			}
		}
	}
	if !m.enforced() {
		m.unenforced(&e)
		return e
	}
	m.caveats(&e, c.Src, c.Dst, c.Protocol)
	if e.Verdict == Depends && len(e.Notes) == 0 {
		e.Notes = append(e.Notes, "an ipBlock may hold the pod's address: whether ipBlocks match pods depends on the CNI (--cni, and --pod-cidr with calico, settle it)")
	}
	return e
}

// caveats turns a verdict the specification leaves to the plugin into
// "depends", unless the profile settles it, and says why.
func (m *Model) caveats(e *Explanation, src, dst *Pod, proto corev1.Protocol) {
	isolated := e.Egress.Isolated || e.Ingress.Isolated
	if src.HostNetwork || dst.HostNetwork {
		if m.hostNetworkUndecided() {
			e.Notes = append(e.Notes, "host-network pods: whether policies apply depends on the CNI")
			if e.Verdict != Allow || isolated {
				e.Verdict = Depends
			}
		} else {
			e.Notes = append(e.Notes, m.cni.Name+": a host-network pod's traffic is node traffic: selectors do not match it and its own policies do not restrict it")
		}
	}
	if proto == corev1.ProtocolSCTP && e.Verdict == Allow && isolated && m.sctpUndecided() {
		e.Verdict = Depends
		e.Notes = append(e.Notes, "SCTP: support for SCTP in NetworkPolicy depends on the CNI")
	}
}

// side evaluates the policies selecting pod for one direction.
func (m *Model) side(pod *Pod, egress bool, ruleVerdict func(*networkingv1.NetworkPolicy, int) Verdict) Side {
	s := Side{Verdict: Allow}
	if m.asNode(pod) {
		return s // node traffic: no pod policy restricts it
	}
	all, idx := m.selecting(pod, egress)
	if len(idx) > 0 {
		s.Isolated, s.Verdict, s.Selecting = true, Deny, make([]string, len(idx))
		for i, j := range idx {
			s.Selecting[i] = all[j].id
		}
	}
	for _, j := range idx {
		named := all[j]
		np := named.NetworkPolicy
		n, dir := len(np.Spec.Ingress), "ingress"
		if egress {
			n, dir = len(np.Spec.Egress), "egress"
		}
		for i := 0; i < n; i++ {
			if v := ruleVerdict(np, i); v != Deny {
				s.Verdict = either(s.Verdict, v)
				s.Because = append(s.Because, named.id+" "+dir+"["+strconv.Itoa(i)+"] ("+v.String()+")")
			}
		}
	}
	return s
}

// selection is, per direction, the positions in m.byNS[namespace] of the
// policies that select a pod (small: kept for every pod of the model).
type selection struct{ ingress, egress []int32 }

// selecting returns the namespace's policies and the positions of those
// selecting pod for one direction. A model's own pods are asked about
// again and again (every rule, port and probe address), so which policies
// select them is computed once; other pods (probes) each time.
func (m *Model) selecting(pod *Pod, egress bool) ([]namedPolicy, []int32) {
	if pod.Peer != nil {
		return nil, nil // a peer's own policies are not the input's
	}
	var sel *selection
	if _, own := m.own[pod]; own {
		if v, ok := m.selections.Load(pod); ok {
			sel = v.(*selection)
		} else {
			sel = m.computeSelection(pod)
			m.selections.Store(pod, sel)
		}
	} else {
		sel = m.computeSelection(pod)
	}
	if egress {
		return m.byNS[pod.Namespace], sel.egress
	}
	return m.byNS[pod.Namespace], sel.ingress
}

func (m *Model) computeSelection(pod *Pod) *selection {
	sel := &selection{}
	for j, named := range m.byNS[pod.Namespace] {
		np := named.NetworkPolicy
		if !m.selects(&np.Spec.PodSelector, pod.Labels) {
			continue
		}
		in, eg := directions(np)
		if in {
			sel.ingress = append(sel.ingress, int32(j))
		}
		if eg {
			sel.egress = append(sel.egress, int32(j))
		}
	}
	sel.ingress, sel.egress = slices.Clip(sel.ingress), slices.Clip(sel.egress)
	return sel
}

// directions applies the API server's policyTypes defaulting: Ingress
// always, Egress only when egress rules are present ("egress: []" without
// policyTypes isolates nothing for egress).
func directions(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		ingress = ingress || t == networkingv1.PolicyTypeIngress
		egress = egress || t == networkingv1.PolicyTypeEgress
	}
	return ingress, egress
}

// selects matches labels against a selector of the model's policies,
// compiling each selector once per model (the policies are read-only).
func (m *Model) selects(sel *metav1.LabelSelector, l map[string]string) bool {
	if v, ok := m.selectors.Load(sel); ok {
		s, _ := v.(labels.Selector)
		return s != nil && s.Matches(labels.Set(l))
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		m.selectors.Store(sel, nil)
		return false
	}
	m.selectors.Store(sel, s)
	return s.Matches(labels.Set(l))
}

// judge evaluates one rule for the connection; other is the pod its peers
// must describe. Ports (named ones resolved on the destination pod) must
// match, then a peer; a port matched only by name cannot be satisfied
// through an ipBlock peer.
func judge(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, policyNS string, c Connection, other *Pod, m *Model) Verdict {
	ok, onlyNamed := portsMatch(ports, c.Port, c.Protocol, c.Dst)
	if !ok {
		return Deny
	}
	bySelector, byIP := peersMatch(peers, policyNS, other, m)
	switch {
	case bySelector == Allow:
		return Allow
	case onlyNamed:
		return bySelector
	}
	return either(bySelector, byIP)
}

// peersMatch says whether a selector peer matches other (no peers, absent
// or empty, means every peer; peers are ORed; within a peer, podSelector
// and namespaceSelector are ANDed; a podSelector alone means the policy's
// namespace) and what the rule's ipBlock peers answer for it: whether an
// ipBlock matches a pod's address is the CNI's to decide. A host-network
// pod that the profile treats as its node is matched by no selector.
func peersMatch(peers []networkingv1.NetworkPolicyPeer, policyNS string, other *Pod, m *Model) (bySelector, byIP Verdict) {
	if len(peers) == 0 {
		return Allow, Allow
	}
	bySelector, byIP = Deny, Deny
	if other.Peer != nil {
		for _, p := range peers {
			if p.IPBlock != nil {
				byIP = either(byIP, m.peerIPBlock(p.IPBlock, other.Peer))
			} else {
				bySelector = either(bySelector, m.peerSelects(p, other.Peer))
			}
		}
		return bySelector, byIP
	}
	node := m.asNode(other)
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			byIP = either(byIP, m.ipBlockVerdict(p.IPBlock, other))
		case node:
		case p.NamespaceSelector != nil:
			if m.selects(p.NamespaceSelector, m.namespaceLabels(other.Namespace)) && (p.PodSelector == nil || m.selects(p.PodSelector, other.Labels)) {
				return Allow, Allow
			}
		case p.PodSelector != nil:
			if other.Namespace == policyNS && m.selects(p.PodSelector, other.Labels) {
				return Allow, Allow
			}
		}
	}
	return bySelector, byIP
}

// namespaceLabels returns a namespace's labels; one the model does not
// know still carries its implicit name label.
func (m *Model) namespaceLabels(ns string) map[string]string {
	if l, ok := m.Namespaces[ns]; ok {
		return l
	}
	return map[string]string{nameLabel: ns}
}

// portsMatch: no ports means every port; a port without number means every
// port of its protocol (TCP by default); a named port resolves on the
// destination pod; endPort makes a range.
func portsMatch(ports []networkingv1.NetworkPolicyPort, port int32, proto corev1.Protocol, dst *Pod) (ok, onlyNamed bool) {
	if len(ports) == 0 {
		return true, false
	}
	named := false
	for _, p := range ports {
		pp := corev1.ProtocolTCP
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		if p.Port == nil {
			return true, false
		}
		if p.Port.Type == 1 { // named
			if dst == nil {
				continue // named ports never match ipBlock peers
			}
			for _, cp := range dst.Ports {
				cpp := cp.Protocol
				if cpp == "" {
					cpp = corev1.ProtocolTCP
				}
				if cp.Name == p.Port.StrVal && cpp == proto && cp.ContainerPort == port {
					named = true
				}
			}
			continue
		}
		lo, hi := p.Port.IntVal, p.Port.IntVal
		if p.EndPort != nil {
			hi = *p.EndPort
		}
		if port >= lo && port <= hi {
			return true, false
		}
	}
	return named, named
}

// CheckExternal answers whether src may send to an address outside the
// cluster: only its egress policies apply; ipBlocks match by CIDR, with
// except; 0.0.0.0/0 does not cover IPv6.
func (m *Model) CheckExternal(src *Pod, addr netip.Addr, port int32, proto corev1.Protocol) Explanation {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	var e Explanation
	e.Egress = m.side(src, true, func(np *networkingv1.NetworkPolicy, i int) Verdict {
		r := np.Spec.Egress[i]
		if ok, _ := portsMatch(r.Ports, port, proto, nil); !ok {
			return Deny
		}
		if len(r.To) == 0 {
			return Allow
		}
		for _, p := range r.To {
			if p.IPBlock != nil && m.ipBlockContains(p.IPBlock, addr) {
				return Allow
			}
		}
		return Deny
	})
	e.Verdict = e.Egress.Verdict
	m.unenforced(&e)
	return e
}

// ipBlockContains reports whether addr is in the block and not excepted.
func (m *Model) ipBlockContains(b *networkingv1.IPBlock, addr netip.Addr) bool {
	return m.parseBlock(b).contains(addr)
}

// block is a parsed ipBlock; ok is false when the CIDR does not parse
// (the API server rejects such a policy; it matches nothing here).
type block struct {
	cidr    netip.Prefix
	excepts []netip.Prefix
	ok      bool
}

func (b block) contains(addr netip.Addr) bool {
	if !b.ok || !b.cidr.Contains(addr) {
		return false
	}
	for _, e := range b.excepts {
		if e.Contains(addr) {
			return false
		}
	}
	return true
}

// parseBlock parses an ipBlock of the model's policies once: rules ask
// about the same policies for every workload, port and probe address.
func (m *Model) parseBlock(b *networkingv1.IPBlock) block {
	if v, ok := m.blocks.Load(b); ok {
		return v.(block)
	}
	pb := block{}
	if p, err := netip.ParsePrefix(strings.TrimSpace(b.CIDR)); err == nil {
		pb.cidr, pb.ok = p.Masked(), true
	}
	for _, ex := range b.Except {
		if e, err := netip.ParsePrefix(strings.TrimSpace(ex)); err == nil {
			pb.excepts = append(pb.excepts, e.Masked())
		}
	}
	m.blocks.Store(b, pb)
	return pb
}

// CheckFromExternal answers whether an address outside the cluster may
// open dst's port: only dst's ingress policies apply; an absent or empty
// from admits it, an ipBlock admits it by CIDR with except (a port matched
// only by name does not count, as in Check), and pod or namespace
// selectors never match it. Whether
// the source address survives to the pod (SNAT by kube-proxy or a load
// balancer) depends on the Service and the CNI; this is the policy's
// answer for the address as given.
func (m *Model) CheckFromExternal(addr netip.Addr, dst *Pod, port int32, proto corev1.Protocol) Explanation {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	var e Explanation
	e.Ingress = m.side(dst, false, func(np *networkingv1.NetworkPolicy, i int) Verdict {
		r := np.Spec.Ingress[i]
		ok, onlyNamed := portsMatch(r.Ports, port, proto, dst)
		if !ok {
			return Deny
		}
		if len(r.From) == 0 {
			return Allow
		}
		for _, p := range r.From {
			// As in Check, a port matched only by name never opens through an ipBlock.
			if p.IPBlock != nil && m.ipBlockContains(p.IPBlock, addr) && !onlyNamed {
				return Allow
			}
		}
		return Deny
	})
	e.Verdict = e.Ingress.Verdict
	m.unenforced(&e)
	return e
}

// unenforced turns e into an allow when the plugin ignores policies.
func (m *Model) unenforced(e *Explanation) {
	if !m.enforced() {
		e.Verdict = Allow
		e.Notes = append(e.Notes, m.cni.Name+" does not enforce NetworkPolicy: "+m.cni.Source())
	}
}
