package engine

import (
	"encoding/json"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CrossCache keeps the cross-object rules' violations across streams, so
// that the continuous watch re-runs a cross-object rule on an object only
// when the object or an object of a kind the rule reads (Rule.Reads, in
// the object's namespace or everywhere) changed: a relabelled pod re-runs
// its namespace's network rules and not the RBAC rules of the cluster's
// bindings. Live objects are identified by UID and resourceVersion (plus
// the pod addresses folded into them); other objects by their content.
// Rules that declare no reads re-run on any change. Only Check's output is
// kept: exposure grading, anchors and exceptions are applied every pass.
// Use one cache with one rule set and settings.
//
// No library tracks which objects a rule function read, so the
// dependency keys are computed here from the rules' declarations.
type CrossCache struct {
	mu   sync.Mutex
	m    map[string]*crossEntry // subject -> its rules' results
	hits atomic.Int64
	runs atomic.Int64
}

// crossEntry holds one subject's (object's or namespace's) results, one
// slot per rule. A pass fetches every subject's entry before judging in
// parallel, and each worker writes only its own objects' entries, so
// judging takes no lock.
type crossEntry struct {
	slots []crossSlot
}

type crossSlot struct {
	rule string
	deps uint64
	vs   []rules.Violation
	// anchors holds, per violation, the object key of Violation.Object
	// ("" when unset): pointers into an older inventory are not kept.
	anchors []string
	// ps are the findings made of vs (made), graded by exposure grade
	// (-1: not graded), valid until an exception expires (evalObject).
	ps    []pending
	grade int
	made  bool
	until time.Time
}

// NewCrossCache makes an empty cache.
func NewCrossCache() *CrossCache {
	return &CrossCache{m: map[string]*crossEntry{}}
}

// Stats returns how many cross-object rule checks were answered from the
// cache and how many ran, since the cache was made.
func (c *CrossCache) Stats() (hits, runs int64) { return c.hits.Load(), c.runs.Load() }

// Len is the number of subjects kept.
func (c *CrossCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// WithCrossCache lets Finish reuse the cross-object rules' violations of
// an earlier stream where nothing they read changed (see CrossCache).
func WithCrossCache(c *CrossCache) StreamOption { return func(s *Stream) { s.cross = c } }

// bucket is the objects of one kind in one namespace ("" for cluster-scoped).
type bucket struct {
	kind schema.GroupKind
	ns   string
}

// crossPass is one Finish's view of the cache: the inventory's
// fingerprints by bucket and by kind, and its objects by key.
type crossPass struct {
	c        *CrossCache
	byBucket map[bucket]uint64
	byKind   map[schema.GroupKind]uint64
	total    uint64
	objects  map[string]*inventory.Object // objectKey -> object
	keys     map[*inventory.Object]string
	entries  map[*inventory.Object]*crossEntry
	next     map[string]*crossEntry // the cache after this pass: only its subjects
}

func newCrossPass(c *CrossCache, inv *inventory.Inventory) *crossPass {
	p := &crossPass{c: c, byBucket: map[bucket]uint64{}, byKind: map[schema.GroupKind]uint64{},
		objects: make(map[string]*inventory.Object, inv.Len()), keys: make(map[*inventory.Object]string, inv.Len()),
		entries: make(map[*inventory.Object]*crossEntry, inv.Len()), next: make(map[string]*crossEntry, inv.Len())}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range inv.Objects() {
		k := objectKey(o)
		p.objects[k], p.keys[o] = o, k
		if _, dup := p.next[k]; k != "" && !dup { // a duplicate is judged uncached: one entry, one writer
			e := c.m[k]
			if e == nil {
				e = &crossEntry{}
			}
			p.entries[o], p.next[k] = e, e
		}
		h := hash64(k)
		ns := o.Namespace()
		// XOR keeps each fingerprint independent of the objects' order;
		// one object's key never appears twice in an inventory.
		for _, gk := range []schema.GroupKind{o.GroupKind(), rules.AnyKind} {
			p.byBucket[bucket{gk, ns}] ^= h
			p.byKind[gk] ^= h
		}
		if o.Workload != nil {
			p.byBucket[bucket{rules.WorkloadKind, ns}] ^= h
			p.byKind[rules.WorkloadKind] ^= h
		}
		p.total ^= h
	}
	return p
}

// objectKey identifies an object's content: kind, UID, resourceVersion and
// what the loader attached (folded pods' addresses, undecoded fields) for
// a live object; kind and the whole content for any other.
func objectKey(o *inventory.Object) string {
	gk := o.GroupKind().String()
	uid, rv := string(o.Meta.GetUID()), o.Meta.GetResourceVersion()
	if uid != "" && rv != "" {
		k := gk + "|" + uid + "|" + rv
		for _, ip := range o.PodIPs {
			k += "|" + ip
		}
		for _, u := range o.Undecoded {
			k += "|!" + u
		}
		return k
	}
	data, err := json.Marshal(o.Obj)
	if err != nil {
		return "" // never cached
	}
	return gk + "|" + o.Namespace() + "|" + o.Name() + "|" + string(data)
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// deps is the fingerprint of everything rule r reads when judging an
// object of namespace ns.
func (p *crossPass) deps(r *rules.Rule, ns string) uint64 {
	if r.Reads == nil {
		return p.total
	}
	h := uint64(14695981039346656037)
	mix := func(v uint64) { h = (h ^ v) * 1099511628211 }
	for _, rd := range r.Reads {
		if rd.AllNamespaces {
			mix(p.byKind[rd.Kind])
			continue
		}
		mix(p.byBucket[bucket{rd.Kind, ns}])
		mix(p.byBucket[bucket{rd.Kind, ""}]) // the cluster-scoped ones
	}
	return h
}

// done makes the cache hold this pass's subjects only: an object deleted
// or changed (a new key) leaves with its results.
func (p *crossPass) done() {
	p.c.mu.Lock()
	p.c.m = p.next
	p.c.mu.Unlock()
}

// check returns r's violations on in, from the entry's slot when nothing
// r reads in namespace ns changed since it was filled (the entry belongs
// to one judged object, or one namespace, so its key already says the
// subject itself is the same), with that slot and whether they came from
// it. A nil entry means the subject cannot be identified: r runs; so it
// does without a pass (no cache), and the slot is nil. The slice is the
// caller's to modify; the slot's findings are the caller's to fill.
func (p *crossPass) check(r *rules.Rule, in *rules.Input, e *crossEntry, ns string) ([]rules.Violation, *crossSlot, bool) {
	if p == nil {
		return r.Check(in), nil, false
	}
	if e == nil {
		p.c.runs.Add(1)
		return r.Check(in), nil, false
	}
	deps := p.deps(r, ns)
	var slot *crossSlot
	for i := range e.slots {
		if e.slots[i].rule == r.ID {
			slot = &e.slots[i]
			break
		}
	}
	if slot != nil && slot.deps == deps {
		if vs, ok := p.revive(slot); ok {
			p.c.hits.Add(1)
			return vs, slot, true
		}
	}
	if slot == nil {
		e.slots = append(e.slots, crossSlot{rule: r.ID})
		slot = &e.slots[len(e.slots)-1]
	}
	p.c.runs.Add(1)
	vs := r.Check(in)
	slot.deps = deps
	slot.vs = append([]rules.Violation(nil), vs...)
	slot.anchors, slot.ps, slot.made = nil, nil, false
	for i, v := range vs {
		if v.Object != nil {
			if slot.anchors == nil {
				slot.anchors = make([]string, len(vs))
			}
			slot.anchors[i] = p.keys[v.Object]
			slot.vs[i].Object = nil
		}
	}
	return vs, slot, false
}

// revive copies a cached result, pointing its anchors at this inventory's
// objects; ok is false when one of them is gone.
func (p *crossPass) revive(s *crossSlot) ([]rules.Violation, bool) {
	if len(s.vs) == 0 {
		return nil, true
	}
	vs := append([]rules.Violation(nil), s.vs...)
	for i, k := range s.anchors {
		if k == "" {
			continue
		}
		o := p.objects[k]
		if o == nil {
			return nil, false
		}
		vs[i].Object = o
	}
	return vs, true
}

// objectEntry is the cache entry of an object judged by cross-object
// rules, and the namespace its rules' reads are in (a Namespace's own
// name); nil without a pass.
func (p *crossPass) objectEntry(o *inventory.Object) (*crossEntry, string) {
	if p == nil {
		return nil, ""
	}
	ns := o.Namespace()
	if o.GVK.Kind == "Namespace" && o.GVK.Group == "" {
		ns = o.Name()
	}
	return p.entries[o], ns
}

// namespaceEntry is the cache entry of the namespace rules' check of ns
// (called from one goroutine).
func (p *crossPass) namespaceEntry(ns string, nsObj *inventory.Object) *crossEntry {
	if p == nil {
		return nil
	}
	k := "ns|" + ns
	if nsObj != nil {
		k += "|" + p.keys[nsObj]
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	e := p.c.m[k]
	if e == nil {
		e = &crossEntry{}
	}
	p.next[k] = e
	return e
}
