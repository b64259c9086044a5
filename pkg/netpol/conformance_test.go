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
	Source   string                       `json:"source"`
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
		m := standardModel(ps)
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
