package netpol

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// randomModel builds a reproducible cluster of pods and policies.
// Pods are replicas of workloads (replicas per workload): replicas share
// their labels, as a controller's pods do.
func randomModel(seed uint64, pods, namespaces, policies int) *Model {
	return randomModelReplicas(seed, pods, namespaces, policies, 1)
}

func randomModelReplicas(seed uint64, pods, namespaces, policies, replicas int) *Model {
	r := rand.New(rand.NewPCG(seed, 1))
	ns := map[string]map[string]string{}
	for i := 0; i < namespaces; i++ {
		ns[fmt.Sprintf("ns%d", i)] = map[string]string{"team": fmt.Sprint(i % 5), "env": []string{"prod", "dev"}[i%2]}
	}
	var ps []*Pod
	for i := 0; i < pods/replicas; i++ {
		app := fmt.Sprintf("app%d", r.IntN(40))
		namespace := fmt.Sprintf("ns%d", r.IntN(namespaces))
		labels := map[string]string{"app": app, "tier": []string{"web", "db", "cache"}[r.IntN(3)], "workload": fmt.Sprint(i)}
		host := r.IntN(50) == 0
		ports := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}}
		if r.IntN(10) == 0 {
			ports = append(ports, corev1.ContainerPort{Name: "sig", ContainerPort: 3868, Protocol: corev1.ProtocolSCTP})
		}
		for k := 0; k < replicas; k++ {
			ps = append(ps, &Pod{Namespace: namespace, Name: fmt.Sprintf("w%d-%d", i, k), Labels: labels, HostNetwork: host, Ports: ports, IPs: randomIPs(r, host)})
		}
	}
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	var nps []*networkingv1.NetworkPolicy
	for i := 0; i < policies; i++ {
		sel := metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("app%d", r.IntN(40))}}
		if r.IntN(5) == 0 {
			sel = metav1.LabelSelector{}
		}
		peer := func() networkingv1.NetworkPolicyPeer {
			switch r.IntN(5) {
			case 0:
				return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}}
			case 1:
				return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}
			case 2:
				return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprint(r.IntN(5))}},
					PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "db"}}}
			case 3:
				return networkingv1.NetworkPolicyPeer{IPBlock: []*networkingv1.IPBlock{
					{CIDR: "10.0.0.0/8"}, {CIDR: "10.0.0.0/8", Except: []string{"10.2.0.0/16"}}, {CIDR: "0.0.0.0/0"}, {CIDR: "fd00::/8"}, {CIDR: "172.16.0.0/12"},
				}[r.IntN(5)]}
			}
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}}
		}
		port := func() []networkingv1.NetworkPolicyPort {
			switch r.IntN(4) {
			case 0:
				return nil
			case 1:
				p := intstr.FromInt32(8080)
				return []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p}}
			case 2:
				p := intstr.FromString("metrics")
				return []networkingv1.NetworkPolicyPort{{Port: &p}}
			}
			p := intstr.FromInt32(8000)
			end := int32(8100)
			return []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p, EndPort: &end}, {Protocol: &udp}}
		}
		spec := networkingv1.NetworkPolicySpec{PodSelector: sel}
		switch r.IntN(3) {
		case 0:
			spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		case 1:
			spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		}
		for j := 0; j < r.IntN(3); j++ {
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer()}, Ports: port()})
		}
		for j := 0; j < r.IntN(2); j++ {
			spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{peer(), peer()}, Ports: port()})
		}
		nps = append(nps, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np%d", i), Namespace: fmt.Sprintf("ns%d", r.IntN(namespaces))}, Spec: spec})
	}
	return NewModel(ps, ns, nps)
}

// randomIPs gives a pod no address (a template), one from one of three
// ranges, or a dual-stack pair; a host-network pod gets a node address.
func randomIPs(r *rand.Rand, host bool) []netip.Addr {
	a := func(f string, args ...any) netip.Addr { return netip.MustParseAddr(fmt.Sprintf(f, args...)) }
	if host {
		return []netip.Addr{a("172.16.0.%d", r.IntN(250)+1)}
	}
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return []netip.Addr{a("10.1.%d.%d", r.IntN(250), r.IntN(250)+1)}
	case 2:
		return []netip.Addr{a("10.2.%d.%d", r.IntN(250), r.IntN(250)+1)}
	case 3:
		return []netip.Addr{a("192.168.%d.%d", r.IntN(250), r.IntN(250)+1)}
	}
	return []netip.Addr{a("10.1.%d.%d", r.IntN(250), r.IntN(250)+1), a("fd00::%x", r.IntN(60000)+1)}
}

