package intents

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Mismatch is a connection whose verdict differs from the intents: Extra
// when allowed but not declared, otherwise declared but not allowed.
type Mismatch struct {
	Src, Dst string
	Port     int32
	Protocol corev1.Protocol
	Extra    bool
	Verdict  string
	Why      string
}

func (m Mismatch) String() string {
	what := "declared but not allowed"
	if m.Extra {
		what = "allowed but not declared"
	}
	return fmt.Sprintf("%s -> %s %d/%s: %s (%s) %s", m.Src, m.Dst, m.Port, m.Protocol, what, m.Verdict, m.Why)
}

// probes are ports no intent in the tests uses: a rule without ports, or
// with too wide a range, opens them.
var probes = []int32{1, 65535}

// VerifyNetworkPolicies runs the reachability engine over the workloads of
// the plan with existing plus generated policies and returns every pair
// touching a scoped namespace whose verdict is not exactly the intents:
// each declared flow and DNS (port 53, UDP and TCP) must be allowed, every
// other port of every other pair, and egress to the internet, denied.
func (p *Plan) VerifyNetworkPolicies(existing, generated []*networkingv1.NetworkPolicy) []Mismatch {
	pods := make([]*netpol.Pod, 0, len(p.Endpoints)+1)
	byPod := map[*netpol.Pod]*Endpoint{}
	dnsSel := labels.SelectorFromSet(p.DNS.Labels)
	isDNS := func(e *Endpoint) bool {
		return e.Namespace == p.DNS.Namespace && dnsSel.Matches(labels.Set(e.Labels))
	}
	endpoints := p.Endpoints
	hasDNS := false
	for _, e := range endpoints {
		hasDNS = hasDNS || isDNS(e)
	}
	if !hasDNS { // the DNS pods are usually not in the manifests
		endpoints = append(append([]*Endpoint{}, endpoints...), &Endpoint{Namespace: p.DNS.Namespace, Kind: "Deployment", Name: "(dns)",
			Labels: p.DNS.Labels, Ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {ContainerPort: 53}}})
	}
	for _, e := range endpoints {
		pod := &netpol.Pod{Namespace: e.Namespace, Name: e.Kind + "/" + e.Name, Labels: e.Labels, Ports: e.Ports, HostNetwork: e.HostNetwork}
		pods = append(pods, pod)
		byPod[pod] = e
	}
	m := netpol.NewModel(pods, p.Namespaces, append(append([]*networkingv1.NetworkPolicy{}, existing...), generated...))
	m.SetCNI(p.CNI)
	declared := map[string]bool{}
	key := func(a, b *Endpoint, port int32, proto corev1.Protocol) string {
		return fmt.Sprintf("%s>%s>%d/%s", a.ID(), b.ID(), port, proto)
	}
	portsTo := map[*Endpoint][]corev1.ContainerPort{}
	for _, f := range p.Flows {
		declared[key(f.From, f.To, f.Port, f.Protocol)] = true
		portsTo[f.To] = append(portsTo[f.To], corev1.ContainerPort{ContainerPort: f.Port, Protocol: f.Protocol})
	}
	inScope := map[string]bool{}
	for _, ns := range p.Scope {
		inScope[ns] = true
	}
	public := map[string]bool{}
	for _, f := range p.Inbound {
		if f.Internet {
			public[inboundKey(f.To, f.Port, f.Protocol)] = true
		}
	}
	var out []Mismatch
	for _, dst := range pods {
		if b := byPod[dst]; inScope[b.Namespace] && !b.Synthetic {
			out = append(out, p.verifyInbound(m, dst, b, portsTo[b])...)
		}
	}
	for _, src := range pods {
		for _, dst := range pods {
			a, b := byPod[src], byPod[dst]
			if a == b || !inScope[a.Namespace] && !inScope[b.Namespace] {
				continue
			}
			candidates := append(append([]corev1.ContainerPort{}, b.Ports...), portsTo[b]...)
			for _, pr := range probes {
				candidates = append(candidates, corev1.ContainerPort{ContainerPort: pr}, corev1.ContainerPort{ContainerPort: pr, Protocol: corev1.ProtocolUDP})
			}
			if isDNS(b) { // the synthesized DNS endpoint carries the DNS labels too
				candidates = append(candidates, corev1.ContainerPort{ContainerPort: 53}, corev1.ContainerPort{ContainerPort: 53, Protocol: corev1.ProtocolUDP})
			}
			done := map[string]bool{}
			for _, cp := range candidates {
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				k := key(a, b, cp.ContainerPort, proto)
				if done[k] {
					continue
				}
				done[k] = true
				dnsFlow := cp.ContainerPort == 53 && isDNS(b) && inScope[a.Namespace]
				if public[inboundKey(b, cp.ContainerPort, proto)] {
					continue // open to the internet: whether 0.0.0.0/0 also holds pod addresses is the CNI's, and the port is public anyway
				}
				want := declared[k] || dnsFlow || p.openToNamespace(b, cp.ContainerPort, proto, a.Namespace, m.Namespaces[a.Namespace])
				ex := m.Check(netpol.Connection{Src: src, Dst: dst, Port: cp.ContainerPort, Protocol: proto})
				if got := ex.Verdict == netpol.Allow; got != want || ex.Verdict == netpol.Depends {
					out = append(out, Mismatch{Src: a.ID(), Dst: b.ID(), Port: cp.ContainerPort, Protocol: proto, Extra: !want,
						Verdict: ex.Verdict.String(), Why: strings.Join(append(append(ex.Egress.Because, ex.Ingress.Because...), ex.Notes...), "; ")})
				}
			}
		}
		if a := byPod[src]; inScope[a.Namespace] {
			out = append(out, p.verifyExternal(m, src, a)...)
		}
	}
	return out
}

