package netpol

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func policy(ns, name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
}

func TestCNIDependentAnswers(t *testing.T) {
	web := &Pod{Namespace: "x", Name: "web", Labels: map[string]string{"app": "web"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	client := &Pod{Namespace: "y", Name: "client", Labels: map[string]string{"app": "client"}}
	host := &Pod{Namespace: "y", Name: "agent", HostNetwork: true}
	tcp := corev1.ProtocolTCP
	named := intstr.FromString("http")
	ipOnly := policy("x", "ip-only", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}})
	m := NewModel([]*Pod{web, client, host}, nil, []*networkingv1.NetworkPolicy{ipOnly})
	if v := m.Check(Connection{Src: client, Dst: web, Port: 8080}).Verdict; v != Depends {
		t.Errorf("ipBlock peer for a pod: %v, want depends (pod IPs are the CNI's)", v)
	}
	if v := m.Check(Connection{Src: host, Dst: web, Port: 8080}).Verdict; v != Depends {
		t.Errorf("host-network source: %v, want depends", v)
	}
	if v := m.Check(Connection{Src: web, Dst: web, Port: 1}).Verdict; v != Allow {
		t.Errorf("a pod reaches itself: %v", v)
	}
	// A named port never matches an ipBlock peer.
	ipNamed := policy("x", "ip-named", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &named}}}}})
	m = NewModel([]*Pod{web, client}, nil, []*networkingv1.NetworkPolicy{ipNamed})
	if v := m.Check(Connection{Src: client, Dst: web, Port: 8080}).Verdict; v != Deny {
		t.Errorf("named port with an ipBlock peer: %v, want deny", v)
	}
	// SCTP support is the CNI's.
	sctp := corev1.ProtocolSCTP
	allowSCTP := policy("x", "sctp", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &sctp}}}}})
	m = NewModel([]*Pod{web, client}, nil, []*networkingv1.NetworkPolicy{allowSCTP})
	if v := m.Check(Connection{Src: client, Dst: web, Port: 9, Protocol: sctp}).Verdict; v != Depends {
		t.Errorf("SCTP: %v, want depends", v)
	}
}

