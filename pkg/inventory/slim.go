package inventory

import (
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// heavyKinds are the kinds whose bodies no cross-object rule reads and that
// make up most of a scan's memory: workloads (their pod spec lives on in
// the slim Workload) and configuration data.
var heavyKinds = map[string]bool{"ConfigMap": true, "Secret": true}

// Slim reduces o, once per-object rules have seen it, to what cross-object
// rules read: metadata, the slim Workload, and the full object for every
// light kind (NetworkPolicy, Service, ServiceAccount, Namespace, RBAC).
// The line index is kept so findings on o still point at their lines;
// keep says what the slimmed workload keeps (see workload.Slim).
func (o *Object) Slim(keep workload.Keep) {
	if o.Workload == nil && !(o.GVK.Group == "" && heavyKinds[o.GVK.Kind]) {
		return
	}
	acc, ok := o.Obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return // unstructured objects are kept as decoded
	}
	full, ok := acc.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return
	}
	m := *full
	m.ManagedFields = nil
	p := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: o.GVK.GroupVersion().String(), Kind: o.GVK.Kind}, ObjectMeta: m}
	o.Obj, o.Meta = p, &p.ObjectMeta
	if o.Workload != nil {
		o.Workload = o.Workload.Slim(keep)
	}
}
