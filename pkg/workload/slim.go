package workload

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Slim returns a copy of w that keeps what cross-object rules read (pod
// labels and annotations, the selector, the service account fields) and
// nothing that points into the original object, so the full pod spec can
// be freed once the per-object rules have seen it.
func (w *Workload) Slim() *Workload {
	s := *w
	if w.Meta != nil {
		m := metav1.ObjectMeta{Name: w.Meta.Name, Namespace: w.Meta.Namespace, Labels: w.Meta.Labels, Annotations: w.Meta.Annotations}
		s.Meta = &m
	}
	if w.Selector != nil {
		sel := *w.Selector
		s.Selector = &sel
	}
	if w.Replicas != nil {
		r := *w.Replicas
		s.Replicas = &r
	}
	s.Spec = &corev1.PodSpec{
		ServiceAccountName:           w.Spec.ServiceAccountName,
		DeprecatedServiceAccount:     w.Spec.DeprecatedServiceAccount,
		AutomountServiceAccountToken: w.Spec.AutomountServiceAccountToken,
	}
	s.Containers = nil
	return &s
}
