package inventory

import "k8s.io/apimachinery/pkg/runtime/schema"

// DefaultNamespace puts objects of namespaced kinds that name no namespace
// into ns, as kubectl apply does with its namespace: charts and kustomize
// bases usually leave metadata.namespace out. namespaced says whether a
// kind is namespaced; kinds it does not know are left as they are.
func DefaultNamespace(objs []*Object, ns string, namespaced func(schema.GroupKind) (namespaced, known bool)) {
	if ns == "" {
		return
	}
	for _, o := range objs {
		if o.Namespace() != "" {
			continue
		}
		if n, known := namespaced(o.GroupKind()); n && known {
			o.Meta.SetNamespace(ns)
		}
	}
}
