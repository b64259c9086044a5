package netpol

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Service is a Service as a connection target: clients address its port,
// the proxy sends the connection to a backend pod on the target port.
type Service struct {
	Namespace, Name string
	// Selector picks the backends; a Service without one has no backends
	// the model knows (its EndpointSlices are managed by hand).
	Selector map[string]string
	Ports    []corev1.ServicePort
}

// ID is "namespace/Service/name", as workloads are named.
func (s *Service) ID() string { return s.Namespace + "/Service/" + s.Name }

// Backend is the answer for one backend pod of a Service connection.
type Backend struct {
	Pod        *Pod  `json:"-"`
	TargetPort int32 `json:"targetPort"`
	Explanation
}

// MarshalJSON names the backend by ID next to its explanation.
func (b Backend) MarshalJSON() ([]byte, error) {
	type plain Backend
	return json.Marshal(struct {
		Backend string `json:"backend"`
		plain
	}{b.Pod.ID(), plain(b)})
}

// ServiceExplanation answers a connection to a Service port: the verdict
// is the best over the backends (the proxy may pick any of them).
type ServiceExplanation struct {
	Verdict  Verdict            `json:"verdict"`
	Port     corev1.ServicePort `json:"servicePort"`
	Backends []Backend          `json:"backends"`
	Notes    []string           `json:"notes,omitempty"`
}

// Service returns the Service with the given ID, or nil.
func (m *Model) Service(id string) *Service {
	for _, s := range m.Services {
		if s.ID() == id {
			return s
		}
	}
	return nil
}

// CheckService answers a connection from src to a Service port. Policies
// are written for pods, and the specification does not say whether a
// plugin checks them before or after the proxy's translation, so where the
// target port differs from the Service port and the two answers differ,
// the verdict depends on the CNI, unless a profile settles it.
func (m *Model) CheckService(src *Pod, svc *Service, port int32, proto corev1.Protocol) (ServiceExplanation, error) {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	var out ServiceExplanation
	found := false
	for _, sp := range svc.Ports {
		p := sp.Protocol
		if p == "" {
			p = corev1.ProtocolTCP
		}
		if sp.Port == port && p == proto {
			out.Port, found = sp, true
		}
	}
	if !found {
		var have []string
		for _, sp := range svc.Ports {
			have = append(have, fmt.Sprintf("%d/%s", sp.Port, orTCP(sp.Protocol)))
		}
		return out, fmt.Errorf("service %s has no port %d/%s (it has %s)", svc.ID(), port, proto, strings.Join(have, ", "))
	}
	out.Verdict = Deny
	for _, b := range m.backends(svc) {
		target, ok := targetPort(out.Port, b)
		if !ok {
			out.Notes = append(out.Notes, fmt.Sprintf("%s declares no port named %q: the proxy has no target on it", b.ID(), out.Port.TargetPort.StrVal))
			continue
		}
		e := m.Check(Connection{Src: src, Dst: b, Port: target, Protocol: proto})
		if target != port {
			switch onService := m.Check(Connection{Src: src, Dst: b, Port: port, Protocol: proto}); {
			case m.cni != nil && m.cni.TargetPort:
				e.Notes = append(e.Notes, fmt.Sprintf("%s checks policies after the Service translation, on target port %d", m.cni.Name, target))
			case onService.Verdict != e.Verdict:
				e.Notes = append(e.Notes, fmt.Sprintf("policies give %s on target port %d but %s on Service port %d: which port a plugin checks depends on the CNI", e.Verdict, target, onService.Verdict, port))
				e.Verdict = Depends
			}
		}
		out.Backends = append(out.Backends, Backend{Pod: b, TargetPort: target, Explanation: e})
		out.Verdict = either(out.Verdict, e.Verdict)
	}
	if len(out.Backends) == 0 {
		out.Notes = append(out.Notes, "no backend pod: the Service selects no workload the model knows, so nothing answers")
	}
	return out, nil
}

// backends are the pods a Service selects in its namespace.
func (m *Model) backends(svc *Service) []*Pod {
	if len(svc.Selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Selector)
	var out []*Pod
	for _, p := range m.Pods {
		if p.Namespace == svc.Namespace && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// targetPort resolves a Service port's target on one backend: a number, a
// container port name (per backend, as the endpoints controller does), or
// the Service port itself when unset.
func targetPort(sp corev1.ServicePort, b *Pod) (int32, bool) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, cp := range b.Ports {
			if cp.Name == sp.TargetPort.StrVal && orTCP(cp.Protocol) == orTCP(sp.Protocol) {
				return cp.ContainerPort, true
			}
		}
		return 0, false
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, true
	}
	return sp.Port, true
}

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// PortMistake is a policy port that names a Service port where the pods
// listen on another (target) port.
type PortMistake struct {
	// Field is the port's path in the policy ("spec.ingress[0].ports[1].port").
	Field    string
	Port     int32
	Protocol corev1.Protocol
	Service  *Service
	Target   int32
}

