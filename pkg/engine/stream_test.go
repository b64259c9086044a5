package engine_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// TestStreamWithSlimmingEqualsScan: evaluating objects as they are decoded
// and then dropping their bodies must give exactly the result of scanning
// the full inventory, with every rule (cross-object ones included).
func TestStreamWithSlimmingEqualsScan(t *testing.T) {
	var buf bytes.Buffer
	corpus.New(11).Write(&buf, 3000)
	input := buf.String()
	p, _ := rules.LookupProfile("all")
	e := engine.New(engine.WithRules(p.Rules()))
	for _, paths := range [][]string{{"-"}, {"../../examples"}} {
		full := manifest.NewLoader(manifest.WithStdin(strings.NewReader(input))).Load(paths)
		want := e.Scan(inventory.New(full.Objects))

		stream := e.NewStream(engine.WithSlimming())
		streamed := manifest.NewLoader(manifest.WithStdin(strings.NewReader(input)), manifest.WithSink(stream.Add)).Load(paths)
		got := stream.Finish(inventory.New(streamed.Objects))

		if len(want.Findings) == 0 {
			t.Fatal("test input produced no findings")
		}
		if !reflect.DeepEqual(got.Findings, want.Findings) || !reflect.DeepEqual(got.Suppressed, want.Suppressed) || !reflect.DeepEqual(got.Summary, want.Summary) {
			t.Fatalf("%v: streamed scan differs: %d vs %d findings, summary %+v vs %+v", paths, len(got.Findings), len(want.Findings), got.Summary, want.Summary)
		}
		slimmed := 0
		for _, o := range streamed.Objects {
			if o.Workload != nil && o.Workload.Containers == nil {
				slimmed++
			}
		}
		if slimmed == 0 {
			t.Errorf("%v: no workload was slimmed", paths)
		}
		t.Logf("%v: %d findings identical, %d workloads slimmed", paths, len(got.Findings), slimmed)
	}
}