// openToNamespace reports whether an inbound flow opens b's port to the
// pods of namespace ns (labels nsLabels, and the name label every
// namespace carries), as from: namespace:{...} does.
func (p *Plan) openToNamespace(b *Endpoint, port int32, proto corev1.Protocol, ns string, nsLabels map[string]string) bool {
	for _, f := range p.Inbound {
		if f.To != b || f.Namespace == nil || f.Port != port || f.Protocol != proto {
			continue
		}
		match := true
		for k, v := range f.Namespace {
			if got, ok := nsLabels[k]; !(ok && got == v) && !(k == corev1.LabelMetadataName && v == ns) {
				match = false
			}
		}
		if match {
			return true
		}
	}
	return false
}

func inboundKey(e *Endpoint, port int32, proto corev1.Protocol) string {
	return fmt.Sprintf("%s>%d/%s", e.ID(), port, proto)
}

// verifyInbound checks what reaches dst from outside the manifests'
// workloads: from the internet exactly the inbound flows from it; from a
// CIDR of an inbound flow, that flow (the internet then only "depends",
// as the CIDR is part of it); from any other namespace and, unless the
// port is public, from the nodes: nothing.
func (p *Plan) verifyInbound(m *netpol.Model, dst *netpol.Pod, b *Endpoint, extra []corev1.ContainerPort) []Mismatch {
	type want struct{ internet, cidr, namespace bool }
	ports := map[string]corev1.ContainerPort{}
	add := func(port int32, proto corev1.Protocol) {
		ports[fmt.Sprintf("%d/%s", port, proto)] = corev1.ContainerPort{ContainerPort: port, Protocol: proto}
	}
	for _, cp := range append(append([]corev1.ContainerPort{}, b.Ports...), extra...) {
		add(cp.ContainerPort, orTCP(cp.Protocol))
	}
	for _, pr := range probes {
		add(pr, corev1.ProtocolTCP)
		add(pr, corev1.ProtocolUDP)
	}
	var cidrs []string // the address and namespace sources opened to b
	for _, f := range p.Inbound {
		if f.To == b {
			add(f.Port, f.Protocol)
			if !f.Internet {
				cidrs = append(cidrs, f.Source())
			}
		}
	}
	keys := make([]string, 0, len(ports))
	for k := range ports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Mismatch
	for _, k := range keys {
		cp := ports[k]
		w := want{}
		wantCIDR := map[string]bool{}
		for _, f := range p.Inbound {
			if f.To == b && f.Port == cp.ContainerPort && f.Protocol == cp.Protocol {
				switch {
				case f.Internet:
					w.internet = true
				case f.Namespace != nil:
					w.namespace = true
					wantCIDR[f.Source()] = true
				default:
					w.cidr = true
					wantCIDR[f.Source()] = true
				}
			}
		}
		check := func(peer string, ok func(netpol.Verdict) bool, wantAllow bool) {
			ex := m.Check(netpol.Connection{Src: m.Peer(peer), Dst: dst, Port: cp.ContainerPort, Protocol: cp.Protocol})
			if !ok(ex.Verdict) {
				out = append(out, Mismatch{Src: peer, Dst: b.ID(), Port: cp.ContainerPort, Protocol: cp.Protocol, Extra: !wantAllow,
					Verdict: ex.Verdict.String(), Why: strings.Join(append(append([]string{}, ex.Ingress.Because...), ex.Notes...), "; ")})
			}
		}
		switch {
		case w.internet:
			check("internet", func(v netpol.Verdict) bool { return v == netpol.Allow }, true)
		case w.cidr:
			check("internet", func(v netpol.Verdict) bool { return v != netpol.Allow }, false)
		default:
			check("internet", func(v netpol.Verdict) bool { return v == netpol.Deny }, false)
		}
		for _, c := range cidrs {
			if wantCIDR[c] {
				check(c, func(v netpol.Verdict) bool { return v == netpol.Allow }, true)
			} else if !w.internet {
				check(c, func(v netpol.Verdict) bool { return v == netpol.Deny }, false)
			}
		}
		switch {
		case !w.internet && !w.cidr && !w.namespace:
			// On a port open to addresses, an ipBlock may also hold pod
			// and node addresses (the CNI's to say); elsewhere nothing
			// from another namespace or a node gets in.
			check(netpol.PeerNameAnyNamespace, func(v netpol.Verdict) bool { return v == netpol.Deny }, false)
			check(netpol.PeerNameNodes, func(v netpol.Verdict) bool { return v == netpol.Deny }, false)
		case !w.internet && !w.cidr:
			// Open to labelled namespaces only: an unknown namespace
			// depends on its labels, never allowed outright; nodes stay out.
			check(netpol.PeerNameAnyNamespace, func(v netpol.Verdict) bool { return v != netpol.Allow }, false)
			check(netpol.PeerNameNodes, func(v netpol.Verdict) bool { return v == netpol.Deny }, false)
		default:
			check(netpol.PeerNameAnyNamespace, func(v netpol.Verdict) bool { return v != netpol.Allow || w.internet }, false)
		}
	}
	return out
}

