package intents

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Resource is a generated object outside k8s.io/api (Istio), as the map
// that is written out as YAML.
type Resource = map[string]any

// Principal is the Istio identity of an endpoint's service account.
func (p *Plan) Principal(e *Endpoint) string {
	return fmt.Sprintf("%s/ns/%s/sa/%s", p.TrustDomain, e.Namespace, e.ServiceAccount)
}

// Istio generates, per namespace in scope, a PeerAuthentication with
// STRICT mTLS and an allow-nothing AuthorizationPolicy, then per
// destination an ALLOW AuthorizationPolicy whose principals are the
// sources' service accounts and whose ports are the target ports, with
// the entry points from outside the workloads (istioInbound).
func (p *Plan) Istio() []Resource {
	p.IstioNotes = nil
	var out []Resource
	meta := func(ns, name string) map[string]any {
		return map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app.kubernetes.io/managed-by": "guardrail"}}
	}
	for _, ns := range p.Scope {
		out = append(out,
			Resource{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": meta(ns, "default"),
				"spec": map[string]any{"mtls": map[string]any{"mode": "STRICT"}}},
			Resource{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta(ns, "guardrail-allow-nothing"),
				"spec": map[string]any{}})
	}
	ingress := map[*Endpoint][]Flow{}
	for _, f := range p.Flows {
		ingress[f.To] = append(ingress[f.To], f)
	}
	inbound := map[*Endpoint][]InboundFlow{}
	for _, f := range p.Inbound {
		inbound[f.To] = append(inbound[f.To], f)
	}
	for _, e := range p.Endpoints {
		fs := ingress[e]
		if len(fs) == 0 && len(inbound[e]) == 0 {
			continue
		}
		// One rule per set of ports, listing every principal allowed on them.
		byPorts := map[string][]string{}
		portsOf := map[string][]string{}
		perPrincipal := map[string][]string{}
		for _, f := range fs {
			pr := p.Principal(f.From)
			perPrincipal[pr] = appendUnique(perPrincipal[pr], strconv.Itoa(int(f.Port)))
		}
		for pr, ports := range perPrincipal {
			sort.Strings(ports)
			key := fmt.Sprint(ports)
			byPorts[key] = append(byPorts[key], pr)
			portsOf[key] = ports
		}
		keys := make([]string, 0, len(byPorts))
		for k := range byPorts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var rules []any
		for _, k := range keys {
			prs := byPorts[k]
			sort.Strings(prs)
			rules = append(rules, map[string]any{
				"from": []any{map[string]any{"source": map[string]any{"principals": toAny(prs)}}},
				"to":   []any{map[string]any{"operation": map[string]any{"ports": toAny(portsOf[k])}}},
			})
		}
		in, plaintext := p.istioInbound(inbound[e])
		rules = append(rules, in...)
		out = append(out, Resource{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
			"metadata": meta(e.Namespace, "guardrail-"+slug(e)),
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": toAnyMap(e.Labels)},
				"action":   "ALLOW",
				"rules":    rules,
			}})
		if len(plaintext) > 0 {
			// Clients outside the mesh (a load balancer, an address block)
			// speak plain TCP: STRICT mTLS would refuse them on these
			// ports, so only they are PERMISSIVE, and the ALLOW rule
			// above still limits them to their addresses.
			levels := map[string]any{}
			for _, port := range plaintext {
				levels[port] = map[string]any{"mode": "PERMISSIVE"}
			}
			out = append(out, Resource{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": meta(e.Namespace, "guardrail-"+slug(e)),
				"spec": map[string]any{"selector": map[string]any{"matchLabels": toAnyMap(e.Labels)},
					"mtls": map[string]any{"mode": "STRICT"}, "portLevelMtls": levels}})
		}
	}
	return append(out, p.serviceEntries(meta)...)
}

