package engine

import (
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// WithNamespaceScope scopes the report to namespace ns, as kubectl's -n
// scopes a command: findings on objects of other namespaces are left out,
// and of the cluster-scoped objects only those that grant or expose into
// ns are kept (see intoNamespace). What is left out is counted in
// Summary.OutOfScope, never silently dropped.
func WithNamespaceScope(ns string) Option { return func(e *Engine) { e.scope = ns } }

// intoNamespace decides which objects bear on namespace ns:
//
//   - a namespaced object: its namespace is ns;
//   - the Namespace ns itself;
//   - a ClusterRoleBinding: its grants hold in every namespace, ns too;
//   - a ClusterRole bound cluster-wide or by a RoleBinding in ns, or
//     aggregated into one that is;
//   - a webhook configuration with a hook whose namespaceSelector selects
//     ns (or that cannot be told, when ns's labels are not known);
//   - a PersistentVolume claimed from ns, or not claimed yet (any
//     namespace may bind it).
//
// Nodes, CRDs, storage and priority classes and the like are the
// cluster's own: they do not grant or expose into one namespace more than
// another, so a namespace's report leaves them to the cluster's report.
func intoNamespace(inv *inventory.Inventory, ns string) func(*inventory.Object) bool {
	var nsLabels labels.Set
	known := false
	bound := map[string]bool{} // ClusterRoles bound where ns sees them
	var aggregators []*rbacv1.ClusterRole
	for _, o := range inv.Objects() {
		switch t := o.Obj.(type) {
		case *corev1.Namespace:
			if t.Name == ns {
				nsLabels, known = t.Labels, true
			}
		case *rbacv1.ClusterRoleBinding:
			if t.RoleRef.Kind == "ClusterRole" {
				bound[t.RoleRef.Name] = true
			}
		case *rbacv1.RoleBinding:
			if t.Namespace == ns && t.RoleRef.Kind == "ClusterRole" {
				bound[t.RoleRef.Name] = true
			}
		case *rbacv1.ClusterRole:
			if t.AggregationRule != nil {
				aggregators = append(aggregators, t)
			}
		}
	}
	aggregatedIntoBound := func(r *rbacv1.ClusterRole) bool {
		for _, a := range aggregators {
			if !bound[a.Name] {
				continue
			}
			for _, sel := range a.AggregationRule.ClusterRoleSelectors {
				s, err := metav1.LabelSelectorAsSelector(&sel)
				if err == nil && !s.Empty() && s.Matches(labels.Set(r.Labels)) {
					return true
				}
			}
		}
		return false
	}
	selects := func(sel *metav1.LabelSelector) bool {
		if sel == nil {
			return true
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return true // the API server would refuse it; keep it in view
		}
		if !known {
			return true
		}
		l := labels.Set{}
		for k, v := range nsLabels {
			l[k] = v
		}
		l[corev1.LabelMetadataName] = ns
		return s.Matches(l)
	}
	return func(o *inventory.Object) bool {
		if o.Namespace() != "" {
			return o.Namespace() == ns
		}
		switch t := o.Obj.(type) {
		case *corev1.Namespace:
			return t.Name == ns
		case *rbacv1.ClusterRoleBinding:
			return true
		case *rbacv1.ClusterRole:
			return bound[t.Name] || aggregatedIntoBound(t)
		case *admissionregv1.ValidatingWebhookConfiguration:
			for _, h := range t.Webhooks {
				if selects(h.NamespaceSelector) {
					return true
				}
			}
			return false
		case *admissionregv1.MutatingWebhookConfiguration:
			for _, h := range t.Webhooks {
				if selects(h.NamespaceSelector) {
					return true
				}
			}
			return false
		case *corev1.PersistentVolume:
			return t.Spec.ClaimRef == nil || t.Spec.ClaimRef.Namespace == ns
		}
		return false
	}
}
