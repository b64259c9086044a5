package netpol

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// peerShop is a namespace whose frontend serves 8080, isolated by a
// default deny; opening policies are added per case.
func peerShop(extra ...*networkingv1.NetworkPolicy) *Model {
	pods := []*Pod{
		{Namespace: "shop", Name: "Deployment/frontend", Labels: map[string]string{"app": "frontend"}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
		{Namespace: "shop", Name: "Deployment/cart", Labels: map[string]string{"app": "cart"}, Ports: []corev1.ContainerPort{{ContainerPort: 7070}}},
	}
	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}}
	m := NewModel(pods, map[string]map[string]string{"shop": {"team": "shop"}}, append([]*networkingv1.NetworkPolicy{deny}, extra...))
	return m
}

func ingressFrom(name string, peers ...networkingv1.NetworkPolicyPeer) *networkingv1.NetworkPolicy {
	p := intstr.FromInt32(8080)
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: peers, Ports: []networkingv1.NetworkPolicyPort{{Port: &p}}}}}}
}

func withPeers(m *Model, cni *CNI, names ...string) *Model {
	var ps []*Peer
	for _, n := range names {
		p, err := ParsePeer(n)
		if err != nil {
			panic(err)
		}
		ps = append(ps, p)
	}
	m.SetCNI(cni)
	m.SetPeers(append(DefaultPeers(), ps...))
	return m
}

// added renders a diff's additions as "FROM -> TO PORT VERDICT".
func added(r DiffReport) []string {
	var out []string
	for _, c := range r.Added {
		out = append(out, fmt.Sprintf("%s -> %s %s %s", c.From, c.To, c.PortString(), c.Verdict))
	}
	return out
}

