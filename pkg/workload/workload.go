package workload

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"
)

// Workload is the normalised pod template of an object that runs pods.
type Workload struct {
	// Meta is the pod's metadata: the Pod's own, or the template's.
	Meta *metav1.ObjectMeta
	// Spec is the pod spec. Rules must not modify it.
	Spec *corev1.PodSpec
	// SpecPath is the field path of Spec within the object ("spec.template.spec", or "spec" for a Pod).
	SpecPath string
	// MetaPath is the field path of Meta within the object.
	MetaPath string
	// Selector is the workload's pod selector, when the kind has one.
	Selector *metav1.LabelSelector
	// Replicas is the declared replica count, when the kind has one.
	Replicas *int32
	// Batch is true for kinds that run to completion (Job, CronJob).
	Batch bool
	// Naked is true for a bare Pod, which no controller recreates.
	Naked bool
	// Containers lists init, regular and ephemeral containers, in that order,
	// each with its effective security context resolved.
	Containers []Container

	pssOnce sync.Once
	pss     psaapi.Level
}

// FromObject normalises obj. It returns nil when obj carries no pod template.
func FromObject(obj runtime.Object) *Workload {
	t, ok := templateOf(obj)
	if !ok {
		return nil
	}
	applyServerDefaults(t.spec)
	w := &Workload{
		Meta:     t.meta,
		Spec:     t.spec,
		SpecPath: join(t.path, "spec"),
		MetaPath: join(t.path, "metadata"),
		Selector: t.selector,
		Replicas: t.replicas,
		Batch:    t.batch,
		Naked:    t.naked,
	}
	w.Containers = containersOf(w)
	return w
}

// FromPodSpec normalises a bare pod spec, as the admission webhook and tests
// receive it. specPath is the field path to report for it.
func FromPodSpec(meta *metav1.ObjectMeta, spec *corev1.PodSpec, specPath string) *Workload {
	applyServerDefaults(spec)
	w := &Workload{Meta: meta, Spec: spec, SpecPath: specPath}
	w.Containers = containersOf(w)
	return w
}

// Field returns the path of a pod-spec field ("hostNetwork") within the object.
func (w *Workload) Field(sub string) string { return join(w.SpecPath, sub) }

// Labels returns the pod labels.
func (w *Workload) Labels() map[string]string { return w.Meta.Labels }

// Regular returns the regular containers only.
func (w *Workload) Regular() []Container {
	var out []Container
	for _, c := range w.Containers {
		if c.Type == Regular {
			out = append(out, c)
		}
	}
	return out
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "." + b
}
