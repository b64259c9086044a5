package engine

import (
	"slices"
	"sync"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// ObjectCache keeps the per-object rules' results across streams, keyed by
// the caller: the continuous watch keys a live object by UID and
// resourceVersion, so a pass re-runs the per-object rules only on objects
// that changed. Cross-object rules always run (their inputs are other
// objects). Use one cache with one rule set and settings.
type ObjectCache struct {
	mu   sync.Mutex
	m    map[string]cachedObject
	used map[string]bool
}

type cachedObject struct {
	out   []pending
	t     tally
	until time.Time // when an exception that suppresses one expires (expiry)
}

// NewObjectCache makes an empty cache.
func NewObjectCache() *ObjectCache {
	return &ObjectCache{m: map[string]cachedObject{}, used: map[string]bool{}}
}

// Len is the number of objects cached.
func (c *ObjectCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Sweep drops the entries no stream used since the last Sweep (deleted or
// changed objects).
func (c *ObjectCache) Sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if !c.used[k] {
			delete(c.m, k)
		}
	}
	c.used = map[string]bool{}
}

// AddCached is Add, reusing the results cached under key when there are
// any (the object is the same as when they were computed), else computing
// and caching them.
func (s *Stream) AddCached(o *inventory.Object, key string, c *ObjectCache) {
	if key == "" || c == nil {
		s.Add(o)
		return
	}
	c.mu.Lock()
	hit, ok := c.m[key]
	c.used[key] = true
	c.mu.Unlock()
	if !ok || !s.e.valid(hit.until) {
		t := newTally()
		out := s.e.evalObject(s.ctx, &s.e.local, nil, nil, o, &t)
		// Held for as long as the object stays: no append slack (a third
		// more than the results at ten findings per object).
		hit = cachedObject{out: slices.Clip(out), t: t, until: expiry(out)}
		c.mu.Lock()
		c.m[key] = hit
		c.mu.Unlock()
	}
	// The cached results themselves, not a copy: Finish copies them once,
	// into the pass's list, with this object (the same object as when they
	// were computed, maybe another copy of it).
	s.mu.Lock()
	if len(hit.out) > 0 {
		s.done = append(s.done, done{obj: o, out: hit.out})
	}
	s.t.merge(hit.t)
	s.mu.Unlock()
}