// TestDiffReportsOpeningsToPeers: the held-out cases of the segmentation
// gate, each an opening only a peer sees.
func TestDiffReportsOpeningsToPeers(t *testing.T) {
	calico := Profiles["calico"]
	cases := []struct {
		name  string
		open  *networkingv1.NetworkPolicy
		cni   *CNI
		nodes []string
		extra []string // peers besides the defaults
		want  []string // exactly the additions
	}{
		{name: "ipBlock 0.0.0.0/0", cni: Profiles["cilium"],
			open: ingressFrom("open", networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}),
			want: []string{"internet -> shop/Deployment/frontend 8080/TCP allow"}},
		{name: "ipBlock 0.0.0.0/0, CNI unknown: pods and nodes may match it too",
			open: ingressFrom("open", networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}),
			want: []string{"internet -> shop/Deployment/frontend 8080/TCP allow", "namespace:* -> shop/Deployment/frontend 8080/TCP depends",
				"nodes -> shop/Deployment/frontend 8080/TCP depends"}},
		{name: "every namespace", open: ingressFrom("all-ns", networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}}),
			extra: []string{"namespace:{team=payments}"},
			want:  []string{"namespace:* -> shop/Deployment/frontend 8080/TCP allow", "namespace:{team=payments} -> shop/Deployment/frontend 8080/TCP allow"}},
		{name: "a namespace label", open: ingressFrom("team", networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "payments"}}}),
			extra: []string{"namespace:{team=payments}", "namespace:{team=ads}"},
			want:  []string{"namespace:* -> shop/Deployment/frontend 8080/TCP depends", "namespace:{team=payments} -> shop/Deployment/frontend 8080/TCP allow"}},
		{name: "a namespace label and pod labels",
			open: ingressFrom("team-web", networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "payments"}},
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}),
			extra: []string{"namespace:{team=payments}"},
			want:  []string{"namespace:* -> shop/Deployment/frontend 8080/TCP depends", "namespace:{team=payments} -> shop/Deployment/frontend 8080/TCP depends"}},
		{name: "the nodes", cni: calico, nodes: []string{"192.168.10.0/24"},
			open: ingressFrom("nodes", networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/16"}}),
			want: []string{"nodes -> shop/Deployment/frontend 8080/TCP allow"}},
		{name: "part of the internet", cni: calico, nodes: []string{"192.168.10.0/24"},
			open:  ingressFrom("cdn", networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "8.8.0.0/16"}}),
			extra: []string{"cidr:8.8.8.0/24"},
			want:  []string{"cidr:8.8.8.0/24 -> shop/Deployment/frontend 8080/TCP allow", "internet -> shop/Deployment/frontend 8080/TCP depends"}},
		{name: "the internet but a block", cni: calico, nodes: []string{"192.168.10.0/24"},
			open: ingressFrom("most", networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}),
			want: []string{"internet -> shop/Deployment/frontend 8080/TCP allow", "nodes -> shop/Deployment/frontend 8080/TCP allow"}},
		{name: "a same-namespace pod selector opens nothing outside (cart's egress is denied too)",
			open: ingressFrom("cart", networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cart"}}}),
			want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, after := withPeers(peerShop(), c.cni, c.extra...), withPeers(peerShop(c.open), c.cni, c.extra...)
			var nodes []netip.Prefix
			for _, n := range c.nodes {
				nodes = append(nodes, netip.MustParsePrefix(n))
			}
			before.SetNodeAddresses(nodes)
			after.SetNodeAddresses(nodes)
			if c.cni == calico {
				// Calico matches ipBlocks against pod addresses: given the
				// pod CIDR, blocks disjoint from it leave namespace:* out.
				before.SetPodCIDRs([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")})
				after.SetPodCIDRs([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")})
			}
			got := added(Diff(before, after, DiffOptions{}))
			want := c.want
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("added:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(want) > 0 {
				ignored := Diff(before, after, DiffOptions{IgnorePeers: []string{"internet", "namespace:*", "nodes", "namespace:{*", "cidr:*", "shop/*"}})
				if len(ignored.Added) != 0 || ignored.Ignored != len(want) {
					t.Errorf("--ignore-peer left %v, ignored %d", added(ignored), ignored.Ignored)
				}
			}
		})
	}
}

// TestEgressToPeersPartitionsPorts: egress to the internet on 443 only is
// one allowed port and every other port denied, and the explanation says
// which rule.
func TestEgressToPeersPartitionsPorts(t *testing.T) {
	p443 := intstr.FromInt32(443)
	lo, hi := intstr.FromInt32(30000), int32(30100)
	egress := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "out"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "cart"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}}, Ports: []networkingv1.NetworkPolicyPort{{Port: &p443}}},
				{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}}}, Ports: []networkingv1.NetworkPolicyPort{{Port: &lo, EndPort: &hi}}},
			}}}
	m := withPeers(peerShop(egress), Profiles["cilium"], "cidr:203.0.113.0/24")
	var got []string
	for _, e := range m.Edges(EdgeOptions{IncludeDenied: true}) {
		if e.From == "shop/Deployment/cart" && IsPeer(e.To) {
			got = append(got, fmt.Sprintf("%s %s %s", e.To, e.PortString(), e.Verdict))
		}
	}
	want := []string{
		"cidr:203.0.113.0/24 443/TCP allow", "cidr:203.0.113.0/24 30000-30100/TCP allow", "cidr:203.0.113.0/24 */TCP deny", "cidr:203.0.113.0/24 */UDP deny",
		"internet 443/TCP allow", "internet 30000-30100/TCP deny", "internet */TCP deny", "internet */UDP deny",
		"namespace:* 443/TCP deny", "namespace:* 30000-30100/TCP deny", "namespace:* */TCP deny", "namespace:* */UDP deny",
		"nodes 443/TCP deny", "nodes 30000-30100/TCP deny", "nodes */TCP deny", "nodes */UDP deny",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cart's egress to peers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	x := m.Check(Connection{Src: m.Pod("shop/Deployment/cart"), Dst: m.Peer("internet"), Port: 443})
	if x.Verdict != Allow || len(x.Egress.Because) != 1 || !strings.Contains(x.Egress.Because[0], "shop/out egress[0]") {
		t.Errorf("explain cart -> internet 443: %+v", x)
	}
}