// ServicePortMistakes finds the numeric ports of np's rules that none of
// the pods concerned declares (the selected pods for ingress, the pods the
// peers select for egress) but that a Service in front of them exposes
// with a different target port: plugins that check policies after the
// Service translation, the usual ones, never see that port, so the rule
// allows nothing.
func (m *Model) ServicePortMistakes(np *networkingv1.NetworkPolicy) []PortMistake {
	translated := m.translatedPorts()
	var out []PortMistake
	// check looks at the rule's numeric ports that some Service translates;
	// only then are the pods concerned worked out.
	check := func(field string, ports []networkingv1.NetworkPolicyPort, podsOf func() []*Pod) {
		var pods []*Pod
		resolved := false
		for j, p := range ports {
			if p.Port == nil || p.Port.Type != intstr.Int || p.EndPort != nil {
				continue
			}
			proto := orTCP(ptrProto(p.Protocol))
			if !translated[portKey{p.Port.IntVal, proto}] {
				continue
			}
			if !resolved {
				pods, resolved = podsOf(), true
			}
			if len(pods) == 0 || declares(pods, p.Port.IntVal, proto) {
				continue
			}
			if svc, target := m.serviceFront(pods, p.Port.IntVal, proto); svc != nil {
				out = append(out, PortMistake{Field: fmt.Sprintf("%s.ports[%d].port", field, j), Port: p.Port.IntVal, Protocol: proto, Service: svc, Target: target})
			}
		}
	}
	selected := func() []*Pod {
		var out []*Pod
		for _, p := range m.Pods {
			if p.Namespace == np.Namespace && m.selects(&np.Spec.PodSelector, p.Labels) {
				out = append(out, p)
			}
		}
		return out
	}
	for i, r := range np.Spec.Ingress {
		check(fmt.Sprintf("spec.ingress[%d]", i), r.Ports, selected)
	}
	for i, r := range np.Spec.Egress {
		if len(r.To) == 0 {
			continue // every destination: no particular pods to compare with
		}
		check(fmt.Sprintf("spec.egress[%d]", i), r.Ports, func() []*Pod {
			var dst []*Pod
			for _, p := range m.Pods {
				if bySelector, _ := peersMatch(r.To, np.Namespace, p, m); bySelector == Allow {
					dst = append(dst, p)
				}
			}
			return dst
		})
	}
	return out
}

type portKey struct {
	port  int32
	proto corev1.Protocol
}

// translatedPorts are the Service ports whose target is a name or another
// number, computed once per model.
func (m *Model) translatedPorts() map[portKey]bool {
	m.translatedOnce.Do(func() {
		m.translated = map[portKey]bool{}
		for _, svc := range m.Services {
			for _, sp := range svc.Ports {
				t := sp.TargetPort
				if (t.Type == intstr.String && t.StrVal != "") || (t.Type == intstr.Int && t.IntVal != 0 && t.IntVal != sp.Port) {
					m.translated[portKey{sp.Port, orTCP(sp.Protocol)}] = true
				}
			}
		}
	})
	return m.translated
}

func ptrProto(p *corev1.Protocol) corev1.Protocol {
	if p == nil {
		return ""
	}
	return *p
}

// declares reports whether any of pods declares the container port.
func declares(pods []*Pod, port int32, proto corev1.Protocol) bool {
	for _, p := range pods {
		for _, cp := range p.Ports {
			if cp.ContainerPort == port && orTCP(cp.Protocol) == proto {
				return true
			}
		}
	}
	return false
}

// serviceFront finds a Service backed by one of pods that exposes port
// with a different target port on that backend.
func (m *Model) serviceFront(pods []*Pod, port int32, proto corev1.Protocol) (*Service, int32) {
	in := map[*Pod]bool{}
	for _, p := range pods {
		in[p] = true
	}
	for _, svc := range m.Services {
		for _, sp := range svc.Ports {
			if sp.Port != port || orTCP(sp.Protocol) != proto {
				continue
			}
			for _, b := range m.backends(svc) {
				if t, ok := targetPort(sp, b); ok && in[b] && t != port {
					return svc, t
				}
			}
		}
	}
	return nil, 0
}
