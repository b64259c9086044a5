package intents

import (
	"fmt"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Endpoint is a workload: the pods of one pod template.
type Endpoint struct {
	Namespace, Kind, Name string
	Labels                map[string]string
	ServiceAccount        string
	Ports                 []corev1.ContainerPort
	HostNetwork           bool
	// Synthetic marks pods the manifests do not hold (the ingress
	// controller named by the intents file): peers, never given policies.
	Synthetic bool
}

// ID is "namespace/Kind/name".
func (e *Endpoint) ID() string { return e.Namespace + "/" + e.Kind + "/" + e.Name }

// Flow is one resolved intent: From may open To's container port.
type Flow struct {
	From, To *Endpoint
	Port     int32
	Protocol corev1.Protocol
	// Line is the intent's line in the intents file.
	Line int
	// Why says where a flow that no intent names comes from (an Ingress).
	Why string
}

// InboundFlow is a connection into a workload from outside the manifests'
// workloads: the internet, a CIDR, or every pod of the namespaces with
// given labels (a namespace the manifests do not hold, such as a
// monitoring stack's).
type InboundFlow struct {
	To *Endpoint
	// Internet is the public internet (generated as 0.0.0.0/0, which also
	// holds the node addresses a load balancer's traffic may be SNATed to);
	// otherwise Namespace when set, else CIDR.
	Internet bool
	CIDR     netip.Prefix
	// Namespace are the labels of the source namespaces (generated as a
	// namespaceSelector).
	Namespace map[string]string
	Port      int32
	Protocol  corev1.Protocol
	Line      int
	// Why says which intent or Service opened it.
	Why string
}

// Source is how the flow's source is written in intents.
func (f InboundFlow) Source() string {
	switch {
	case f.Internet:
		return "internet"
	case f.Namespace != nil:
		keys := make([]string, 0, len(f.Namespace))
		for k, v := range f.Namespace {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		return "namespace:{" + strings.Join(keys, ",") + "}"
	}
	return "cidr:" + f.CIDR.String()
}

// ExternalFlow is a resolved intent to addresses outside the cluster.
type ExternalFlow struct {
	From     *Endpoint
	CIDR     netip.Prefix
	Port     int32
	Protocol corev1.Protocol
	Line     int
}

// Plan is the intents resolved against the workloads of a manifest set.
type Plan struct {
	Flows []Flow
	// External are the intents to CIDRs ("to: cidr:203.0.113.0/24").
	External []ExternalFlow
	// Inbound are the flows from the internet or a CIDR: intents that say
	// so, and the entry points of LoadBalancer and NodePort Services.
	Inbound []InboundFlow
	// IngressController is the ingress controller endpoint (from the
	// manifests, or synthetic) when an Ingress or an intent names it.
	IngressController *Endpoint
	// Endpoints are all workloads of the manifests, sorted by ID.
	Endpoints []*Endpoint
	// Scope is the namespaces the intents touch, sorted: each gets a default deny.
	Scope       []string
	DNS         DNS
	TrustDomain string
	// IstioNotes list what Istio() could not say (set by Istio).
	IstioNotes []string
	// Namespaces holds the labels of Namespace objects in the manifests.
	Namespaces map[string]map[string]string
	// CNI is the plugin profile verification answers under (nil: open
	// cases stay "depends" and are reported).
	CNI *netpol.CNI
}

// Resolve matches every intent to workloads and container ports. A bad
// intent is reported with its line and skipped; the others are kept.
func Resolve(f *File, source string, inv *inventory.Inventory) (*Plan, []error) {
	if f.IngressController == nil {
		f.IngressController = &DNS{Namespace: "ingress-nginx", Labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	}
	p := &Plan{DNS: *f.DNS, TrustDomain: f.TrustDomain, Namespaces: map[string]map[string]string{}}
	var services []*corev1.Service
	for _, o := range inv.Objects() {
		switch x := o.Obj.(type) {
		case *corev1.Namespace:
			p.Namespaces[x.Name] = x.Labels
		case *corev1.Service:
			services = append(services, x)
		}
		w := o.Workload
		if w == nil || o.GVK.Kind == "PodTemplate" {
			continue
		}
		e := &Endpoint{Namespace: o.Namespace(), Kind: o.GVK.Kind, Name: o.Name(), Labels: w.Labels()}
		if e.Namespace == "" {
			e.Namespace = "default"
		}
		if w.Spec != nil {
			e.ServiceAccount = w.Spec.ServiceAccountName
			e.HostNetwork = w.Spec.HostNetwork
			for _, c := range w.Spec.Containers {
				e.Ports = append(e.Ports, c.Ports...)
			}
		}
		if e.ServiceAccount == "" {
			e.ServiceAccount = "default"
		}
		p.Endpoints = append(p.Endpoints, e)
	}
	sort.Slice(p.Endpoints, func(i, j int) bool { return p.Endpoints[i].ID() < p.Endpoints[j].ID() })

	var errs []error
	scope := map[string]bool{}
	seen := map[string]bool{}
	for i, in := range f.Intents {
		bad := func(field, msg, hint string) {
			errs = append(errs, &api.Problem{Location: api.Location{File: source, Line: in.Line},
				Field: fmt.Sprintf("intents[%d].%s", i, field), Message: msg, Hint: hint})
		}
		if p.resolveOutside(f, in, services, bad, scope) {
			continue
		}
		srcs, _, err := p.endpoints(in.From, services)
		if err != nil {
			bad("from", err.Error(), "name a workload as namespace/name or namespace/Kind/name, or a Service as namespace/Service/name")
			continue
		}
		if cidr, ok := strings.CutPrefix(in.To, "cidr:"); ok {
			p.resolveExternal(in, srcs, strings.TrimSpace(cidr), bad)
			for _, src := range srcs {
				scope[src.Namespace] = true
			}
			continue
		}
		dsts, svc, err := p.endpoints(in.To, services)
		if err != nil {
			bad("to", err.Error(), "name a workload as namespace/name or namespace/Kind/name, or a Service as namespace/Service/name")
			continue
		}
		if len(in.Ports) == 0 {
			bad("ports", "no ports", "list the ports the call uses, e.g. [\"8080\"] or [\"53/UDP\"]; an intent never opens every port")
			continue
		}
		unlabeled := false
		for _, side := range []struct {
			field string
			es    []*Endpoint
		}{{"from", srcs}, {"to", dsts}} {
			for _, e := range side.es {
				if len(e.Labels) == 0 {
					unlabeled = true
					bad(side.field, e.ID()+" has no pod labels, so no policy can select it alone", "give its pod template labels")
				}
			}
		}
		if unlabeled {
			continue
		}
		for _, ps := range in.Ports {
			for _, dst := range dsts {
				port, proto, err := targetPort(ps, dst, svc)
				if err != nil {
					bad("ports", fmt.Sprintf("%q: %v", ps, err), "use a number, number/PROTOCOL, or a port name the destination declares")
					continue
				}
				for _, src := range srcs {
					key := fmt.Sprintf("%s>%s>%d/%s", src.ID(), dst.ID(), port, proto)
					if seen[key] || src == dst {
						continue
					}
					seen[key] = true
					p.Flows = append(p.Flows, Flow{From: src, To: dst, Port: port, Protocol: proto, Line: in.Line})
					scope[src.Namespace], scope[dst.Namespace] = true, true
				}
			}
		}
	}
	p.entryPoints(f, inv, services, scope)
	sort.Slice(p.Endpoints, func(i, j int) bool { return p.Endpoints[i].ID() < p.Endpoints[j].ID() })
	for ns := range scope {
		p.Scope = append(p.Scope, ns)
	}
	sort.Strings(p.Scope)
	return p, errs
}

// resolveExternal adds the flows of an intent to a CIDR: numeric ports only.
func (p *Plan) resolveExternal(in Intent, srcs []*Endpoint, cidr string, bad func(field, msg, hint string)) {
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil {
		bad("to", fmt.Sprintf("%q is not a CIDR: %v", cidr, err), "write cidr:203.0.113.0/24 or cidr:2001:db8::/32")
		return
	}
	if len(in.Ports) == 0 {
		bad("ports", "no ports", "list the ports the call uses; an intent never opens every port")
		return
	}
	for _, ps := range in.Ports {
		port, proto, err := targetPort(ps, &Endpoint{Namespace: "(outside)", Kind: "CIDR", Name: cidr}, nil)
		if err != nil {
			bad("ports", fmt.Sprintf("%q: %v", ps, err), "use a number or number/PROTOCOL: addresses outside the cluster have no port names")
			continue
		}
		for _, src := range srcs {
			p.External = append(p.External, ExternalFlow{From: src, CIDR: pfx.Masked(), Port: port, Protocol: proto, Line: in.Line})
		}
	}
}

// endpoints resolves "ns/name", "ns/Kind/name" or "ns/Service/name".
func (p *Plan) endpoints(ref string, services []*corev1.Service) ([]*Endpoint, *corev1.Service, error) {
	parts := strings.Split(ref, "/")
	switch len(parts) {
	case 2, 3:
	default:
		return nil, nil, fmt.Errorf("%q is not namespace/name or namespace/Kind/name", ref)
	}
	ns, name, kind := parts[0], parts[len(parts)-1], ""
	if len(parts) == 3 {
		kind = parts[1]
	}
	if strings.EqualFold(kind, "Service") || strings.EqualFold(kind, "svc") {
		for _, s := range services {
			if s.Namespace == ns && s.Name == name {
				if len(s.Spec.Selector) == 0 {
					return nil, nil, fmt.Errorf("Service %s/%s has no selector", ns, name)
				}
				sel := labels.SelectorFromSet(s.Spec.Selector)
				var out []*Endpoint
				for _, e := range p.Endpoints {
					if e.Namespace == ns && sel.Matches(labels.Set(e.Labels)) {
						out = append(out, e)
					}
				}
				if len(out) == 0 {
					return nil, nil, fmt.Errorf("Service %s/%s selects no workload in the manifests", ns, name)
				}
				return out, s, nil
			}
		}
		return nil, nil, fmt.Errorf("no Service %s/%s in the manifests", ns, name)
	}
	var out []*Endpoint
	for _, e := range p.Endpoints {
		if e.Namespace == ns && e.Name == name && (kind == "" || strings.EqualFold(kind, e.Kind)) {
			out = append(out, e)
		}
	}
	switch {
	case len(out) == 0:
		return nil, nil, fmt.Errorf("no workload %s in the manifests", ref)
	case len(out) > 1:
		return nil, nil, fmt.Errorf("%s is ambiguous (%s and %s)", ref, out[0].ID(), out[1].ID())
	}
	return out, nil, nil
}

// targetPort turns an intent port into the container port of dst: through
// the Service's port mapping when the intent names a Service, and named
// ports through the container ports.
func targetPort(spec string, dst *Endpoint, svc *corev1.Service) (int32, corev1.Protocol, error) {
	s, proto := spec, corev1.ProtocolTCP
	if i := strings.IndexByte(spec, '/'); i >= 0 {
		s, proto = spec[:i], corev1.Protocol(strings.ToUpper(spec[i+1:]))
		if proto != corev1.ProtocolTCP && proto != corev1.ProtocolUDP && proto != corev1.ProtocolSCTP {
			return 0, "", fmt.Errorf("protocol %q is not TCP, UDP or SCTP", spec[i+1:])
		}
	}
	n, numErr := strconv.Atoi(s)
	if numErr == nil && (n < 1 || n > 65535) {
		return 0, "", fmt.Errorf("port %d is out of range 1-65535", n)
	}
	if svc != nil {
		for _, sp := range svc.Spec.Ports {
			spProto := sp.Protocol
			if spProto == "" {
				spProto = corev1.ProtocolTCP
			}
			if (numErr == nil && sp.Port == int32(n) || numErr != nil && sp.Name == s) && (spProto == proto || !strings.Contains(spec, "/")) {
				t := sp.TargetPort
				switch {
				case t.IntValue() == 0 && t.StrVal == "":
					return sp.Port, spProto, nil
				case t.StrVal != "":
					return namedPort(t.StrVal, dst)
				default:
					return int32(t.IntValue()), spProto, nil
				}
			}
		}
		return 0, "", fmt.Errorf("Service %s/%s has no port %s", svc.Namespace, svc.Name, spec)
	}
	if numErr != nil {
		p, pr, err := namedPort(s, dst)
		if err == nil && strings.Contains(spec, "/") && pr != proto {
			return 0, "", fmt.Errorf("port %s of %s is %s, not %s", s, dst.ID(), pr, proto)
		}
		return p, pr, err
	}
	return int32(n), proto, nil
}

func namedPort(name string, dst *Endpoint) (int32, corev1.Protocol, error) {
	for _, cp := range dst.Ports {
		if cp.Name == name {
			proto := cp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			return cp.ContainerPort, proto, nil
		}
	}
	return 0, "", fmt.Errorf("%s declares no container port named %q", dst.ID(), name)
}