// TestPeerParse: the spellings and the errors.
func TestPeerParse(t *testing.T) {
	for in, want := range map[string]string{
		"internet": "internet", "nodes": "nodes", "namespace:*": "namespace:*", "namespace:{b=2,a=1}": "namespace:{a=1,b=2}",
		"namespace:team=x": "namespace:{team=x}", "cidr:10.1.2.3/8": "cidr:10.0.0.0/8", "2001:db8::/32": "cidr:2001:db8::/32",
	} {
		p, err := ParsePeer(in)
		if err != nil || p.Name != want {
			t.Errorf("ParsePeer(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "internets", "namespace:", "namespace:{}", "cidr:10.0.0.0/33", "shop/Deployment/web"} {
		if _, err := ParsePeer(bad); err == nil {
			t.Errorf("ParsePeer(%q) accepted", bad)
		}
	}
}

// randomPeerPolicies builds policies whose peers exercise every peer class:
// ipBlocks inside, across and outside the public ranges, namespace
// selectors empty, on labels, on names, with pod selectors, and egress
// port numbers and ranges.
func randomPeerPolicies(r *rand.Rand, n int) []*networkingv1.NetworkPolicy {
	blocks := []networkingv1.IPBlock{{CIDR: "0.0.0.0/0"}, {CIDR: "0.0.0.0/0", Except: []string{"8.0.0.0/8"}}, {CIDR: "10.0.0.0/8"},
		{CIDR: "8.8.0.0/16"}, {CIDR: "192.168.0.0/16"}, {CIDR: "::/0"}, {CIDR: "0.0.0.0/1"}, {CIDR: "198.51.100.0/24"}}
	peer := func() networkingv1.NetworkPolicyPeer {
		switch r.IntN(6) {
		case 0:
			b := blocks[r.IntN(len(blocks))]
			return networkingv1.NetworkPolicyPeer{IPBlock: &b}
		case 1:
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}}
		case 2:
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprint(r.IntN(3))}}}
		case 3:
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{nameLabel: fmt.Sprintf("ns%d", r.IntN(4))}}}
		case 4:
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}}
		}
		return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}}
	}
	ports := func() []networkingv1.NetworkPolicyPort {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			p := intstr.FromInt32([]int32{80, 443, 8080}[r.IntN(3)])
			return []networkingv1.NetworkPolicyPort{{Port: &p}}
		case 2:
			p, end := intstr.FromInt32(int32(400+r.IntN(100))), int32(450+r.IntN(200))
			return []networkingv1.NetworkPolicyPort{{Port: &p, EndPort: &end}}
		}
		udp := corev1.ProtocolUDP
		return []networkingv1.NetworkPolicyPort{{Protocol: &udp}}
	}
	var out []*networkingv1.NetworkPolicy
	for i := 0; i < n; i++ {
		np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns%d", r.IntN(2)), Name: fmt.Sprint("p", i)},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": []string{"a", "b"}[r.IntN(2)]}}}}
		if r.IntN(3) == 0 {
			np.Spec.PodSelector = metav1.LabelSelector{}
		}
		for k := r.IntN(3); k > 0; k-- {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer()}, Ports: ports()})
		}
		for k := r.IntN(3); k > 0; k-- {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{peer()}, Ports: ports()})
		}
		if r.IntN(2) == 0 {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		}
		out = append(out, np)
	}
	return out
}

