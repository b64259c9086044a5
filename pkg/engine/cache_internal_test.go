package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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

// TestKeptFindingsExpireWithTheirException: the continuous watch keeps a
// finding for as long as its object (and, for a cross-object rule, what
// the rule reads) stays the same. An exception that expires in the
// meantime must stop suppressing it, in both caches, with nothing changed.
func TestKeptFindingsExpireWithTheirException(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: team
  uid: u-pod
  resourceVersion: "1"
  annotations:
    exception.guardrail.dev/pss-run-as-non-root: "sized later; expires=2026-12-10"
spec:
  containers:
  - name: c
    image: registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000
---
apiVersion: v1
kind: Service
metadata:
  name: s
  namespace: team
  uid: u-svc
  resourceVersion: "1"
  annotations:
    exception.guardrail.dev/service-selects-nothing: "kept for later; expires=2026-12-10"
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "objs.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	objs := manifest.NewLoader().Load([]string{dir}).Objects
	if len(objs) != 2 {
		t.Fatalf("loaded %d objects", len(objs))
	}
	rs, _, _ := rules.Select(rules.DefaultProfile, nil, nil)
	objCache, cross := NewObjectCache(), NewCrossCache()
	suppressed := func(day int) map[string]bool {
		s := rules.DefaultSettings()
		s.Now = time.Date(2026, 12, day, 12, 0, 0, 0, time.UTC)
		e := New(WithRules(rs), WithSettings(s), WithAnnotationExceptions(true))
		st := e.NewStream(WithCrossCache(cross))
		for _, o := range objs {
			st.AddCached(o, string(o.Meta.GetUID())+"/"+o.Meta.GetResourceVersion(), objCache)
		}
		res := st.FinishShared(inventory.New(objs))
		got := map[string]bool{}
		for _, f := range res.Findings {
			got[f.RuleID] = false
		}
		for _, f := range res.Suppressed {
			got[f.RuleID] = true
		}
		return got
	}
	for _, id := range []string{"pss-run-as-non-root", "service-selects-nothing"} {
		if before := suppressed(5); !before[id] {
			t.Fatalf("%s: not suppressed before the expiry (%v): the test shows nothing", id, before)
		}
	}
	after := suppressed(11)
	for _, id := range []string{"pss-run-as-non-root", "service-selects-nothing"} {
		if s, ok := after[id]; !ok || s {
			t.Errorf("%s: after the exception expired, suppressed=%v found=%v; want an active finding", id, s, ok)
		}
	}
	if hits, _ := cross.Stats(); hits == 0 {
		t.Error("the second pass answered nothing from the cross cache: the cached path was not tested")
	}
}
