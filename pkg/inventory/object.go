package inventory

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	// GVK is the object's group, version and kind as written.
	GVK schema.GroupVersionKind
	// Obj is the typed object from k8s.io/api for known kinds, and an
	// *unstructured.Unstructured for unknown kinds and CRDs.
	Obj runtime.Object
	// Meta gives access to the object's metadata.
	Meta metav1.Object
	// Source is the file and line of the document; empty for live objects.
	Source api.Location
	// Lines maps field paths to lines; nil for live objects.
	Lines *fieldpath.Index
	// Workload is the normalised pod template, nil when the object runs no pods.
	Workload *workload.Workload
	// Seq is the object's position in the inventory, a stable tie-breaker.
	Seq int
	// PodIPs are the addresses of the live pods the object stands for: a
	// Pod's own (status.podIPs), or, for a controller, those of the pods
	// folded into it. Nil for manifests.
	PodIPs []string
	// Undecoded lists the fields that did not fit their type and were left
	// out of the decoded object (reported as input errors): the rules ran
	// on the rest, and did not see these.
	Undecoded []string
	// Rendered is set on objects a Helm template rendered: it maps lines of
	// the rendered output back to the template.
	Rendered *Rendered
}

// Rendered locates a rendered object's fields in its template.
type Rendered struct {
	// Template is the template file's path.
	Template string
	// Lines maps rendered line i+1 to the template line that wrote it, 0
	// where no template line did (the line came from an action).
	Lines []int
}

// NewObject wraps a decoded object, computing its metadata accessor and workload.
func NewObject(gvk schema.GroupVersionKind, obj runtime.Object, src api.Location, lines *fieldpath.Index) (*Object, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return &Object{GVK: gvk, Obj: obj, Meta: m, Source: src, Lines: lines, Workload: workload.FromObject(obj)}, nil
}

// GroupKind returns the object's group and kind.
func (o *Object) GroupKind() schema.GroupKind { return o.GVK.GroupKind() }

// Namespace returns the object's namespace ("" when unset).
func (o *Object) Namespace() string { return o.Meta.GetNamespace() }

// Name returns the object's name.
func (o *Object) Name() string { return o.Meta.GetName() }

// Ref returns a reference to the object for findings.
func (o *Object) Ref() api.ObjectRef {
	return api.ObjectRef{
		APIVersion: o.GVK.GroupVersion().String(),
		Kind:       o.GVK.Kind,
		Namespace:  o.Meta.GetNamespace(),
		Name:       o.Meta.GetName(),
		UID:        string(o.Meta.GetUID()),
	}
}

// LocationOf returns where field was written, falling back to its nearest
// written parent and then to the document start.
func (o *Object) LocationOf(field string) api.Location {
	loc := o.Source
	if o.Lines != nil && field != "" {
		if l := o.Lines.Line(field); l > 0 {
			loc.Line = l
		}
	}
	// A rendered line the template wrote itself points at the template;
	// otherwise the rendered line stays, with the file marked rendered.
	if r := o.Rendered; r != nil && loc.Line > 0 && loc.Line <= len(r.Lines) && r.Lines[loc.Line-1] > 0 {
		return api.Location{File: r.Template, Line: r.Lines[loc.Line-1]}
	}
	return loc
}
