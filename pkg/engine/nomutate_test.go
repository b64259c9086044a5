package engine_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestRulesDoNotModifyTheirInput: every rule, per-object and
// cross-object, in manifest and live mode, leaves the objects it judges as
// they were. The continuous watch judges its informers' cached objects
// without copying them, so a rule that wrote into one would corrupt the
// cache every later pass reads.
func TestRulesDoNotModifyTheirInput(t *testing.T) {
	var buf bytes.Buffer
	corpus.New(5).Write(&buf, 2000)
	input := buf.String()
	p, _ := rules.LookupProfile("all")
	for _, live := range []bool{false, true} {
		e := engine.New(engine.WithRules(p.Rules()), engine.WithSettings(rules.Settings{Live: live}))
		for _, paths := range [][]string{{"-"}, {"../../examples"}, {"../rules/testdata"}} {
			loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(input))).Load(paths)
			if len(loaded.Objects) == 0 {
				t.Fatalf("%v: nothing loaded", paths)
			}
			before := make([]runtime.Object, len(loaded.Objects))
			for i, o := range loaded.Objects {
				before[i] = o.Obj.DeepCopyObject()
			}
			stream := e.NewStream(engine.WithCrossCache(engine.NewCrossCache()))
			for _, o := range loaded.Objects {
				stream.AddCached(o, o.Ref().String(), engine.NewObjectCache())
			}
			res := stream.Finish(inventory.New(loaded.Objects))
			if len(res.Findings) == 0 {
				t.Fatalf("%v: no findings: the test judges nothing", paths)
			}
			changed := 0
			for i, o := range loaded.Objects {
				if !equality.Semantic.DeepEqual(before[i], o.Obj) {
					changed++
					if changed <= 5 {
						t.Errorf("live=%v %v: %s was modified by the engine", live, paths, o.Ref())
					}
				}
			}
			t.Logf("live=%v %v: %d objects, %d findings, %d modified", live, paths, len(loaded.Objects), len(res.Findings), changed)
		}
	}
}
