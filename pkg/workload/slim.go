package workload

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Slim returns a copy of w that keeps what cross-object rules read (pod
// labels and annotations, the selector, the service account fields, host
// networking and container ports) and
// nothing that points into the original object, so the full pod spec can
// be freed once the per-object rules have seen it. With keepPSSLevel the
// pod's Pod Security level is computed first and kept; without it, asking
// the slim workload for its level is a programmer error.
func (w *Workload) Slim(keepPSSLevel bool) *Workload {
	level := levelDropped
	if keepPSSLevel {
		level = w.PSSLevel()
	}
	s := Workload{Meta: w.Meta, Spec: w.Spec, SpecPath: w.SpecPath, MetaPath: w.MetaPath, Selector: w.Selector,
		Replicas: w.Replicas, Batch: w.Batch, Naked: w.Naked, pss: level}
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
		HostNetwork:                  w.Spec.HostNetwork,
	}
	// NetworkPolicy rules resolve named ports on the destination pod; the
	// requests and limits rules weigh resources against the namespace's
	// LimitRange defaults.
	for _, c := range w.Spec.Containers {
		s.Spec.Containers = append(s.Spec.Containers, corev1.Container{Name: c.Name, Ports: c.Ports, Resources: c.Resources})
	}
	for _, c := range w.Spec.InitContainers {
		s.Spec.InitContainers = append(s.Spec.InitContainers, corev1.Container{Name: c.Name, Resources: c.Resources, RestartPolicy: c.RestartPolicy})
	}
	s.Containers = nil
	return &s
}
