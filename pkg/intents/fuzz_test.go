package intents

import (
	"os"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// FuzzParseResolve feeds arbitrary intents files through Parse, Resolve
// and generation: errors are fine, panics are not.
func FuzzParseResolve(f *testing.F) {
	seed, err := os.ReadFile("testdata/intents.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("kind: Intents\nintents:\n- {from: a, to: b/c/d/e, ports: [x/y]}\n"))
	f.Add([]byte("kind: Intents\ndns: {namespace: shop, labels: {}}\nintents:\n- {from: shop/api, to: shop/Service/api, ports: [grpc]}\n"))
	inv := inventory.New(manifest.NewLoader().Load([]string{"testdata/app.yaml"}).Objects)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		p, _ := Resolve(file, "fuzz.yaml", inv)
		gen := p.NetworkPolicies()
		_ = p.VerifyNetworkPolicies(nil, gen)
		_ = p.VerifyIstio(p.Istio())
	})
}
