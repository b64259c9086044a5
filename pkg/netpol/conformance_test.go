package netpol

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// conformanceCase is one case re-expressed from an upstream test: the
// policies, and for a port the expected verdict of every pair of the
// standard model, as "allow|deny|depends SRC->DST" rules over globs,
// applied in order on top of "everything allowed". A file may hold several
// YAML documents: the steps of one upstream test, each a whole state.
type conformanceCase struct {
	Source string `json:"source"`
	// Model is "" for the e2e tests' standard model, or "network-policy-api"
	// for the sig-network network-policy-api conformance model.
	Model string `json:"model,omitempty"`
	// CNI names the profile the step is judged under ("" for none).
	CNI string `json:"cni,omitempty"`
	// NamespaceLabels and PodLabels ("ns/pod") are added to the model's,
	// as the upstream test does when it relabels between steps.
	NamespaceLabels map[string]map[string]string `json:"namespaceLabels,omitempty"`
	PodLabels       map[string]map[string]string `json:"podLabels,omitempty"`
	Policies        []networkingv1.NetworkPolicy `json:"policies"`
	Checks          []struct {
		Port     int32           `json:"port"`
		Protocol corev1.Protocol `json:"protocol"`
		Rules    []string        `json:"rules"`
	} `json:"checks"`
}

// standardModel is the e2e NetworkPolicy tests' model: pods a, b and c in
// namespaces x, y and z, labelled pod=<name> and ns=<namespace>, serving
// 80 and 81 over TCP, UDP and SCTP. Pods have addresses, so cases about
// ipBlocks can name them: x/a is 10.0.1.1, y/b is 10.0.2.2, z/c 10.0.3.3.
func standardModel(policies []*networkingv1.NetworkPolicy) *Model {
	var pods []*Pod
	ns := map[string]map[string]string{}
	var ports []corev1.ContainerPort
	for _, p := range []int32{80, 81} {
		for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
			ports = append(ports, corev1.ContainerPort{Name: fmt.Sprintf("serve-%d-%s", p, strings.ToLower(string(proto))), ContainerPort: p, Protocol: proto})
		}
	}
	for ni, n := range []string{"x", "y", "z"} {
		ns[n] = map[string]string{"ns": n}
		for pi, p := range []string{"a", "b", "c"} {
			pods = append(pods, &Pod{Namespace: n, Name: p, Labels: map[string]string{"pod": p}, Ports: ports,
				IPs: ParseIPs(fmt.Sprintf("10.0.%d.%d", ni+1, pi+1))})
		}
	}
	return NewModel(pods, ns, policies)
}

// npapiModel is the network-policy-api conformance model
// (conformance/base/manifests.yaml): namespaces
// network-policy-conformance-{gryffindor,slytherin,hufflepuff,ravenclaw}
// labelled conformance-house=<house>, each with two pods of one
// StatefulSet labelled the same, serving 80 and 8080 over TCP, 53 and
// 5353 over UDP, 9003 and 9005 over SCTP (the containers declare no ports).
func npapiModel(policies []*networkingv1.NetworkPolicy) *Model {
	var pods []*Pod
	ns := map[string]map[string]string{}
	for house, pod := range map[string]string{"gryffindor": "harry-potter", "slytherin": "draco-malfoy", "hufflepuff": "cedric-diggory", "ravenclaw": "luna-lovegood"} {
		n := "network-policy-conformance-" + house
		ns[n] = map[string]string{"conformance-house": house}
		for _, i := range []string{"0", "1"} {
			pods = append(pods, &Pod{Namespace: n, Name: pod + "-" + i, Labels: map[string]string{"conformance-house": house}})
		}
	}
	return NewModel(pods, ns, policies)
}

// match is a glob over "ns/pod"; a bare * is any pod.
func match(pattern, id string) bool {
	if pattern == "*" {
		return true
	}
	ok, _ := path.Match(pattern, id)
	return ok
}

func expected(rules []string, src, dst string) Verdict {
	if src == dst {
		return Allow
	}
	v := Allow
	for _, r := range rules {
		verb, pattern, _ := strings.Cut(r, " ")
		s, d, _ := strings.Cut(pattern, "->")
		if match(s, src) && match(d, dst) {
			v = map[string]Verdict{"allow": Allow, "deny": Deny, "depends": Depends}[verb]
		}
	}
	return v
}