// verifyExternal checks src's egress to addresses outside the cluster: the
// internet (8.8.8.8) and an address in every declared CIDR, on 443, 53/UDP
// and every port any intent uses; allowed exactly when an intent of src
// names a CIDR holding the address, with that port.
func (p *Plan) verifyExternal(m *netpol.Model, src *netpol.Pod, a *Endpoint) []Mismatch {
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8")}
	ports := []corev1.ContainerPort{{ContainerPort: 443, Protocol: corev1.ProtocolTCP}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}}
	for _, f := range p.Flows {
		if f.From == a {
			ports = append(ports, corev1.ContainerPort{ContainerPort: f.Port, Protocol: f.Protocol})
		}
	}
	for _, x := range p.External {
		addrs = append(addrs, x.CIDR.Addr())
		ports = append(ports, corev1.ContainerPort{ContainerPort: x.Port, Protocol: x.Protocol})
	}
	var out []Mismatch
	seen := map[string]bool{}
	for _, addr := range addrs {
		for _, cp := range ports {
			k := fmt.Sprintf("%s:%d/%s", addr, cp.ContainerPort, cp.Protocol)
			if seen[k] {
				continue
			}
			seen[k] = true
			want := false
			for _, x := range p.External {
				want = want || x.From == a && x.CIDR.Contains(addr) && x.Port == cp.ContainerPort && x.Protocol == cp.Protocol
			}
			ex := m.CheckExternal(src, addr, cp.ContainerPort, cp.Protocol)
			if got := ex.Verdict == netpol.Allow; got != want || ex.Verdict == netpol.Depends {
				out = append(out, Mismatch{Src: a.ID(), Dst: addr.String(), Port: cp.ContainerPort, Protocol: cp.Protocol, Extra: !want,
					Verdict: ex.Verdict.String(), Why: strings.Join(ex.Egress.Because, "; ")})
			}
		}
	}
	return out
}

