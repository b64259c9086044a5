package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/internal/upstream"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// TestCrossCacheEqualsAFreshScan is the property behind the watch's
// incremental evaluation: after any sequence of creates, deletes,
// relabels and moves between namespaces, a stream whose cross-object
// results come from the cache gives exactly what a fresh scan gives. A
// rule whose Rule.Reads misses a kind it reads fails here. It runs on
// Kubernetes' own addons and e2e manifests, on a generated corpus and on
// the rules' fixtures together, with
// objects given UIDs and resourceVersions as live ones have.
func TestCrossCacheEqualsAFreshScan(t *testing.T) {
	seeds := []uint64{20261203, 7, 99}
	if s := os.Getenv("CROSS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seeds = []uint64{n}
	}
	gen := t.TempDir()
	if _, err := corpus.New(5).WriteDir(gen, 600); err != nil {
		t.Fatal(err)
	}
	k8s := upstream.Module(t, "k8s.io/kubernetes@v1.37.2")
	inputs := map[string][]string{
		"generated":  {gen},
		"kubernetes": {filepath.Join(k8s, "cluster/addons"), filepath.Join(k8s, "test/e2e/testing-manifests")},
		// Every rule's fixtures in one world, so that every rule has
		// findings to lose or gain.
		"fixtures": {"../rules/testdata"},
	}
	for name, paths := range inputs {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				rounds := 40
				if name == "fixtures" {
					rounds = 150 // small, and where every rule can change its mind
				}
				crossCacheProperty(t, paths, seed, rounds, name == "fixtures")
			})
		}
	}
}

func crossCacheProperty(t *testing.T, paths []string, seed uint64, rounds int, perFile bool) {
	rng := rand.New(rand.NewPCG(seed, 0))
	rs, prof, _ := rules.Select(rules.DefaultProfile, nil, nil)
	settings := rules.DefaultSettings()
	settings.PSSLevel = prof.PSSLevel
	settings.Live = true
	newEngine := func() *engine.Engine { return engine.New(engine.WithRules(rs), engine.WithSettings(settings)) }

	w := &world{rng: rng}
	files := map[string]string{}
	for _, o := range manifest.NewLoader().Load(paths).Objects {
		if perFile {
			// Each fixture file in namespaces of its own: they all use
			// "shop", and one world of them would be one namespace.
			f, _ := o.Source.SourceFile()
			if files[f] == "" {
				files[f] = strconv.Itoa(len(files))
			}
			if ns := o.Namespace(); ns != "" {
				o.Meta.SetNamespace(ns + "-" + files[f])
			} else if o.GVK.Kind == "Namespace" {
				o.Meta.SetName(o.Name() + "-" + files[f])
			}
		}
		if !w.taken(o.GVK.GroupKind().String(), o.Namespace(), o.Name()) {
			w.add(o) // a cluster holds one object per kind, namespace and name
		}
	}
	cache := engine.NewCrossCache()
	var log []string
	for round := 0; round < rounds; round++ {
		if round > 0 {
			for i := 0; i < 1+rng.IntN(4); i++ {
				log = append(log, w.mutate())
			}
		}
		want, _ := json.Marshal(newEngine().Scan(inventory.New(w.copies(t))))
		objs := w.copies(t)
		st := newEngine().NewStream(engine.WithCrossCache(cache))
		for _, o := range objs {
			st.Add(o)
		}
		got, _ := json.Marshal(st.Finish(inventory.New(objs)))
		if string(got) != string(want) {
			t.Fatalf("seed %d (CROSS_SEED=%d reruns it), round %d: the cached result differs from a fresh scan after:\n%s\n%s",
				seed, seed, round, strings.Join(log, "\n"), firstDifference(string(want), string(got)))
		}
	}
	hits, runs := cache.Stats()
	t.Logf("%d objects, %d mutations: %d cross-object checks from the cache, %d run", len(w.objs), len(log), hits, runs)
	if hits == 0 {
		t.Fatal("the cache answered nothing: the property was not exercised")
	}
}

// world is a set of live-looking objects that mutate between passes.
type world struct {
	rng     *rand.Rand
	objs    []*inventory.Object
	deleted []*inventory.Object
	uid     int
}

// taken reports whether an object of kind has that namespace and name.
func (w *world) taken(kind, ns, name string) bool {
	for _, o := range w.objs {
		if o.GVK.GroupKind().String() == kind && o.Namespace() == ns && o.Name() == name {
			return true
		}
	}
	return false
}

func (w *world) add(o *inventory.Object) {
	w.uid++
	o.Meta.SetUID(types.UID("uid-" + strconv.Itoa(w.uid)))
	o.Meta.SetResourceVersion(strconv.Itoa(w.uid))
	w.objs = append(w.objs, o)
}

