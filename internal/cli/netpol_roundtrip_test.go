package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"go.yaml.in/yaml/v3"
)

// TestNetpolDemoRoundTrip: on demo-application manifests without
// metadata.namespace (as Online Boutique ships them), intents -> generate
// -> matrix keeps exactly the inferred edges, in namespace "default" or
// -n; the LoadBalancer frontend stays reachable from the internet on its
// target port only, and nothing else is reachable from a peer.
func TestNetpolDemoRoundTrip(t *testing.T) {
	app := "../../pkg/intents/testdata/boutique"
	for _, ns := range []string{"", "shop"} {
		t.Run("namespace="+ns, func(t *testing.T) {
			nsArgs, want := []string{}, "default"
			if ns != "" {
				nsArgs, want = []string{"-n", ns}, ns
			}
			code, inferred, errOut := run(t, "", append([]string{"netpol", "intents", app}, nsArgs...)...)
			if code != 0 {
				t.Fatalf("intents exit %d: %s", code, errOut)
			}
			var f struct {
				Intents []struct{ From, To string }
			}
			if err := yaml.Unmarshal([]byte(inferred), &f); err != nil || len(f.Intents) < 10 {
				t.Fatalf("intents: %v\n%s", err, inferred)
			}
			var wantEdges []string
			for _, in := range f.Intents {
				if in.From != "internet" && !strings.HasPrefix(in.From, want+"/") {
					t.Errorf("intent from %q: not in namespace %s", in.From, want)
				}
			}
			dir := t.TempDir()
			intentsFile := filepath.Join(dir, "intents.yaml")
			os.WriteFile(intentsFile, []byte(inferred), 0o644)
			code, gen, errOut := run(t, "", append([]string{"netpol", "generate", "-i", intentsFile, app}, nsArgs...)...)
			if code != 0 || !strings.Contains(errOut, "verified: 0 differences") {
				t.Fatalf("generate exit %d: %s", code, errOut)
			}
			if !strings.Contains(gen, "internet -> "+want+"/Deployment/frontend 8080/TCP") {
				t.Errorf("the public entry point is not listed:\n%s", gen)
			}
			genFile := filepath.Join(dir, "gen.yaml")
			os.WriteFile(genFile, []byte(gen), 0o644)

			// The edges the intents name: each Service fronts the
			// Deployment of its name (frontend-external the frontend).
			for _, in := range f.Intents {
				svc := strings.TrimSuffix(in.To[strings.LastIndexByte(in.To, '/')+1:], "-external")
				wantEdges = append(wantEdges, fmt.Sprintf("%s>%s/Deployment/%s", in.From, want, svc))
			}
			sort.Strings(wantEdges)

			code, out, errOut := run(t, "", append([]string{"netpol", "matrix", "-o", "json", app, genFile}, nsArgs...)...)
			if code != 0 {
				t.Fatalf("matrix exit %d: %s", code, errOut)
			}
			var got []string
			for _, e := range matrixEdges(t, out) {
				switch {
				case e.To == netpol.PeerNameAnyNamespace && e.Port == 53 && e.Verdict == netpol.Depends:
					continue // DNS, to kube-system, which is not in the input
				case e.From == "internet" && (e.To != want+"/Deployment/frontend" || e.Port != 8080 || e.Verdict != netpol.Allow):
					t.Errorf("opened to the internet: %s -> %s %s %s", e.From, e.To, e.PortString(), e.Verdict)
				case e.From == "internet":
				case e.To == want+"/Deployment/frontend" && e.Port == 8080 && e.Verdict == netpol.Depends && (e.From == netpol.PeerNameNodes || e.From == netpol.PeerNameAnyNamespace):
					continue // 0.0.0.0/0 may hold pod and node addresses: the CNI's to say, on a public port
				case netpol.IsPeer(e.From) || netpol.IsPeer(e.To):
					t.Errorf("opened to a peer: %s -> %s %s %s", e.From, e.To, e.PortString(), e.Verdict)
					continue
				case e.Verdict != netpol.Allow:
					t.Errorf("not settled: %s -> %s %s %s", e.From, e.To, e.PortString(), e.Verdict)
				}
				got = append(got, e.From+">"+e.To)
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(wantEdges, "\n") {
				t.Errorf("edges after generation:\n%s\nwant the inferred ones:\n%s", strings.Join(got, "\n"), strings.Join(wantEdges, "\n"))
			}
		})
	}
}
