package intents

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// resolveOutside resolves an intent whose source is outside the
// manifests' workloads: "internet", "cidr:PREFIX", "namespace:{k=v,...}"
// (every pod of the namespaces with those labels), or "ingress-controller"
// with an optional NS/NAME (a workload of the manifests) that overrides
// the file's ingressController. It reports whether the intent was one.
func (p *Plan) resolveOutside(f *File, in Intent, services []*corev1.Service, bad func(field, msg, hint string), scope map[string]bool) bool {
	from := strings.TrimSpace(in.From)
	internet := from == "internet"
	cidrText, isCIDR := strings.CutPrefix(from, "cidr:")
	ctrlRef, isCtrl := strings.CutPrefix(from, "ingress-controller")
	isNS := strings.HasPrefix(from, "namespace:")
	if !internet && !isCIDR && !isNS && !(isCtrl && (ctrlRef == "" || ctrlRef[0] == ' ')) {
		return false
	}
	dsts, svc, err := p.endpoints(in.To, services)
	if err != nil {
		bad("to", err.Error(), "name a workload as namespace/name or namespace/Kind/name, or a Service as namespace/Service/name")
		return true
	}
	if len(in.Ports) == 0 {
		bad("ports", "no ports", "list the ports the call uses; an intent never opens every port")
		return true
	}
	var cidr netip.Prefix
	if isCIDR {
		if cidr, err = netip.ParsePrefix(strings.TrimSpace(cidrText)); err != nil {
			bad("from", fmt.Sprintf("%q is not a CIDR: %v", cidrText, err), "write cidr:198.51.100.0/24 or cidr:2001:db8::/32")
			return true
		}
		cidr = cidr.Masked()
	}
	var nsLabels map[string]string
	if isNS {
		peer, err := netpol.ParsePeer(from)
		if err != nil || peer.Kind != netpol.PeerNamespace {
			bad("from", fmt.Sprintf("%q does not name namespaces by their labels", from), "write namespace:{key=value,...}, for example namespace:{kubernetes.io/metadata.name=monitoring}")
			return true
		}
		nsLabels = peer.Labels
	}
	var ctrl *Endpoint
	if isCtrl {
		if ctrl, err = p.controller(f, strings.TrimSpace(ctrlRef), services); err != nil {
			bad("from", err.Error(), "write ingress-controller, or ingress-controller NAMESPACE/NAME naming the controller's workload in the manifests")
			return true
		}
	}
	for _, ps := range in.Ports {
		for _, dst := range dsts {
			port, proto, err := targetPort(ps, dst, svc)
			if err != nil {
				bad("ports", fmt.Sprintf("%q: %v", ps, err), "use a number, number/PROTOCOL, or a port name the destination declares")
				continue
			}
			scope[dst.Namespace] = true
			why := fmt.Sprintf("intent at line %d", in.Line)
			if ctrl != nil {
				p.addFlow(Flow{From: ctrl, To: dst, Port: port, Protocol: proto, Line: in.Line, Why: why})
				continue
			}
			p.addInbound(InboundFlow{To: dst, Internet: internet, CIDR: cidr, Namespace: nsLabels, Port: port, Protocol: proto, Line: in.Line, Why: why})
		}
	}
	return true
}

// addFlow adds a flow unless the same one is there.
func (p *Plan) addFlow(f Flow) {
	for _, g := range p.Flows {
		if g.From == f.From && g.To == f.To && g.Port == f.Port && g.Protocol == f.Protocol {
			return
		}
	}
	p.Flows = append(p.Flows, f)
}

// addInbound adds an inbound flow unless the same one is there.
func (p *Plan) addInbound(f InboundFlow) {
	for _, g := range p.Inbound {
		if g.To == f.To && g.Source() == f.Source() && g.Port == f.Port && g.Protocol == f.Protocol {
			return
		}
	}
	p.Inbound = append(p.Inbound, f)
}

