package engine_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// TestObjectCacheGivesTheSameResult: a stream whose per-object results come
// from the cache (fresh copies of the same objects, as the watcher makes
// each pass) gives exactly the result of a plain scan; a changed key is
// evaluated again.
func TestObjectCacheGivesTheSameResult(t *testing.T) {
	dir := t.TempDir()
	if _, err := corpus.New(3).WriteDir(dir, 1500); err != nil {
		t.Fatal(err)
	}
	load := func() []*inventory.Object { return manifest.NewLoader().Load([]string{dir}).Objects }
	rs, prof, _ := rules.Select(rules.DefaultProfile, nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = prof.PSSLevel
	e := func() *engine.Engine { return engine.New(engine.WithRules(rs), engine.WithSettings(s)) }
	want, _ := json.Marshal(e().Scan(inventory.New(load())))
	cache := engine.NewObjectCache()
	for pass := 0; pass < 3; pass++ {
		objs := load()
		st := e().NewStream()
		for i, o := range objs {
			st.AddCached(o, fmt.Sprint(i), cache)
		}
		got, _ := json.Marshal(st.Finish(inventory.New(objs)))
		cache.Sweep()
		if string(got) != string(want) {
			t.Fatalf("pass %d from the cache differs from a plain scan", pass)
		}
		if cache.Len() != len(objs) {
			t.Fatalf("cache holds %d of %d objects", cache.Len(), len(objs))
		}
	}
	// Keys nobody uses any more are swept.
	st := e().NewStream()
	objs := load()
	st.AddCached(objs[0], "0", cache)
	cache.Sweep()
	if cache.Len() != 1 {
		t.Errorf("after a pass over one object the cache holds %d", cache.Len())
	}
}
