package watch

import (
	"fmt"
	"sort"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// convertedObject is a pass's conversion of a cached object, reused while
// its resourceVersion stays.
type convertedObject struct {
	rv string
	o  *inventory.Object
}

// convertedKey identifies a cached object across passes: its resource and
// UID (a struct, not a concatenated string: one allocation less per object
// and pass).
type convertedKey struct {
	resource string
	uid      types.UID
}

// listedItem is a cached object with its namespace and name, for the
// API server's list order.
type listedItem struct {
	ns, name string
	obj      runtime.Object
	acc      metav1.Object
}

// keyLess orders namespace/name keys as the API server lists them (by the
// string "namespace/name") without building the strings: the pass sorts
// every cached object, and a key per object was a tenth of its garbage.
func keyLess(ans, an, bns, bn string) bool {
	if ans == bns {
		return an < bn
	}
	la, lb := len(ans)+1+len(an), len(bns)+1+len(bn)
	for i := 0; i < min(la, lb); i++ {
		if x, y := keyByte(ans, an, i), keyByte(bns, bn, i); x != y {
			return x < y
		}
	}
	return la < lb
}

// keyByte is byte i of ns + "/" + name.
func keyByte(ns, name string, i int) byte {
	switch {
	case i < len(ns):
		return ns[i]
	case i == len(ns):
		return '/'
	}
	return name[i-len(ns)-1]
}

// list converts the informers' objects for a pass, in the order a live
// scan lists them, reusing last pass's conversion of every object whose
// resourceVersion did not change. It records the kinds that could not be
// read in st, fills st.Namespaces, and returns the lists with the number
// of workload kinds read.
func (w *Watcher) list(st *State) ([][]*inventory.Object, int) {
	lists := make([][]*inventory.Object, 0, len(w.sources))
	converted := make(map[convertedKey]convertedObject, len(w.converted))
	workloadKinds := 0
	for _, s := range w.sources {
		if err := s.lastErr(); err != nil {
			st.Partial = true
			s.listed.Store(int64(len(s.informer.GetStore().ListKeys())))
			st.Problems = append(st.Problems, fmt.Sprintf("%s: not read: %v", s.res.GVR.Resource, err))
			continue
		}
		if cluster.IsWorkloadResource(s.res.GVR.Resource) {
			workloadKinds++
		}
		items := s.informer.GetStore().List()
		s.listed.Store(int64(len(items)))
		listed := make([]listedItem, 0, len(items))
		for _, item := range items {
			ro, ok := item.(runtime.Object)
			if !ok {
				continue
			}
			acc, err := meta.Accessor(ro)
			if err != nil {
				continue
			}
			listed = append(listed, listedItem{ns: acc.GetNamespace(), name: acc.GetName(), obj: ro, acc: acc})
		}
		// The API server lists by namespace/name; the cache is a map. Rules
		// that pick one object among several (the binding a finding is
		// reported on) must see the order a live scan sees.
		sort.Slice(listed, func(i, j int) bool {
			return keyLess(listed[i].ns, listed[i].name, listed[j].ns, listed[j].name)
		})
		l := make([]*inventory.Object, 0, len(listed))
		for _, li := range listed {
			ro, acc := li.obj, li.acc
			if ns, ok := ro.(*corev1.Namespace); ok {
				st.Namespaces[ns.Name] = string(ns.UID)
			}
			// An object whose resourceVersion did not change is the one
			// converted last pass: copying and converting all of them
			// each pass fragmented the heap (HeapInuse near twice the
			// live heap). Only PodIPs is changed after conversion (Fold
			// gives a controller its pods'), so a controller's is reset.
			key := convertedKey{s.res.GVR.Resource, acc.GetUID()}
			if prev, ok := w.converted[key]; ok && key.uid != "" && prev.rv == acc.GetResourceVersion() {
				if prev.o.GVK.Kind != "Pod" {
					prev.o.PodIPs = nil
				}
				converted[key] = prev
				l = append(l, prev.o)
				continue
			}
			// The cached object itself, not a copy: the informer replaces
			// an object on change and never modifies it, the transform
			// set its kind, and the engine only reads (a deep copy of
			// every changed object was a tenth of the live heap).
			if ro.GetObjectKind().GroupVersionKind().Empty() {
				ro = ro.DeepCopyObject()
				ro.GetObjectKind().SetGroupVersionKind(s.res.GVK)
			}
			o, err := cluster.Object(ro)
			if err != nil {
				continue
			}
			converted[key] = convertedObject{rv: acc.GetResourceVersion(), o: o}
			l = append(l, o)
		}
		lists = append(lists, l)
	}
	w.converted = converted
	return lists, workloadKinds
}