// controller finds the ingress controller: a workload of the manifests
// named NS/NAME, or the one matching the file's ingressController, or a
// synthetic endpoint with its namespace and labels.
func (p *Plan) controller(f *File, ref string, services []*corev1.Service) (*Endpoint, error) {
	if ref != "" {
		es, _, err := p.endpoints(ref, services)
		if err != nil {
			return nil, err
		}
		return es[0], nil
	}
	if p.IngressController != nil {
		return p.IngressController, nil
	}
	ic := f.IngressController
	sel := labels.SelectorFromSet(ic.Labels)
	for _, e := range p.Endpoints {
		if e.Namespace == ic.Namespace && sel.Matches(labels.Set(e.Labels)) {
			p.IngressController = e
			return e, nil
		}
	}
	e := &Endpoint{Namespace: ic.Namespace, Kind: "Deployment", Name: "(ingress-controller)", Labels: ic.Labels, ServiceAccount: "default", Synthetic: true}
	p.IngressController = e
	p.Endpoints = append(p.Endpoints, e)
	return e, nil
}

// entryPoints adds the public entry points of workloads in scope, which
// a default deny would otherwise cut off: each port of a LoadBalancer or
// NodePort Service is opened from the internet on its target port, and
// each Ingress backend from the ingress controller's pods.
func (p *Plan) entryPoints(f *File, inv *inventory.Inventory, services []*corev1.Service, scope map[string]bool) {
	for _, s := range services {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer && s.Spec.Type != corev1.ServiceTypeNodePort || !scope[s.Namespace] || len(s.Spec.Selector) == 0 {
			continue
		}
		for _, dst := range p.selected(s) {
			for _, sp := range s.Spec.Ports {
				port, proto, err := targetPort(fmt.Sprint(sp.Port)+"/"+string(orTCP(sp.Protocol)), dst, s)
				if err != nil {
					continue
				}
				p.addInbound(InboundFlow{To: dst, Internet: true, Port: port, Protocol: proto,
					Why: fmt.Sprintf("Service %s/%s type %s port %d", s.Namespace, s.Name, s.Spec.Type, sp.Port)})
			}
		}
	}
	var ingresses []*networkingv1.Ingress
	for _, o := range inv.Objects() {
		if ing, ok := o.Obj.(*networkingv1.Ingress); ok && scope[o.Namespace()] {
			ingresses = append(ingresses, ing)
		}
	}
	sort.Slice(ingresses, func(i, j int) bool {
		return ingresses[i].Namespace+"/"+ingresses[i].Name < ingresses[j].Namespace+"/"+ingresses[j].Name
	})
	for _, ing := range ingresses {
		var backends []*networkingv1.IngressServiceBackend
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			backends = append(backends, b.Service)
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, path := range r.HTTP.Paths {
				if path.Backend.Service != nil {
					backends = append(backends, path.Backend.Service)
				}
			}
		}
		for _, b := range backends {
			var svc *corev1.Service
			for _, s := range services {
				if s.Namespace == ing.Namespace && s.Name == b.Name {
					svc = s
				}
			}
			if svc == nil || len(svc.Spec.Selector) == 0 {
				continue
			}
			spec := b.Port.Name
			if b.Port.Number != 0 {
				spec = fmt.Sprint(b.Port.Number)
			}
			ctrl, err := p.controller(f, "", services)
			if err != nil {
				continue
			}
			for _, dst := range p.selected(svc) {
				port, proto, err := targetPort(spec, dst, svc)
				if err != nil {
					continue
				}
				p.addFlow(Flow{From: ctrl, To: dst, Port: port, Protocol: proto,
					Why: fmt.Sprintf("Ingress %s/%s routes to Service %s port %s", ing.Namespace, ing.Name, svc.Name, spec)})
			}
		}
	}
}

// selected are the workloads a Service selects.
func (p *Plan) selected(s *corev1.Service) []*Endpoint {
	sel := labels.SelectorFromSet(s.Spec.Selector)
	var out []*Endpoint
	for _, e := range p.Endpoints {
		if !e.Synthetic && e.Namespace == s.Namespace && sel.Matches(labels.Set(e.Labels)) {
			out = append(out, e)
		}
	}
	return out
}

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// EntryPoints lists the flows into the scope from outside the manifests'
// workloads, with why, for the generate command to show.
func (p *Plan) EntryPoints() []string {
	var out []string
	for _, f := range p.Inbound {
		out = append(out, fmt.Sprintf("%s -> %s %d/%s (%s)", f.Source(), f.To.ID(), f.Port, f.Protocol, f.Why))
	}
	for _, f := range p.Flows {
		if f.From == p.IngressController && f.From != nil {
			out = append(out, fmt.Sprintf("%s -> %s %d/%s (%s)", f.From.ID(), f.To.ID(), f.Port, f.Protocol, f.Why))
		}
	}
	return out
}