// TestDiffPeersProperty: on random models, diff(A, B) reports an added
// connection for a peer exactly when B answers more openly than A, and a
// removed one exactly when less, with the answers taken from Check (the
// per-connection path, not the matrix Diff uses), on every port a probe
// list covers: so the port partition of peer destinations is exact too.
func TestDiffPeersProperty(t *testing.T) {
	probes := []int32{1, 79, 80, 81, 443, 449, 450, 499, 500, 649, 650, 8080, 65535}
	for seed := uint64(1); seed <= 60; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		var pods []*Pod
		for i := 0; i < 5; i++ {
			pods = append(pods, &Pod{Namespace: fmt.Sprintf("ns%d", r.IntN(2)), Name: fmt.Sprint("Deployment/w", i),
				Labels: map[string]string{"app": []string{"a", "b"}[r.IntN(2)]}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}}})
		}
		nsl := map[string]map[string]string{"ns0": {"team": "0"}, "ns1": {"team": "1"}}
		cni := []*CNI{nil, Profiles["calico"], Profiles["cilium"]}[r.IntN(3)]
		mk := func(nps []*networkingv1.NetworkPolicy) *Model {
			m := NewModel(append([]*Pod{}, pods...), nsl, nps)
			m.SetCNI(cni)
			var extra []*Peer
			for _, s := range []string{"internet6", "namespace:{team=1}", "namespace:{team=2}", "cidr:8.8.8.0/24"} {
				p, _ := ParsePeer(s)
				extra = append(extra, p)
			}
			m.SetPeers(append(DefaultPeers(), extra...))
			if r.IntN(2) == 0 {
				m.SetNodeAddresses([]netip.Prefix{netip.MustParsePrefix("192.168.5.0/24")})
			}
			return m
		}
		a, b := mk(randomPeerPolicies(r, 4)), mk(randomPeerPolicies(r, 4))
		b.SetNodeAddresses(nil)
		a.SetNodeAddresses(nil)
		d := Diff(a, b, DiffOptions{})
		changes := map[string]Change{}
		for _, c := range append(append([]Change{}, d.Added...), d.Removed...) {
			changes[c.From+">"+c.To+">"+c.PortString()] = c
		}
		peersA := a.Peers()
		checked := 0
		for _, src := range append(append([]*Pod{}, a.Pods...), peersA...) {
			for _, dst := range append(append([]*Pod{}, a.Pods...), peersA...) {
				if src == dst || src.Peer != nil && dst.Peer != nil || src.Peer == nil && dst.Peer == nil {
					continue // pod pairs are the conformance tests' business
				}
				for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
					var ports []int32
					if dst.Peer == nil {
						for _, cp := range dst.Ports {
							if orTCP(cp.Protocol) == proto {
								ports = append(ports, cp.ContainerPort)
							}
						}
					} else {
						ports = probes
					}
					for _, port := range ports {
						ca := a.Check(Connection{Src: a.lookup(src.ID()), Dst: a.lookup(dst.ID()), Port: port, Protocol: proto})
						cb := b.Check(Connection{Src: b.lookup(src.ID()), Dst: b.lookup(dst.ID()), Port: port, Protocol: proto})
						key, ok := cellKey(b, src.ID(), dst.ID(), port, proto)
						if !ok {
							if dst.Peer != nil && proto == corev1.ProtocolTCP {
								t.Fatalf("seed %d: no partition cell for %s -> %s %d/%s", seed, src.ID(), dst.ID(), port, proto)
							}
							continue // a protocol no rule names for the peer
						}
						c, changed := changes[key]
						checked++
						switch {
						case cb.Verdict < ca.Verdict && (!changed || c.Verdict != cb.Verdict || c.Before != ca.Verdict || c.Verdict > c.Before):
							t.Fatalf("seed %d: %s -> %s %d/%s opened (%s -> %s) but diff says %+v (present %v)", seed, src.ID(), dst.ID(), port, proto, ca.Verdict, cb.Verdict, c, changed)
						case cb.Verdict > ca.Verdict && (!changed || c.Verdict != cb.Verdict || c.Before != ca.Verdict):
							t.Fatalf("seed %d: %s -> %s %d/%s closed (%s -> %s) but diff says %+v (present %v)", seed, src.ID(), dst.ID(), port, proto, ca.Verdict, cb.Verdict, c, changed)
						case cb.Verdict == ca.Verdict && changed:
							t.Fatalf("seed %d: %s -> %s %d/%s unchanged (%s) but diff reports %+v", seed, src.ID(), dst.ID(), port, proto, ca.Verdict, c)
						}
					}
				}
			}
		}
		if checked < 100 {
			t.Fatalf("seed %d: only %d connections checked", seed, checked)
		}
	}
}

// cellKey finds the matrix row of model m that answers for one port: the
// port itself, the range holding it, or "any other port".
func cellKey(m *Model, from, to string, port int32, proto corev1.Protocol) (string, bool) {
	if !IsPeer(to) {
		return from + ">" + to + ">" + PortVerdict{Port: port, Protocol: proto}.PortString(), true
	}
	var other string
	for _, pv := range m.peerDestinationPorts() {
		if pv.Protocol != proto {
			continue
		}
		switch {
		case pv.AnyOther:
			other = pv.PortString()
		case pv.Port == port || pv.EndPort >= port && pv.Port <= port:
			return from + ">" + to + ">" + pv.PortString(), true
		}
	}
	if other == "" {
		return "", false
	}
	return from + ">" + to + ">" + other, true
}