func TestExternalIPBlocks(t *testing.T) {
	pod := &Pod{Namespace: "x", Name: "app", Labels: map[string]string{"app": "a"}}
	p := policy("x", "egress", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{}, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.169.254/32", "10.0.0.0/8"}}}}}}})
	m := NewModel([]*Pod{pod}, nil, []*networkingv1.NetworkPolicy{p})
	cases := map[string]Verdict{
		"93.184.216.34":   Allow,
		"169.254.169.254": Deny, // excepted: the cloud metadata endpoint
		"10.1.2.3":        Deny,
		"2001:db8::1":     Deny, // 0.0.0.0/0 does not cover IPv6
		"fd00:ec2::254":   Deny,
	}
	for ip, want := range cases {
		if got := m.CheckExternal(pod, netip.MustParseAddr(ip), 443, "").Verdict; got != want {
			t.Errorf("%s: %v, want %v", ip, got, want)
		}
	}
}

func TestCheckFromExternal(t *testing.T) {
	web := &Pod{Namespace: "x", Name: "web", Labels: map[string]string{"app": "web"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	tcp := corev1.ProtocolTCP
	p8080, named := intstr.FromInt32(8080), intstr.FromString("http")
	sel := metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	pub, inside, v6 := netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1")
	for _, c := range []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		addr     netip.Addr
		port     int32
		want     Verdict
	}{
		{"not isolated", nil, pub, 8080, Allow},
		{"deny all", []*networkingv1.NetworkPolicy{policy("x", "deny", networkingv1.NetworkPolicySpec{PodSelector: sel})}, pub, 8080, Deny},
		{"empty from", []*networkingv1.NetworkPolicy{policy("x", "any", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p8080}}}}})}, pub, 8080, Allow},
		{"empty from, other port", []*networkingv1.NetworkPolicy{policy("x", "any", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p8080}}}}})}, pub, 9090, Deny},
		{"private ipBlock", []*networkingv1.NetworkPolicy{policy("x", "private", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}})}, pub, 8080, Deny},
		{"private ipBlock, inside", []*networkingv1.NetworkPolicy{policy("x", "private", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}})}, inside, 8080, Allow},
		{"0.0.0.0/0 is not IPv6", []*networkingv1.NetworkPolicy{policy("x", "world4", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}}}}})}, v6, 8080, Deny},
		{"named port through ipBlock", []*networkingv1.NetworkPolicy{policy("x", "named", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &named}}}}})}, pub, 8080, Deny},
		{"namespace selector", []*networkingv1.NetworkPolicy{policy("x", "ns", networkingv1.NetworkPolicySpec{PodSelector: sel,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}}}})}, pub, 8080, Deny},
	} {
		m := NewModel([]*Pod{web}, nil, c.policies)
		if got := m.CheckFromExternal(c.addr, web, c.port, "").Verdict; got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCNIProfilesSettleTheOpenCases(t *testing.T) {
	web := &Pod{Namespace: "x", Name: "web", Labels: map[string]string{"app": "web"}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}
	client := &Pod{Namespace: "y", Name: "client"}
	ipOnly := policy("x", "ip-only", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}})
	m := NewModel([]*Pod{web, client}, nil, []*networkingv1.NetworkPolicy{ipOnly})
	if v := m.Check(Connection{Src: client, Dst: web, Port: 8080}).Verdict; v != Depends {
		t.Fatalf("no profile: %v", v)
	}
	cilium, err := Profile("Cilium")
	if err != nil {
		t.Fatal(err)
	}
	m.SetCNI(cilium)
	if v := m.Check(Connection{Src: client, Dst: web, Port: 8080}).Verdict; v != Deny {
		t.Errorf("cilium: ipBlock never matches a pod: %v, want deny", v)
	}
	flannel, _ := Profile("flannel")
	m.SetCNI(flannel)
	if e := m.Check(Connection{Src: client, Dst: web, Port: 8080}); e.Verdict != Allow || len(e.Notes) == 0 {
		t.Errorf("flannel enforces nothing: %+v", e)
	}
	if _, err := Profile("weave-ish"); err == nil {
		t.Error("unknown profile accepted")
	}
}

// TestCalicoProfile: ipBlocks match pods by address (undecided without
// one), a host-network pod is its node (selectors miss it, its policies do
// not bind it, ipBlocks match the node address), SCTP verdicts stand.
func TestCalicoProfile(t *testing.T) {
	calico, err := Profile("calico")
	if err != nil {
		t.Fatal(err)
	}
	web := &Pod{Namespace: "x", Name: "web", Labels: map[string]string{"app": "web"}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 3868, Protocol: corev1.ProtocolSCTP}}, IPs: ParseIPs("10.1.0.5")}
	inside := &Pod{Namespace: "y", Name: "inside", Labels: map[string]string{"app": "client"}, IPs: ParseIPs("10.2.0.7")}
	outside := &Pod{Namespace: "y", Name: "outside", Labels: map[string]string{"app": "client"}, IPs: ParseIPs("192.168.3.4")}
	template := &Pod{Namespace: "y", Name: "Deployment/template", Labels: map[string]string{"app": "client"}}
	node := &Pod{Namespace: "y", Name: "node-agent", Labels: map[string]string{"app": "client"}, HostNetwork: true, IPs: ParseIPs("172.16.0.9")}
	sctp := corev1.ProtocolSCTP
	spec := networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{
			{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.3.0.0/16"}}}}},
			{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}, Ports: []networkingv1.NetworkPolicyPort{{Protocol: &sctp}}},
		}}
	// The node agent's own policy would isolate it if it were a pod.
	isolateNode := networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}}, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}
	m := NewModel([]*Pod{web, inside, outside, template, node}, nil, []*networkingv1.NetworkPolicy{policy("x", "web", spec), policy("y", "clients", isolateNode)})
	m.SetCNI(calico)
	type question struct {
		src   *Pod
		port  int32
		proto corev1.Protocol
		want  Verdict
	}
	ask := func(m *Model, qs []question) {
		t.Helper()
		for _, q := range qs {
			if got := m.Check(Connection{Src: q.src, Dst: web, Port: q.port, Protocol: q.proto}).Verdict; got != q.want {
				t.Errorf("%s -> web %d/%s: %v, want %v", q.src.ID(), q.port, q.proto, got, q.want)
			}
		}
	}
	ask(m, []question{
		{inside, 8080, "", Deny},                // egress of y/* is isolated by "clients"
		{node, 8080, "", Deny},                  // node 172.16.0.9 is outside 10/8; its own egress policy does not bind it
		{node, 3868, corev1.ProtocolSCTP, Deny}, // namespace selectors never match node traffic
	})
	// Without the clients' egress isolation, the ingress side decides.
	m = NewModel([]*Pod{web, inside, outside, template, node}, nil, []*networkingv1.NetworkPolicy{policy("x", "web", spec)})
	m.SetCNI(calico)
	ask(m, []question{
		{inside, 8080, "", Allow},                  // 10.2.0.7 in 10/8
		{outside, 8080, "", Deny},                  // 192.168.3.4 outside
		{template, 8080, "", Depends},              // no address known
		{node, 8080, "", Deny},                     // node address outside 10/8
		{inside, 3868, corev1.ProtocolSCTP, Allow}, // SCTP verdict stands under calico
	})
	// Without a profile, the same SCTP and host-network questions stay open.
	m = NewModel([]*Pod{web, inside, node}, nil, []*networkingv1.NetworkPolicy{policy("x", "web", spec)})
	if got := m.Check(Connection{Src: inside, Dst: web, Port: 3868, Protocol: corev1.ProtocolSCTP}).Verdict; got != Depends {
		t.Errorf("no profile, SCTP: %v, want depends", got)
	}
	if got := m.Check(Connection{Src: node, Dst: web, Port: 8080}).Verdict; got != Depends {
		t.Errorf("no profile, host network: %v, want depends", got)
	}
}