// copies gives fresh objects, as the watch converts its cache each pass.
func (w *world) copies(t *testing.T) []*inventory.Object {
	out := make([]*inventory.Object, 0, len(w.objs))
	for _, o := range w.objs {
		c, err := inventory.NewObject(o.GVK, o.Obj.DeepCopyObject(), o.Source, o.Lines)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// mutate changes the world once and says how.
func (w *world) mutate() string {
	if len(w.objs) == 0 {
		return "nothing to mutate"
	}
	// A kind first, then one of its objects: the rare kinds (policies,
	// bindings, namespaces) are what cross-object rules read.
	byKind := map[string][]int{}
	var kinds []string
	for j, o := range w.objs {
		k := o.GVK.Kind
		if byKind[k] == nil {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], j)
	}
	sort.Strings(kinds)
	pool := byKind[kinds[w.rng.IntN(len(kinds))]]
	i := pool[w.rng.IntN(len(pool))]
	o := w.objs[i]
	if b, ok := o.Obj.(*rbacv1.RoleBinding); ok && w.rng.IntN(2) == 0 {
		// Bind a service account some workload runs as.
		if sa := w.someServiceAccount(); sa != nil {
			w.objs[i] = w.rewrite(o, func(u map[string]any) {
				_ = unstructured.SetNestedSlice(u, []any{map[string]any{"kind": "ServiceAccount", "name": sa[1], "namespace": sa[0]}}, "subjects")
			})
			return fmt.Sprintf("rebind %s/%s to %v", b.Namespace, b.Name, sa)
		}
	}
	if b, ok := o.Obj.(*rbacv1.ClusterRoleBinding); ok && w.rng.IntN(2) == 0 {
		if sa := w.someServiceAccount(); sa != nil {
			w.objs[i] = w.rewrite(o, func(u map[string]any) {
				_ = unstructured.SetNestedSlice(u, []any{map[string]any{"kind": "ServiceAccount", "name": sa[1], "namespace": sa[0]}}, "subjects")
			})
			return fmt.Sprintf("rebind %s to %v", b.Name, sa)
		}
	}
	switch op := w.rng.IntN(5); {
	case op == 0:
		w.objs = append(w.objs[:i], w.objs[i+1:]...)
		w.deleted = append(w.deleted, o)
		return "delete " + o.Ref().String()
	case op == 1 && len(w.deleted) > 0:
		j := w.rng.IntN(len(w.deleted))
		back := w.deleted[j]
		if w.taken(back.GVK.GroupKind().String(), back.Namespace(), back.Name()) {
			return "keep " + back.Ref().String()
		}
		w.deleted = append(w.deleted[:j], w.deleted[j+1:]...)
		w.add(back)
		return "create " + back.Ref().String()
	case op == 2:
		// Another object's labels, so that selectors start or stop matching.
		other := w.objs[w.rng.IntN(len(w.objs))]
		labels := other.Meta.GetLabels()
		if other.Workload != nil {
			labels = other.Workload.Labels()
		}
		w.objs[i] = w.rewrite(o, func(u map[string]any) {
			setLabels(u, labels, o.Workload != nil)
		})
		return fmt.Sprintf("relabel %s with %v", o.Ref(), labels)
	default:
		// Into another object's namespace (or out of it): bindings,
		// service accounts and policies change what they meet.
		ns := w.objs[w.rng.IntN(len(w.objs))].Namespace()
		if o.Namespace() == "" || ns == "" || w.taken(o.GVK.GroupKind().String(), ns, o.Name()) {
			return "keep " + o.Ref().String()
		}
		moved := w.rewrite(o, func(u map[string]any) {
			_ = unstructured.SetNestedField(u, ns, "metadata", "namespace")
		})
		w.uid++ // a new object in the other namespace
		moved.Meta.SetUID(types.UID("uid-" + strconv.Itoa(w.uid)))
		return "move " + o.Ref().String() + " to " + ns
	}
}

// someServiceAccount is the namespace and service account of a random
// workload.
func (w *world) someServiceAccount() []string {
	var ws []*inventory.Object
	for _, o := range w.objs {
		if o.Workload != nil && o.Workload.Spec != nil {
			ws = append(ws, o)
		}
	}
	if len(ws) == 0 {
		return nil
	}
	o := ws[w.rng.IntN(len(ws))]
	sa := o.Workload.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	ns := o.Namespace()
	if ns == "" {
		ns = "default"
	}
	return []string{ns, sa}
}

// rewrite replaces o by a changed copy with a new resourceVersion.
func (w *world) rewrite(o *inventory.Object, change func(map[string]any)) *inventory.Object {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		panic(err)
	}
	change(u)
	obj := o.Obj.DeepCopyObject()
	if _, ok := obj.(*unstructured.Unstructured); ok {
		obj = &unstructured.Unstructured{Object: u}
	} else if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, obj); err != nil {
		panic(err)
	}
	n, err := inventory.NewObject(o.GVK, obj, o.Source, o.Lines)
	if err != nil {
		panic(err)
	}
	w.uid++
	n.Meta.SetResourceVersion(strconv.Itoa(w.uid))
	for j := range w.objs {
		if w.objs[j] == o {
			w.objs[j] = n
			return n
		}
	}
	w.objs = append(w.objs, n)
	return n
}

func setLabels(u map[string]any, labels map[string]string, template bool) {
	m := map[string]any{}
	for k, v := range labels {
		m[k] = v
	}
	if kind, _, _ := unstructured.NestedString(u, "kind"); template && kind != "Pod" {
		if kind == "CronJob" {
			_ = unstructured.SetNestedMap(u, m, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
			return
		}
		_ = unstructured.SetNestedMap(u, m, "spec", "template", "metadata", "labels")
		return
	}
	_ = unstructured.SetNestedMap(u, m, "metadata", "labels")
}

// firstDifference shows where two results part.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-300)
	return fmt.Sprintf("fresh:  ...%s\ncached: ...%s", a[lo:min(len(a), i+300)], b[lo:min(len(b), i+300)])
}