// VerifyIstio evaluates the generated AuthorizationPolicies the way Istio
// does for ALLOW policies matched on principals and ports (a workload
// selected by any ALLOW policy accepts only what some rule matches) and
// returns every pair into a scoped namespace that differs from the
// intents. Sources sharing a service account share a principal, so an
// intent for one opens the others: those are reported as extras.
func (p *Plan) VerifyIstio(generated []Resource) []Mismatch {
	declared := map[string]bool{}
	for _, f := range p.Flows {
		declared[fmt.Sprintf("%s>%s>%d", f.From.ID(), f.To.ID(), f.Port)] = true
	}
	inScope := map[string]bool{}
	for _, ns := range p.Scope {
		inScope[ns] = true
	}
	var out []Mismatch
	for _, b := range p.Endpoints {
		if !inScope[b.Namespace] {
			continue
		}
		ports := map[int32]bool{probes[0]: true}
		for _, cp := range b.Ports {
			ports[cp.ContainerPort] = true
		}
		for _, f := range p.Flows {
			if f.To == b {
				ports[f.Port] = true
			}
		}
		for _, a := range p.Endpoints {
			if a == b {
				continue
			}
			for port := range ports {
				want := declared[fmt.Sprintf("%s>%s>%d", a.ID(), b.ID(), port)]
				got, why := istioAllows(generated, b, "principals", p.Principal(a), port)
				if got != want {
					out = append(out, Mismatch{Src: a.ID(), Dst: b.ID(), Port: port, Protocol: corev1.ProtocolTCP, Extra: got,
						Verdict: map[bool]string{true: "allow", false: "deny"}[got], Why: why})
				}
			}
		}
		out = append(out, p.verifyIstioInbound(generated, b)...)
	}
	return out
}

// verifyIstioInbound checks that each entry point into b from outside the
// workloads is allowed by source address (or namespace name) on its port,
// and that plain-text clients are not refused by STRICT mTLS there.
// Flows Istio cannot say (IstioNotes) are reported there, not here.
func (p *Plan) verifyIstioInbound(generated []Resource, b *Endpoint) []Mismatch {
	var out []Mismatch
	for _, f := range p.Inbound {
		if f.To != b || f.Protocol != corev1.ProtocolTCP {
			continue
		}
		field, value := "ipBlocks", "0.0.0.0/0"
		switch {
		case f.Namespace != nil:
			name, ok := f.Namespace[corev1.LabelMetadataName]
			if !ok || len(f.Namespace) != 1 {
				continue
			}
			field, value = "namespaces", name
		case !f.Internet:
			value = f.CIDR.String()
		}
		if got, why := istioAllows(generated, b, field, value, f.Port); !got {
			out = append(out, Mismatch{Src: f.Source(), Dst: b.ID(), Port: f.Port, Protocol: f.Protocol, Verdict: "deny", Why: why})
		}
		if f.Namespace == nil && !permissive(generated, b, f.Port) {
			out = append(out, Mismatch{Src: f.Source(), Dst: b.ID(), Port: f.Port, Protocol: f.Protocol, Verdict: "deny",
				Why: "STRICT mTLS refuses plain-text clients on this port (no PERMISSIVE portLevelMtls)"})
		}
	}
	return out
}

