package engine

import (
	"encoding/json"
	"hash/fnv"
	"sync"
	"sync/atomic"

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
	m    map[crossKey]crossEntry
	used map[crossKey]bool
	hits atomic.Int64
	runs atomic.Int64
}

type crossKey struct{ rule, subject string }

type crossEntry struct {
	deps uint64
	vs   []rules.Violation
	// anchors holds, per violation, the object key of Violation.Object
	// ("" when unset): pointers into an older inventory are not kept.
	anchors []string
}

// NewCrossCache makes an empty cache.
func NewCrossCache() *CrossCache {
	return &CrossCache{m: map[crossKey]crossEntry{}, used: map[crossKey]bool{}}
}

// Stats returns how many cross-object rule checks were answered from the
// cache and how many ran, since the cache was made.
func (c *CrossCache) Stats() (hits, runs int64) { return c.hits.Load(), c.runs.Load() }

// Len is the number of (rule, object) results kept.
func (c *CrossCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// sweep drops the entries the last pass did not use.
func (c *CrossCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if !c.used[k] {
			delete(c.m, k)
		}
	}
	c.used = map[crossKey]bool{}
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
}

func newCrossPass(c *CrossCache, inv *inventory.Inventory) *crossPass {
	p := &crossPass{c: c, byBucket: map[bucket]uint64{}, byKind: map[schema.GroupKind]uint64{},
		objects: make(map[string]*inventory.Object, inv.Len()), keys: make(map[*inventory.Object]string, inv.Len())}
	for _, o := range inv.Objects() {
		k := objectKey(o)
		p.objects[k], p.keys[o] = o, k
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

// check returns r's violations on in, from the cache when neither the
// judged object (subject, "" when it cannot be identified) nor anything r
// reads in namespace ns changed. The slice is the caller's to modify.
func (p *crossPass) check(r *rules.Rule, in *rules.Input, subject, ns string) []rules.Violation {
	if subject == "" {
		p.c.runs.Add(1)
		return r.Check(in)
	}
	key := crossKey{rule: r.ID, subject: subject}
	deps := p.deps(r, ns)
	p.c.mu.Lock()
	hit, ok := p.c.m[key]
	p.c.used[key] = true
	p.c.mu.Unlock()
	if ok && hit.deps == deps {
		if vs, ok := p.revive(hit); ok {
			p.c.hits.Add(1)
			return vs
		}
	}
	p.c.runs.Add(1)
	vs := r.Check(in)
	e := crossEntry{deps: deps, vs: append([]rules.Violation(nil), vs...), anchors: make([]string, len(vs))}
	for i, v := range vs {
		if v.Object != nil {
			e.anchors[i] = p.keys[v.Object]
			e.vs[i].Object = nil
		}
	}
	p.c.mu.Lock()
	p.c.m[key] = e
	p.c.mu.Unlock()
	return vs
}

// revive copies a cached result, pointing its anchors at this inventory's
// objects; ok is false when one of them is gone.
func (p *crossPass) revive(e crossEntry) ([]rules.Violation, bool) {
	vs := append([]rules.Violation(nil), e.vs...)
	for i, k := range e.anchors {
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

// objectSubject is the cache subject of an object judged by a
// cross-object rule, and the namespace its reads are in (a Namespace's
// own name).
func (p *crossPass) objectSubject(o *inventory.Object) (subject, ns string) {
	ns = o.Namespace()
	if o.GVK.Kind == "Namespace" && o.GVK.Group == "" {
		ns = o.Name()
	}
	return p.keys[o], ns
}

// namespaceSubject is the cache subject of a namespace rule's check of ns.
func (p *crossPass) namespaceSubject(ns string, nsObj *inventory.Object) string {
	if nsObj == nil {
		return "ns|" + ns
	}
	return "ns|" + ns + "|" + p.keys[nsObj]
}
