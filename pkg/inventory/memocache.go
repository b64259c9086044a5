package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// MemoCache keeps memo values across inventories: the continuous watch
// builds a new inventory each pass, and a value computed from kinds that
// did not change (the RBAC risk report, when no role or binding moved) is
// reused instead of recomputed. Only live objects take part: their UID and
// resourceVersion identify their content.
type MemoCache struct {
	mu sync.Mutex
	m  map[string]memoCached // name -> the last value and its inputs' fingerprint
}

type memoCached struct {
	fingerprint string
	v           any
}

// NewMemoCache makes an empty cache.
func NewMemoCache() *MemoCache { return &MemoCache{m: map[string]memoCached{}} }

// SetMemoCache lets MemoKinds reuse values across inventories.
func (inv *Inventory) SetMemoCache(c *MemoCache) { inv.memoCache = c }

// MemoKinds is Memo for a value computed only from the objects of kinds
// (build must read nothing else, and the value must hold no *Object: it may
// outlive this inventory). With a MemoCache set and every such object live
// (UID and resourceVersion known), a value computed by an earlier inventory
// from the same objects is returned.
func (inv *Inventory) MemoKinds(name string, kinds []schema.GroupKind, build func(*Inventory) any) any {
	if inv.memoCache == nil {
		return inv.Memo(name, build)
	}
	return inv.Memo(name, func(inv *Inventory) any {
		fp, ok := inv.fingerprint(kinds)
		if !ok {
			return build(inv)
		}
		c := inv.memoCache
		c.mu.Lock()
		prev, hit := c.m[name]
		c.mu.Unlock()
		if hit && prev.fingerprint == fp {
			return prev.v
		}
		v := build(inv)
		c.mu.Lock()
		c.m[name] = memoCached{fingerprint: fp, v: v}
		c.mu.Unlock()
		return v
	})
}

// fingerprint identifies the objects of kinds by UID and resourceVersion;
// ok is false when one of them is not a live object.
func (inv *Inventory) fingerprint(kinds []schema.GroupKind) (string, bool) {
	var keys []string
	for _, gk := range kinds {
		for _, o := range inv.byKind[gk] {
			uid, rv := string(o.Meta.GetUID()), o.Meta.GetResourceVersion()
			if uid == "" || rv == "" {
				return "", false
			}
			keys = append(keys, gk.String()+"/"+uid+"/"+rv)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), true
}