// TestMatrixEqualsCheck: the class-based matrix must give, for every pair
// of pods and every destination port, the verdict of the reference Check.
func TestMatrixEqualsCheck(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		m := randomModelReplicas(seed, 300, 8, 60, 1+int(seed%3))
		classOf := map[*Pod]*Class{}
		for _, c := range m.Classes() {
			for _, p := range c.Pods {
				classOf[p] = c
			}
		}
		cells := map[[2]*Class]Cell{}
		for _, c := range m.Matrix() {
			cells[[2]*Class{c.Src, c.Dst}] = c
		}
		var allow, deny, depends int
		for _, s := range m.Pods {
			for _, d := range m.Pods {
				cell := cells[[2]*Class{classOf[s], classOf[d]}]
				for _, pv := range cell.Ports {
					want := m.Check(Connection{Src: s, Dst: d, Port: pv.Port, Protocol: pv.Protocol}).Verdict
					got := pv.Verdict
					if s != d && classOf[s] == classOf[d] && len(classOf[s].Pods) > 1 {
						// two pods of one class: the matrix answers for distinct pods
					} else if s == d {
						got = Allow
					}
					if got != want {
						t.Fatalf("seed %d: %s -> %s %d/%s: matrix %v, check %v", seed, s.ID(), d.ID(), pv.Port, pv.Protocol, got, want)
					}
					switch want {
					case Allow:
						allow++
					case Deny:
						deny++
					default:
						depends++
					}
				}
			}
		}
		if allow == 0 || deny == 0 || depends == 0 {
			t.Errorf("seed %d too one-sided: %d allow, %d deny, %d depends", seed, allow, deny, depends)
		}
	}
}

// BenchmarkMatrix10kPods: the full matrix for 10,000 pods (1,000 workloads
// of 10 replicas) in 100 namespaces and 1,000 policies.
func BenchmarkMatrix10kPods(b *testing.B) {
	benchMatrix(b, randomModelReplicas(42, 10000, 100, 1000, 10))
}

// benchMatrix times the full matrix of m and reports its size and the heap.
func benchMatrix(b *testing.B, m *Model) {
	b.ResetTimer()
	var cells int
	for i := 0; i < b.N; i++ {
		cells = len(m.Matrix())
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(len(m.Classes())), "classes")
	b.ReportMetric(float64(cells), "cells")
	b.ReportMetric(float64(ms.HeapSys)/1e6, "MB-heap-sys")
}

// TestMatrixEqualsCheckUnderProfiles: the class matrix and the per-pair
// engine agree under every CNI profile too, and the profiles change what
// they claim to: cilium settles every ipBlock-for-a-pod case, flannel
// allows everything.
func TestMatrixEqualsCheckUnderProfiles(t *testing.T) {
	type variant struct {
		cni   *CNI
		cidrs []netip.Prefix
	}
	variants := map[string]variant{"calico+pod-cidr": {Profiles["calico"], []netip.Prefix{netip.MustParsePrefix("10.0.0.0/9"), netip.MustParsePrefix("fd00::/64")}}}
	for name, cni := range Profiles {
		variants[name] = variant{cni, nil}
	}
	for name, v := range variants {
		m := randomModelReplicas(7, 200, 6, 40, 2)
		m.SetCNI(v.cni)
		m.SetPodCIDRs(v.cidrs)
		verdicts := map[Verdict]int{}
		for _, c := range m.Matrix() {
			for _, pv := range c.Ports {
				for _, s := range c.Src.Pods {
					for _, d := range c.Dst.Pods {
						if s == d {
							continue
						}
						e := m.Check(Connection{Src: s, Dst: d, Port: pv.Port, Protocol: pv.Protocol})
						if pv.Verdict != e.Verdict {
							t.Fatalf("%s: %s -> %s %d/%s: matrix %v, check %v", name, s.ID(), d.ID(), pv.Port, pv.Protocol, pv.Verdict, e.Verdict)
						}
						verdicts[e.Verdict]++
						if name == "calico" && e.Verdict == Depends && len(s.IPs) > 0 && len(d.IPs) > 0 {
							t.Fatalf("calico: %s -> %s %d/%s depends although both addresses are known: %+v", s.ID(), d.ID(), pv.Port, pv.Protocol, e)
						}
					}
				}
			}
		}
		switch name {
		case "flannel":
			if verdicts[Deny]+verdicts[Depends] != 0 || verdicts[Allow] == 0 {
				t.Errorf("flannel: %v, want only allow", verdicts)
			}
		case "cilium":
			if verdicts[Deny] == 0 || verdicts[Allow] == 0 {
				t.Errorf("cilium: %v", verdicts)
			}
		case "calico":
			if verdicts[Deny] == 0 || verdicts[Allow] == 0 || verdicts[Depends] == 0 {
				t.Errorf("calico: %v (want all three: pods without addresses stay undecided)", verdicts)
			}
		}
		t.Logf("%s: %v", name, verdicts)
	}
}

// BenchmarkMatrix10kPodsCalico is the same model under the calico profile,
// where pods whose addresses fall in different ipBlocks fall into
// different classes. "pod-cidr": every pod address in one pod CIDR, as in
// a cluster; "spread": addresses over five ranges the random ipBlocks cut
// apart (and some unknown), the worst case for the class count.
func BenchmarkMatrix10kPodsCalico(b *testing.B) {
	for _, spread := range []bool{false, true} {
		name := map[bool]string{false: "pod-cidr", true: "spread"}[spread]
		b.Run(name, func(b *testing.B) {
			m := randomModelReplicas(42, 10000, 100, 1000, 10)
			if !spread {
				for i, p := range m.Pods {
					if !p.HostNetwork {
						p.IPs = []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(i%250 + 1)})}
					}
				}
			}
			calico, _ := Profile("calico")
			m.SetCNI(calico)
			benchMatrix(b, m)
		})
	}
}