// istioInbound is the ALLOW rules for flows into a workload from outside
// the manifests' workloads, and the ports plain-text clients use: the
// internet and CIDRs by source address (ipBlocks); namespaces named by
// their name label by namespace (mesh identity). Istio matches namespaces
// by name only, so other namespace labels cannot be said: such a flow is
// left out and listed in IstioNotes.
func (p *Plan) istioInbound(fs []InboundFlow) (rules []any, plaintext []string) {
	ports := map[string][]string{}
	var sources []string
	for _, f := range fs {
		if f.Protocol != corev1.ProtocolTCP {
			continue // the sidecar does not proxy UDP
		}
		src := f.Source()
		if _, ok := ports[src]; !ok {
			sources = append(sources, src)
		}
		ports[src] = appendUnique(ports[src], strconv.Itoa(int(f.Port)))
	}
	sort.Strings(sources)
	for _, src := range sources {
		var f InboundFlow
		for _, g := range fs {
			if g.Source() == src {
				f = g
			}
		}
		sort.Strings(ports[src])
		var from map[string]any
		switch {
		case f.Internet:
			from = map[string]any{"ipBlocks": []any{"0.0.0.0/0"}}
		case f.Namespace != nil:
			name, ok := f.Namespace[corev1.LabelMetadataName]
			if !ok || len(f.Namespace) != 1 {
				p.IstioNotes = append(p.IstioNotes, fmt.Sprintf("%s -> %s ports %s: Istio matches namespaces by name only; not translated, so the mesh refuses these pods (name the namespace with kubernetes.io/metadata.name)", src, f.To.ID(), strings.Join(ports[src], ",")))
				continue
			}
			from = map[string]any{"namespaces": []any{name}}
		default:
			from = map[string]any{"ipBlocks": []any{f.CIDR.String()}}
		}
		if f.Namespace == nil {
			for _, port := range ports[src] {
				plaintext = appendUnique(plaintext, port)
			}
		}
		rules = append(rules, map[string]any{
			"from": []any{map[string]any{"source": from}},
			"to":   []any{map[string]any{"operation": map[string]any{"ports": toAny(ports[src])}}},
		})
	}
	sort.Strings(plaintext)
	return rules, plaintext
}

// serviceEntries registers each CIDR the intents call, per source
// namespace and visible only there, so the calls also work, and only they
// are registered, when the mesh's outboundTrafficPolicy is REGISTRY_ONLY.
// The sidecar does not proxy UDP, so UDP flows get none.
func (p *Plan) serviceEntries(meta func(ns, name string) map[string]any) []Resource {
	type key struct {
		ns   string
		cidr netip.Prefix
	}
	ports := map[key][]int32{}
	var keys []key
	for _, f := range p.External {
		if f.Protocol != corev1.ProtocolTCP {
			continue
		}
		k := key{f.From.Namespace, f.CIDR}
		if _, ok := ports[k]; !ok {
			keys = append(keys, k)
		}
		if !slices.Contains(ports[k], f.Port) {
			ports[k] = append(ports[k], f.Port)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ns != keys[j].ns {
			return keys[i].ns < keys[j].ns
		}
		return keys[i].cidr.String() < keys[j].cidr.String()
	})
	var out []Resource
	for _, k := range keys {
		slices.Sort(ports[k])
		var ps []any
		for _, n := range ports[k] {
			ps = append(ps, map[string]any{"number": int(n), "name": fmt.Sprintf("tcp-%d", n), "protocol": "TCP"})
		}
		host := strings.NewReplacer(".", "-", ":", "-", "/", "-").Replace(k.cidr.String())
		out = append(out, Resource{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
			"metadata": meta(k.ns, "guardrail-egress-"+host),
			"spec": map[string]any{
				"hosts":      []any{host + ".cidr.guardrail.invalid"},
				"addresses":  []any{k.cidr.String()},
				"ports":      ps,
				"location":   "MESH_EXTERNAL",
				"resolution": "NONE",
				"exportTo":   []any{"."},
			}})
	}
	return out
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
