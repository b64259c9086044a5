package workload

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Keep says what Slim keeps beyond what every cross-object rule reads.
type Keep struct {
	// PSSLevel computes the pod's Pod Security level first and keeps it.
	PSSLevel bool
	// Resources keeps containers' resource requests and limits.
	Resources bool
}

// Slim returns a copy of w that keeps what cross-object rules read (pod
// labels and annotations, the selector, the service account fields, host
// networking and container ports) and
// nothing that points into the original object, so the full pod spec can
// be freed once the per-object rules have seen it. With keep.PSSLevel the
// pod's Pod Security level is computed first and kept; without it, asking
// the slim workload for its level is a programmer error.
func (w *Workload) Slim(keep Keep) *Workload {
	level := levelDropped
	if keep.PSSLevel {
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
	// LimitRange defaults; resources are kept only when such a rule runs,
	// since keeping them for every pod raises the live heap a streamed scan
	// works to keep small.
	for _, c := range w.Spec.Containers {
		if len(c.Ports) > 0 || keep.Resources {
			sc := corev1.Container{Name: c.Name, Ports: c.Ports}
			if keep.Resources {
				sc.Resources = c.Resources
			}
			s.Spec.Containers = append(s.Spec.Containers, sc)
		}
	}
	if keep.Resources {
		for _, c := range w.Spec.InitContainers {
			s.Spec.InitContainers = append(s.Spec.InitContainers, corev1.Container{Name: c.Name, Resources: c.Resources, RestartPolicy: c.RestartPolicy})
		}
	}
	s.Containers = nil
	return &s
}
