package inventory

import (
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is an indexed, read-only set of objects.
type Inventory struct {
	objects     []*Object
	byKind      map[schema.GroupKind][]*Object
	byNamespace map[string][]*Object
	// podsByNS holds every object with a pod template, per namespace.
	podsByNS map[string][]*Object
	// podLabels indexes pod templates by namespace, then "key=value".
	podLabels  map[string]map[string][]*Object
	namespaces []string
	byName     map[nameKey]*Object
	memo       sync.Map // name -> *memoEntry
	memoCache  *MemoCache
}

type nameKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

type memoEntry struct {
	once sync.Once
	v    any
}

// New indexes objects. The slice order is kept as the inventory order.
func New(objects []*Object) *Inventory {
	inv := &Inventory{
		objects:     objects,
		byKind:      map[schema.GroupKind][]*Object{},
		byNamespace: map[string][]*Object{},
		podsByNS:    map[string][]*Object{},
		podLabels:   map[string]map[string][]*Object{},
		byName:      make(map[nameKey]*Object, len(objects)), // sized once: rehashing was half its cost
	}
	nsSeen := map[string]bool{}
	for i, o := range objects {
		o.Seq = i
		gk := o.GroupKind()
		inv.byKind[gk] = append(inv.byKind[gk], o)
		if k := (nameKey{gk, o.Namespace(), o.Name()}); inv.byName[k] == nil {
			inv.byName[k] = o
		}
		ns := o.Namespace()
		inv.byNamespace[ns] = append(inv.byNamespace[ns], o)
		if ns != "" && !nsSeen[ns] {
			nsSeen[ns] = true
		}
		if gk == NamespaceKind && !nsSeen[o.Name()] {
			nsSeen[o.Name()] = true
		}
		if o.Workload != nil {
			inv.podsByNS[ns] = append(inv.podsByNS[ns], o)
			idx := inv.podLabels[ns]
			if idx == nil {
				idx = map[string][]*Object{}
				inv.podLabels[ns] = idx
			}
			for k, v := range o.Workload.Labels() {
				idx[k+"="+v] = append(idx[k+"="+v], o)
			}
		}
	}
	for ns := range nsSeen {
		inv.namespaces = append(inv.namespaces, ns)
	}
	sort.Strings(inv.namespaces)
	return inv
}

// NamespaceKind is the GroupKind of core Namespaces.
var NamespaceKind = schema.GroupKind{Kind: "Namespace"}

// Objects returns every object in inventory order.
func (inv *Inventory) Objects() []*Object { return inv.objects }

// Len is the number of objects.
func (inv *Inventory) Len() int { return len(inv.objects) }

// ByKind returns the objects of one group and kind, in inventory order.
func (inv *Inventory) ByKind(gk schema.GroupKind) []*Object { return inv.byKind[gk] }

// InNamespace returns the objects whose metadata.namespace is ns.
func (inv *Inventory) InNamespace(ns string) []*Object { return inv.byNamespace[ns] }

// Namespaces returns, sorted, every namespace that a Namespace object
// declares or that an object names in its metadata.
func (inv *Inventory) Namespaces() []string { return inv.namespaces }

// NamespaceObject returns the Namespace object named ns, if the input has one.
func (inv *Inventory) NamespaceObject(ns string) *Object {
	return inv.Get(NamespaceKind, "", ns)
}

// Get returns the object of kind gk named name in namespace ns ("" for
// cluster-scoped kinds), or nil.
func (inv *Inventory) Get(gk schema.GroupKind, ns, name string) *Object {
	return inv.byName[nameKey{gk, ns, name}]
}

// Memo returns the value build computes from the inventory, computing it
// once per inventory and name: rules use it for reverse indexes (which
// bindings name a service account) instead of rescanning every object for
// every object. build must be pure.
func (inv *Inventory) Memo(name string, build func(*Inventory) any) any {
	e, _ := inv.memo.LoadOrStore(name, &memoEntry{})
	m := e.(*memoEntry)
	m.once.Do(func() { m.v = build(inv) })
	return m.v
}

// Workloads returns the objects with a pod template in namespace ns.
func (inv *Inventory) Workloads(ns string) []*Object { return inv.podsByNS[ns] }

// PodsMatching returns the workloads in ns whose pod labels match sel. It
// starts from the smallest posting list of sel's equality requirements, so a
// typical selector touches only the pods that carry one of its labels.
func (inv *Inventory) PodsMatching(ns string, sel labels.Selector) []*Object {
	if sel == nil || sel.Empty() {
		return inv.podsByNS[ns]
	}
	candidates := inv.podsByNS[ns]
	reqs, selectable := sel.Requirements()
	if selectable {
		idx := inv.podLabels[ns]
		for _, r := range reqs {
			if r.Operator() != "=" && r.Operator() != "==" && r.Operator() != "in" {
				continue
			}
			if r.Values().Len() != 1 {
				continue
			}
			list := idx[r.Key()+"="+r.Values().List()[0]]
			if len(list) < len(candidates) {
				candidates = list
			}
		}
	}
	var out []*Object
	for _, o := range candidates {
		if sel.Matches(labels.Set(o.Workload.Labels())) {
			out = append(out, o)
		}
	}
	return out
}
