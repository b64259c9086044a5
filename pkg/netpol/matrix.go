package netpol

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Class is a set of pods that every policy treats alike: same namespace,
// labels, ports and host-network flag.
type Class struct {
	Rep  *Pod
	Pods []*Pod
}

// Cell is the matrix entry for one source class and destination class:
// the destination's declared ports and the verdict for each.
type Cell struct {
	Src, Dst *Class
	Ports    []PortVerdict
}

// PortVerdict is the verdict for one destination port.
type PortVerdict struct {
	Port int32
	// EndPort ends a range of ports that rules treat alike (0: just Port);
	// only a peer destination has ranges.
	EndPort int32
	// AnyOther is set on a peer destination's port that stands for every
	// port no rule names (Port is one of them).
	AnyOther bool
	Protocol corev1.Protocol
	Verdict  Verdict
}

// PortString is "8080/TCP", "1000-2000/TCP" or "*/TCP" (any other port).
func (p PortVerdict) PortString() string {
	switch {
	case p.AnyOther:
		return "*/" + string(p.Protocol)
	case p.EndPort > p.Port:
		return fmt.Sprintf("%d-%d/%s", p.Port, p.EndPort, p.Protocol)
	}
	return fmt.Sprintf("%d/%s", p.Port, p.Protocol)
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

type compiledRule struct {
	peers     bitset // classes a selector peer matches
	maybe     bitset // peer classes a selector matches for some members
	ipAllow   bitset // classes an ipBlock peer matches
	ipDepends bitset // classes for which an ipBlock match is the CNI's to decide
	all       bool   // no peers: everyone
	ports     []networkingv1.NetworkPolicyPort
}

type compiledPolicy struct {
	ingress, egress           bool
	ingressRules, egressRules []compiledRule
}

// Classes groups the model's pods, once per model.
func (m *Model) Classes() []*Class {
	m.classOnce.Do(func() { m.classes = m.computeClasses() })
	return m.classes
}

func (m *Model) computeClasses() []*Class {
	byKey := map[string]*Class{}
	var out []*Class
	blocks := m.ipBlocks()
	for _, p := range m.Pods {
		k := classKey(p) + "\x00" + m.ipBlockKey(p, blocks)
		c := byKey[k]
		if c == nil {
			c = &Class{Rep: p}
			byKey[k] = c
			out = append(out, c)
		}
		c.Pods = append(c.Pods, p)
	}
	return out
}

func classKey(p *Pod) string {
	keys := make([]string, 0, len(p.Labels))
	for k, v := range p.Labels {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	var ports []string
	for _, cp := range p.Ports {
		ports = append(ports, fmt.Sprintf("%s:%d/%s", cp.Name, cp.ContainerPort, cp.Protocol))
	}
	sort.Strings(ports)
	return p.Namespace + "\x00" + strings.Join(keys, ",") + "\x00" + strings.Join(ports, ",") + fmt.Sprint(p.HostNetwork)
}

// Matrix computes the verdict of every (source class, destination class,
// destination port) triple. Each policy's selections and peers are matched
// against every class once; a pair then costs a few bit tests per rule.
func (m *Model) Matrix() []Cell {
	own := m.Classes()
	classes := own
	if len(m.peers) > 0 {
		classes = append(append(make([]*Class, 0, len(own)+len(m.peers)), own...), peerClasses(m.peers)...)
	}
	n := len(classes)
	compiled := make([]compiledPolicy, len(m.Policies))
	ingressOf := make([][]int, n) // class -> policies isolating it for ingress
	egressOf := make([][]int, n)
	for pi, np := range m.Policies {
		cp := &compiled[pi]
		cp.ingress, cp.egress = directions(np)
		compile := func(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) compiledRule {
			r := compiledRule{all: len(peers) == 0, ports: ports, peers: newBitset(n), maybe: newBitset(n), ipAllow: newBitset(n), ipDepends: newBitset(n)}
			if r.all {
				return r
			}
			for ci, c := range classes {
				bySelector, byIP := peersMatch(peers, np.Namespace, c.Rep, m)
				if bySelector == Allow {
					r.peers.set(ci)
					continue
				}
				if bySelector == Depends {
					r.maybe.set(ci)
				}
				switch byIP {
				case Allow:
					r.ipAllow.set(ci)
				case Depends:
					r.ipDepends.set(ci)
				}
			}
			return r
		}
		for _, r := range np.Spec.Ingress {
			cp.ingressRules = append(cp.ingressRules, compile(r.From, r.Ports))
		}
		for _, r := range np.Spec.Egress {
			cp.egressRules = append(cp.egressRules, compile(r.To, r.Ports))
		}
		for ci, c := range own {
			if c.Rep.Namespace != np.Namespace || m.asNode(c.Rep) || !m.selects(&np.Spec.PodSelector, c.Rep.Labels) {
				continue
			}
			if cp.ingress {
				ingressOf[ci] = append(ingressOf[ci], pi)
			}
			if cp.egress {
				egressOf[ci] = append(egressOf[ci], pi)
			}
		}
	}
	side := func(policies []int, egress bool, other int, port int32, proto corev1.Protocol, dst *Pod) Verdict {
		if len(policies) == 0 {
			return Allow
		}
		v := Deny
		for _, pi := range policies {
			rules := compiled[pi].ingressRules
			if egress {
				rules = compiled[pi].egressRules
			}
			for _, r := range rules {
				ok, onlyNamed := portsMatch(r.ports, port, proto, dst)
				if !ok {
					continue
				}
				if r.all || r.peers.has(other) {
					return Allow
				}
				if r.maybe.has(other) {
					v = Depends
				}
				switch {
				case onlyNamed: // a port matched by name never opens through an ipBlock
				case r.ipAllow.has(other):
					return Allow
				case r.ipDepends.has(other):
					v = Depends
				}
			}
		}
		return v
	}
	dstPorts := make([][]PortVerdict, n)
	total := 0
	var peerPorts []PortVerdict
	if len(m.peers) > 0 {
		peerPorts = m.peerDestinationPorts()
	}
	for di, d := range classes {
		if d.Rep.Peer != nil {
			dstPorts[di] = peerPorts
		} else {
			dstPorts[di] = destinationPorts(d.Rep)
		}
		total += len(dstPorts[di])
	}
	out := make([]Cell, 0, n*n)
	arena := make([]PortVerdict, 0, n*total) // every cell's ports, carved from one allocation
	for si, s := range classes {
		for di, d := range classes {
			if s.Rep.Peer != nil && d.Rep.Peer != nil {
				continue // between two peers no input policy applies
			}
			cell := Cell{Src: s, Dst: d}
			start := len(arena)
			for _, cp := range dstPorts[di] {
				var v Verdict
				if si == di && len(s.Pods) == 1 || !m.enforced() {
					v = Allow // a pod reaches itself; a plugin that ignores policies allows all
				} else {
					v = both(side(egressOf[si], true, di, cp.Port, cp.Protocol, d.Rep), side(ingressOf[di], false, si, cp.Port, cp.Protocol, d.Rep))
					isolated := len(egressOf[si]) > 0 || len(ingressOf[di]) > 0
					if (s.Rep.HostNetwork || d.Rep.HostNetwork) && m.hostNetworkUndecided() && (v != Allow || isolated) {
						v = Depends
					}
					if cp.Protocol == corev1.ProtocolSCTP && v == Allow && isolated && m.sctpUndecided() {
						v = Depends
					}
				}
				cp.Verdict = v
				arena = append(arena, cp)
			}
			cell.Ports = arena[start:len(arena):len(arena)]
			out = append(out, cell)
		}
	}
	return out
}

// destinationPorts are the ports a destination declares.
func destinationPorts(p *Pod) []PortVerdict {
	var out []PortVerdict
	seen := map[string]bool{}
	for _, cp := range p.Ports {
		proto := cp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		k := fmt.Sprint(cp.ContainerPort, proto)
		if !seen[k] {
			seen[k] = true
			out = append(out, PortVerdict{Port: cp.ContainerPort, Protocol: proto})
		}
	}
	return out
}
