package netpol

import (
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
// standard model, as "allow|deny SRC->DST" rules over globs, applied in
// order on top of "everything allowed".
type conformanceCase struct {
	Source string `json:"source"`
	// Model is "" for the e2e tests' standard model, or "network-policy-api"
	// for the sig-network network-policy-api conformance model.
	Model    string                       `json:"model,omitempty"`
	Policies []networkingv1.NetworkPolicy `json:"policies"`
	Checks   []struct {
		Port     int32           `json:"port"`
		Protocol corev1.Protocol `json:"protocol"`
		Rules    []string        `json:"rules"`
	} `json:"checks"`
}

// standardModel is the e2e NetworkPolicy tests' model: pods a, b and c in
// namespaces x, y and z, labelled pod=<name> and ns=<namespace>, serving
// 80 and 81 over TCP and UDP.
func standardModel(policies []*networkingv1.NetworkPolicy) *Model {
	var pods []*Pod
	ns := map[string]map[string]string{}
	var ports []corev1.ContainerPort
	for _, p := range []int32{80, 81} {
		for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
			ports = append(ports, corev1.ContainerPort{Name: "serve-" + itoa(p) + "-" + strings.ToLower(string(proto)), ContainerPort: p, Protocol: proto})
		}
	}
	for _, n := range []string{"x", "y", "z"} {
		ns[n] = map[string]string{"ns": n}
		for _, p := range []string{"a", "b", "c"} {
			pods = append(pods, &Pod{Namespace: n, Name: p, Labels: map[string]string{"pod": p}, Ports: ports})
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

func itoa(i int32) string {
	return strings.TrimSpace(strings.Replace(string(rune('0'+i/10))+string(rune('0'+i%10)), "\x00", "", -1))
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
		if match(s, src) {
			if match(d, dst) {
				v = Deny
				if verb == "allow" {
					v = Allow
				}
			}
		}
	}
	return v
}

// TestConformance runs every case of testdata/conformance: each names the
// upstream test it re-expresses; every pair of the standard model must
// get the expected verdict.
func TestConformance(t *testing.T) {
	files, _ := filepath.Glob("testdata/conformance/*.yaml")
	if len(files) < 20 {
		t.Fatalf("only %d conformance cases", len(files))
	}
	pairs := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c conformanceCase
		if err := yaml.UnmarshalStrict(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Source == "" || len(c.Checks) == 0 {
			t.Fatalf("%s: a case needs a source and checks", f)
		}
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
			t.Fatalf("%s: unknown model %q", f, c.Model)
		}
		for _, ch := range c.Checks {
			var bad []string
			for _, src := range m.Pods {
				for _, dst := range m.Pods {
					got := m.Check(Connection{Src: src, Dst: dst, Port: ch.Port, Protocol: ch.Protocol})
					want := expected(ch.Rules, src.ID(), dst.ID())
					pairs++
					if got.Verdict != want {
						bad = append(bad, src.ID()+"->"+dst.ID()+": got "+got.Verdict.String()+", want "+want.String())
					}
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s (%s) port %d/%s:\n  %s", filepath.Base(f), c.Source, ch.Port, ch.Protocol, strings.Join(bad, "\n  "))
			}
		}
	}
	t.Logf("%d cases, %d pair verdicts checked", len(files), pairs)
}
