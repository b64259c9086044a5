package workload

import (
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// template is where a kind keeps its pod template.
type template struct {
	meta      *metav1.ObjectMeta
	spec      *corev1.PodSpec
	path      string // field path of the pod template (or the Pod itself)
	selector  *metav1.LabelSelector
	batch     bool // runs to completion: Job or CronJob
	naked     bool // a Pod
	replicas  *int32
	typeLabel string
}

// templateOf returns the pod template of obj, if obj carries one.
func templateOf(obj runtime.Object) (template, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return template{meta: &o.ObjectMeta, spec: &o.Spec, path: "", naked: true}, true
	case *corev1.PodTemplate:
		return template{meta: &o.Template.ObjectMeta, spec: &o.Template.Spec, path: "template"}, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return template{}, false
		}
		var sel *metav1.LabelSelector
		if o.Spec.Selector != nil {
			sel = &metav1.LabelSelector{MatchLabels: o.Spec.Selector}
		}
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: sel, replicas: o.Spec.Replicas}, true
	case *appsv1.Deployment:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1.StatefulSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1.DaemonSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector}, true
	case *appsv1.ReplicaSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *batchv1.Job:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, batch: true}, true
	case *batchv1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return template{meta: &t.ObjectMeta, spec: &t.Spec, path: "spec.jobTemplate.spec.template", batch: true}, true
	// Older API versions still appear in repositories; scan them the same way.
	case *batchv1beta1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return template{meta: &t.ObjectMeta, spec: &t.Spec, path: "spec.jobTemplate.spec.template", batch: true}, true
	case *appsv1beta1.Deployment:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1beta1.StatefulSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1beta2.Deployment:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1beta2.StatefulSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *appsv1beta2.DaemonSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector}, true
	case *appsv1beta2.ReplicaSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *extv1beta1.Deployment:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *extv1beta1.DaemonSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector}, true
	case *extv1beta1.ReplicaSet:
		return template{meta: &o.Spec.Template.ObjectMeta, spec: &o.Spec.Template.Spec, path: "spec.template", selector: o.Spec.Selector, replicas: o.Spec.Replicas}, true
	case *unstructured.Unstructured:
		return customTemplate(o)
	}
	return template{}, false
}