// loadCases reads every step of every case file.
func loadCases(t *testing.T) (files int, steps []conformanceCase, names []string) {
	paths, _ := filepath.Glob("testdata/conformance/*.yaml")
	for _, f := range paths {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---\n") {
			var c conformanceCase
			if err := yaml.UnmarshalStrict([]byte(doc), &c); err != nil {
				t.Fatalf("%s step %d: %v", f, i+1, err)
			}
			if c.Source == "" || len(c.Checks) == 0 {
				t.Fatalf("%s step %d: a case needs a source and checks", f, i+1)
			}
			for _, ch := range c.Checks {
				for _, r := range ch.Rules {
					if verb, _, _ := strings.Cut(r, " "); verb != "allow" && verb != "deny" && verb != "depends" {
						t.Fatalf("%s step %d: rule %q: the verb is allow, deny or depends", f, i+1, r)
					}
				}
			}
			steps = append(steps, c)
			names = append(names, fmt.Sprintf("%s step %d", filepath.Base(f), i+1))
		}
	}
	return len(paths), steps, names
}

// caseModel builds the step's model, with its relabelling and profile.
func caseModel(t *testing.T, name string, c conformanceCase) *Model {
	var ps []*networkingv1.NetworkPolicy
	for i := range c.Policies {
		ps = append(ps, &c.Policies[i])
	}
	var m *Model
	switch c.Model {
	case "":
		m = standardModel(ps)
	case "network-policy-api":
		m = npapiModel(ps)
	default:
		t.Fatalf("%s: unknown model %q", name, c.Model)
	}
	for n, l := range c.NamespaceLabels {
		if m.Namespaces[n] == nil {
			t.Fatalf("%s: no namespace %q", name, n)
		}
		for k, v := range l {
			m.Namespaces[n][k] = v
		}
	}
	for id, l := range c.PodLabels {
		p := m.Pod(id)
		if p == nil {
			t.Fatalf("%s: no pod %q", name, id)
		}
		merged := map[string]string{}
		for k, v := range p.Labels {
			merged[k] = v
		}
		for k, v := range l {
			merged[k] = v
		}
		p.Labels = merged
	}
	if c.CNI != "" {
		cni, err := Profile(c.CNI)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m.SetCNI(cni)
	}
	return m
}

// TestConformance runs every case of testdata/conformance: each names the
// upstream test it re-expresses; every pair of the model must get the
// expected verdict from the per-pair engine, and from the class matrix
// for the ports the pods declare.
func TestConformance(t *testing.T) {
	files, steps, names := loadCases(t)
	if files < 45 {
		t.Fatalf("only %d conformance cases", files)
	}
	pairs := 0
	for i, c := range steps {
		m := caseModel(t, names[i], c)
		matrix := map[string]Verdict{}
		for _, cell := range m.Matrix() {
			for _, pv := range cell.Ports {
				for _, s := range cell.Src.Pods {
					for _, d := range cell.Dst.Pods {
						matrix[fmt.Sprintf("%s->%s %d/%s", s.ID(), d.ID(), pv.Port, pv.Protocol)] = pv.Verdict
					}
				}
			}
		}
		for _, ch := range c.Checks {
			proto := ch.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			var bad []string
			for _, src := range m.Pods {
				for _, dst := range m.Pods {
					got := m.Check(Connection{Src: src, Dst: dst, Port: ch.Port, Protocol: proto})
					want := expected(ch.Rules, src.ID(), dst.ID())
					pairs++
					if got.Verdict != want {
						bad = append(bad, src.ID()+"->"+dst.ID()+": got "+got.Verdict.String()+", want "+want.String())
					}
					if mv, ok := matrix[fmt.Sprintf("%s->%s %d/%s", src.ID(), dst.ID(), ch.Port, proto)]; ok && mv != want {
						bad = append(bad, src.ID()+"->"+dst.ID()+": matrix "+mv.String()+", want "+want.String())
					}
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s (%s) port %d/%s:\n  %s", names[i], c.Source, ch.Port, proto, strings.Join(bad, "\n  "))
			}
		}
	}
	t.Logf("%d cases, %d steps, %d pair verdicts checked", files, len(steps), pairs)
}