// permissive reports whether a PeerAuthentication selecting dst lets plain
// text in on port.
func permissive(rs []Resource, dst *Endpoint, port int32) bool {
	for _, r := range rs {
		meta, _ := r["metadata"].(map[string]any)
		if r["kind"] != "PeerAuthentication" || meta["namespace"] != dst.Namespace {
			continue
		}
		spec, _ := r["spec"].(map[string]any)
		sel, _ := spec["selector"].(map[string]any)
		ml, _ := sel["matchLabels"].(map[string]any)
		if len(ml) == 0 {
			continue
		}
		match := true
		for k, v := range ml {
			if dst.Labels[k] != v {
				match = false
			}
		}
		levels, _ := spec["portLevelMtls"].(map[string]any)
		lv, _ := levels[strconv.Itoa(int(port))].(map[string]any)
		if match && lv["mode"] == "PERMISSIVE" {
			return true
		}
	}
	return false
}

// istioAllows applies the ALLOW AuthorizationPolicies of dst's namespace
// to a source whose field (principals, ipBlocks, namespaces) is value.
func istioAllows(rs []Resource, dst *Endpoint, field, principal string, port int32) (bool, string) {
	selected := false
	for _, r := range rs {
		if r["kind"] != "AuthorizationPolicy" {
			continue
		}
		meta, _ := r["metadata"].(map[string]any)
		if meta["namespace"] != dst.Namespace {
			continue
		}
		spec, _ := r["spec"].(map[string]any)
		if a, ok := spec["action"]; ok && a != "ALLOW" {
			continue
		}
		if sel, ok := spec["selector"].(map[string]any); ok {
			ml, _ := sel["matchLabels"].(map[string]any)
			match := true
			for k, v := range ml {
				if dst.Labels[k] != v {
					match = false
				}
			}
			if !match {
				continue
			}
		}
		selected = true
		rules, _ := spec["rules"].([]any)
		for _, ru := range rules {
			rule := ru.(map[string]any)
			if anyContains(rule["from"], "source", field, principal) && anyContains(rule["to"], "operation", "ports", strconv.Itoa(int(port))) {
				return true, fmt.Sprintf("%s/%s", dst.Namespace, meta["name"])
			}
		}
	}
	if !selected {
		return true, "no AuthorizationPolicy selects the workload"
	}
	return false, "no rule matches"
}

// anyContains reports whether list[i][outer][inner] contains v for some i.
func anyContains(list any, outer, inner, v string) bool {
	items, _ := list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		o, _ := m[outer].(map[string]any)
		vals, _ := o[inner].([]any)
		for _, x := range vals {
			if x == v {
				return true
			}
		}
	}
	return false
}

// Summarize folds the mismatches of one pair with the same outcome into
// one line listing their ports and their distinct reasons, keeping
// first-seen order.
func Summarize(ms []Mismatch) []string {
	type key struct {
		src, dst, verdict string
		extra             bool
	}
	var order []key
	ports, whys := map[key][]string{}, map[key][]string{}
	for _, m := range ms {
		k := key{m.Src, m.Dst, m.Verdict, m.Extra}
		if _, ok := ports[k]; !ok {
			order = append(order, k)
		}
		ports[k] = append(ports[k], fmt.Sprintf("%d/%s", m.Port, m.Protocol))
		if m.Why != "" {
			whys[k] = appendUnique(whys[k], m.Why)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		what := "declared but not allowed"
		if k.extra {
			what = "allowed but not declared"
		}
		out = append(out, fmt.Sprintf("%s -> %s %s: %s (%s) %s", k.src, k.dst, strings.Join(ports[k], ","), what, k.verdict, strings.Join(whys[k], " | ")))
	}
	return out
}
