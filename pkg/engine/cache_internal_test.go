package engine

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// TestFinishLeavesTheCacheAsItWas: folding changes the finding that
// subsumes others (its severity, its related rules); the cached finding is
// shared with later passes, whose folding may differ, so Finish changes a
// copy. Folding is idempotent on an unchanged object, so a comparison of
// results over passes would not see it: this compares what the cache holds
// before and after a Finish.
func TestFinishLeavesTheCacheAsItWas(t *testing.T) {
	dir := t.TempDir()
	if _, err := corpus.New(5).WriteDir(dir, 600); err != nil {
		t.Fatal(err)
	}
	objs := manifest.NewLoader().Load([]string{dir}).Objects
	rs, prof, _ := rules.Select(rules.DefaultProfile, nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = prof.PSSLevel
	e := New(WithRules(rs), WithSettings(s))
	cache := NewObjectCache()
	st := e.NewStream()
	for i, o := range objs {
		st.AddCached(o, fmt.Sprint(i), cache)
	}
	snapshot := func() string {
		var fs []any
		for i := range objs {
			for _, p := range cache.m[fmt.Sprint(i)].out {
				fs = append(fs, p.f)
			}
		}
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := snapshot()
	res := st.Finish(inventory.New(objs))
	folded := 0
	for _, f := range res.Findings {
		if len(f.Related) > 0 {
			folded++
		}
	}
	if folded == 0 {
		t.Fatal("the corpus gave no folded finding: the test shows nothing")
	}
	if after := snapshot(); after != before {
		t.Errorf("Finish changed the cached findings (%d folded)", folded)
	}
}