// TestIPBlockVersusPodCIDRs: under calico, a pod without an address lies
// somewhere in the pod CIDRs: a block holding a whole pod CIDR matches it,
// a block outside all of them (or excepting them) does not, the rest is open.
func TestIPBlockVersusPodCIDRs(t *testing.T) {
	calico, _ := Profile("calico")
	m := NewModel(nil, nil, nil)
	m.SetCNI(calico)
	tmpl := &Pod{Namespace: "x", Name: "Deployment/t"}
	if v := m.ipBlockVerdict(&networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, tmpl); v != Depends {
		t.Errorf("no pod CIDRs: %v, want depends", v)
	}
	m.SetPodCIDRs([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")})
	for _, tc := range []struct {
		cidr   string
		except []string
		want   Verdict
	}{
		{"0.0.0.0/0", nil, Allow},
		{"10.0.0.0/8", nil, Allow},
		{"10.244.0.0/16", nil, Allow},
		{"0.0.0.0/0", []string{"10.0.0.0/8"}, Deny},                  // the internet-only egress rule
		{"0.0.0.0/0", []string{"10.0.0.0/8", "172.16.0.0/12"}, Deny}, //
		{"203.0.113.0/24", nil, Deny},                                // outside every pod CIDR
		{"10.244.3.0/24", nil, Depends},                              // part of the pod CIDR
		{"10.0.0.0/8", []string{"10.244.7.0/24"}, Depends},           // a hole in the pod CIDR
		{"::/0", nil, Allow},                                         // the IPv6 pod CIDR
		{"::/0", []string{"fd00::/8"}, Deny},                         //
		{"2001:db8::/32", nil, Deny},                                 //
	} {
		if v := m.ipBlockVerdict(&networkingv1.IPBlock{CIDR: tc.cidr, Except: tc.except}, tmpl); v != tc.want {
			t.Errorf("%s except %v: %v, want %v", tc.cidr, tc.except, v, tc.want)
		}
	}
	// A pod with a known address is still judged by it.
	live := &Pod{Namespace: "x", Name: "Pod/p", IPs: ParseIPs("10.244.3.9")}
	if v := m.ipBlockVerdict(&networkingv1.IPBlock{CIDR: "10.244.3.0/24"}, live); v != Allow {
		t.Errorf("live pod: %v, want allow", v)
	}
}
