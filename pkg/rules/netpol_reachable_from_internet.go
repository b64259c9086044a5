package rules

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	corev1 "k8s.io/api/core/v1"
)

// internetProbe is a public address outside any private range
// (TEST-NET-3, RFC 5737) standing for "anyone on the internet".
var internetProbe = netip.MustParseAddr("203.0.113.10")

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "netpol-reachable-from-internet", Title: "Workload exposed to the internet with no NetworkPolicy limiting who connects", Severity: api.SeverityHigh, Category: api.CategoryNetwork,
			Rationale: "A public LoadBalancer or a NodePort Service puts the pods' ports on the internet. If no NetworkPolicy isolates their ingress, or an ingress rule admits any address, " +
				"nothing but the application stands between the internet and the pods. (Whether the client address survives to the pod depends on externalTrafficPolicy and the CNI; " +
				"the rule judges the policy for a public address.)",
			Remediation: "Isolate the pods' ingress and admit only the load balancer or ingress controller ranges (ipBlock with the ranges you trust), or front the workload with an authenticated ingress.",
			Example:     "ingress:\n- from:\n  - ipBlock:\n      cidr: 198.51.100.0/24   # your load balancer's range\n  ports:\n  - port: 8443",
			References:  []api.Reference{mitreExternal, mitrePublicApp, nsa("Network separation and hardening: network policies")},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(everywhere(kindNetworkPolicy, kindNamespace, kindNode), inNamespace(kindService)),
		Check: func(in *Input) []Violation {
			exposed := publicServices(in.Inventory, in.Object)
			if len(exposed) == 0 {
				return nil
			}
			m, dst := workloadPod(in)
			if dst == nil {
				return nil
			}
			var out []Violation
			for _, e := range exposed {
				var open, because []string
				isolated := false
				for _, port := range e.ports {
					ex := m.CheckFromExternal(internetProbe, dst, port.ContainerPort, port.Protocol)
					isolated = isolated || ex.Ingress.Isolated
					if ex.Verdict == netpol.Allow {
						open = append(open, fmt.Sprintf("%d/%s", port.ContainerPort, protocolOf(port.Protocol)))
						because = append(because, ex.Ingress.Because...)
					}
				}
				if len(open) == 0 {
					continue
				}
				why := "no NetworkPolicy isolates its ingress"
				if isolated {
					why = "ingress admits any address via " + strings.Join(dedupe(because), "; ")
				}
				out = append(out, Violation{Message: fmt.Sprintf("exposed by %s on %s and %s", e.via, strings.Join(open, ", "), why),
					Field: in.Workload.Field("containers"), Key: e.via})
			}
			return out
		},
	})
}

type exposure struct {
	via   string // "LoadBalancer Service shop/web"
	ports []corev1.ContainerPort
}

// publicServices lists the Services that put the workload on the internet:
// type LoadBalancer without an internal annotation or with open source
// ranges, and type NodePort; with the target ports they reach.
func publicServices(inv *inventory.Inventory, o *inventory.Object) []exposure {
	if o.Workload == nil {
		return nil
	}
	var out []exposure
	wl := o.Workload.Labels()
	byLabel := publicByNamespace(inv)[o.Namespace()]
	seen := map[*corev1.Service]bool{}
	for k, v := range wl {
		for _, s := range byLabel[k+"="+v] {
			if seen[s] || !selectorMatches(s.Spec.Selector, wl) {
				continue
			}
			seen[s] = true
			e := exposure{via: fmt.Sprintf("%s Service %s/%s", s.Spec.Type, s.Namespace, s.Name)}
			for _, sp := range s.Spec.Ports {
				if cp, ok := targetOf(sp, o); ok {
					e.ports = append(e.ports, cp)
				}
			}
			if len(e.ports) > 0 {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].via < out[j].via })
	return out
}

// selectorMatches is a Service selector (equality on every key) against labels.
func selectorMatches(sel, l map[string]string) bool {
	for k, v := range sel {
		if lv, ok := l[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// publicByNamespace indexes the public Services with a selector by
// namespace and by one "key=value" of their selector (the smallest key),
// once per inventory: a workload then looks only at the Services one of
// its own labels could satisfy, not at every Service of its namespace.
func publicByNamespace(inv *inventory.Inventory) map[string]map[string][]*corev1.Service {
	return inv.Memo("rules/public-services", func(inv *inventory.Inventory) any {
		out := map[string]map[string][]*corev1.Service{}
		for _, so := range inv.ByKind(kindService) {
			s, ok := so.Obj.(*corev1.Service)
			if !ok || len(s.Spec.Selector) == 0 || !isPublic(s) {
				continue
			}
			key := ""
			for k := range s.Spec.Selector {
				if key == "" || k < key {
					key = k
				}
			}
			if out[s.Namespace] == nil {
				out[s.Namespace] = map[string][]*corev1.Service{}
			}
			pair := key + "=" + s.Spec.Selector[key]
			out[s.Namespace][pair] = append(out[s.Namespace][pair], s)
		}
		return out
	}).(map[string]map[string][]*corev1.Service)
}

func isPublic(s *corev1.Service) bool {
	switch s.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		for _, a := range internalLBAnnotations {
			if _, ok := s.Annotations[a]; ok {
				return false
			}
		}
		for _, r := range s.Spec.LoadBalancerSourceRanges {
			if pfx, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && pfx.Contains(internetProbe) {
				return true
			}
		}
		return len(s.Spec.LoadBalancerSourceRanges) == 0
	}
	return false
}

// targetOf resolves a Service port to the workload's container port.
func targetOf(sp corev1.ServicePort, o *inventory.Object) (corev1.ContainerPort, bool) {
	proto := sp.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	switch t := sp.TargetPort; {
	case t.StrVal != "":
		if o.Workload.Spec == nil {
			return corev1.ContainerPort{}, false
		}
		for _, c := range o.Workload.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == t.StrVal {
					return corev1.ContainerPort{ContainerPort: cp.ContainerPort, Protocol: proto}, true
				}
			}
		}
		return corev1.ContainerPort{}, false
	case t.IntValue() != 0:
		return corev1.ContainerPort{ContainerPort: int32(t.IntValue()), Protocol: proto}, true
	default:
		return corev1.ContainerPort{ContainerPort: sp.Port, Protocol: proto}, true
	}
}
