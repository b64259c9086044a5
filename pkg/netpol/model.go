package netpol

import (
	"net/netip"
	"sort"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"go4.org/netipx"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// nameLabel is the label every namespace carries with its own name.
const nameLabel = "kubernetes.io/metadata.name"

// Pod is a pod (or a workload's pod template) as policies see it.
type Pod struct {
	Namespace string
	// Name names the workload ("Deployment/web") or the pod.
	Name        string
	Labels      map[string]string
	Ports       []corev1.ContainerPort
	HostNetwork bool
	// IPs are the pod's addresses (status.podIPs; the node's for a
	// host-network pod) when known: a live pod, not a template.
	IPs []netip.Addr
	// Peer is set on an abstract peer (the internet, the nodes, a
	// namespace outside the input): then Name is the peer's name.
	Peer *Peer
}

// ID is "namespace/name", or the peer's name.
func (p *Pod) ID() string {
	if p.Peer != nil {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Model is the pods, namespaces and policies of a cluster or a manifest set.
type Model struct {
	Pods       []*Pod
	Namespaces map[string]map[string]string // name -> labels
	Policies   []*networkingv1.NetworkPolicy
	// Services are connection targets for CheckService.
	Services   []*Service
	byNS       map[string][]namedPolicy
	classOnce  sync.Once
	classes    []*Class
	byID       map[string]*Pod
	own        map[*Pod]struct{} // the model's pods, as opposed to probes
	selectors  sync.Map          // *metav1.LabelSelector -> labels.Selector (nil when invalid)
	selections sync.Map          // *Pod -> *selection, for the model's own pods
	blocks     sync.Map          // *networkingv1.IPBlock -> block, parsed once
	cni        *CNI
	podCIDRs   []netip.Prefix
	// translatedOnce guards translated, the Service ports with a different target.
	translatedOnce sync.Once
	translated     map[portKey]bool
	// peers are the abstract peers (SetPeers), nodeAddrs the nodes'
	// addresses when known (SetNodeAddresses).
	peers     []*Pod
	nodeAddrs *netipx.IPSet
	// peerPortPolicies are the policies whose egress ports partition the
	// port space of peer destinations (Diff sets both models' union).
	peerPortPolicies []*networkingv1.NetworkPolicy
}

// namedPolicy is a policy with its "namespace/name", built once rather
// than on every question.
type namedPolicy struct {
	*networkingv1.NetworkPolicy
	id string
}

// Pod returns the pod with the given ID ("namespace/name"), or nil.
func (m *Model) Pod(id string) *Pod { return m.byID[id] }

// NewModel indexes pods, namespace labels and policies. Namespaces named by
// a pod or policy but not given get just their implicit name label.
func NewModel(pods []*Pod, namespaces map[string]map[string]string, policies []*networkingv1.NetworkPolicy) *Model {
	m := &Model{Pods: pods, Namespaces: map[string]map[string]string{}, Policies: policies, byNS: map[string][]namedPolicy{}}
	add := func(ns string, labels map[string]string) {
		l := map[string]string{nameLabel: ns}
		for k, v := range labels {
			l[k] = v
		}
		m.Namespaces[ns] = l
	}
	for ns, l := range namespaces {
		add(ns, l)
	}
	for _, p := range pods {
		if _, ok := m.Namespaces[p.Namespace]; !ok {
			add(p.Namespace, nil)
		}
	}
	for _, np := range policies {
		m.byNS[np.Namespace] = append(m.byNS[np.Namespace], namedPolicy{np, np.Namespace + "/" + np.Name})
		if _, ok := m.Namespaces[np.Namespace]; !ok {
			add(np.Namespace, nil)
		}
	}
	sort.Slice(m.Pods, func(i, j int) bool { return m.Pods[i].ID() < m.Pods[j].ID() })
	m.byID = make(map[string]*Pod, len(pods))
	m.own = make(map[*Pod]struct{}, len(pods))
	for _, p := range m.Pods {
		m.byID[p.ID()] = p
		m.own[p] = struct{}{}
	}
	return m
}

// FromInventory builds a model from decoded objects: every workload's pod
// template is a pod, Namespace objects give labels.
func FromInventory(inv *inventory.Inventory) *Model {
	var pods []*Pod
	nsLabels := map[string]map[string]string{}
	var policies []*networkingv1.NetworkPolicy
	var services []*Service
	var nodes []netip.Prefix
	for _, o := range inv.Objects() {
		switch x := o.Obj.(type) {
		case *corev1.Node:
			for _, a := range x.Status.Addresses {
				if ip, err := netip.ParseAddr(a.Address); err == nil && (a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP) {
					nodes = append(nodes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				}
			}
		case *corev1.Namespace:
			nsLabels[x.Name] = x.Labels
		case *networkingv1.NetworkPolicy:
			policies = append(policies, x)
		case *corev1.Service:
			services = append(services, &Service{Namespace: o.Namespace(), Name: x.Name, Selector: x.Spec.Selector, Ports: x.Spec.Ports})
		}
		if w := o.Workload; w != nil {
			p := &Pod{Namespace: o.Namespace(), Name: o.GVK.Kind + "/" + o.Name(), Labels: w.Labels(), IPs: ParseIPs(o.PodIPs...)}
			if w.Spec != nil {
				p.HostNetwork = w.Spec.HostNetwork
				for _, c := range w.Spec.Containers {
					p.Ports = append(p.Ports, c.Ports...)
				}
			}
			pods = append(pods, p)
		}
	}
	m := NewModel(pods, nsLabels, policies)
	m.Services = services
	if len(nodes) > 0 {
		m.SetNodeAddresses(nodes)
	}
	return m
}
