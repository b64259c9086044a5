package workload

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Custom resources run pods too: an Argo Rollout or an OpenKruise CloneSet
// is a Deployment by another name, and a privileged container in one is as
// privileged. Their pod templates are found at the paths their projects
// document, and elsewhere by shape: any spec…template whose spec has
// containers.

// customTemplatePaths are the documented pod template paths of well-known
// custom workload kinds.
var customTemplatePaths = map[schema.GroupKind]string{
	{Group: "argoproj.io", Kind: "Rollout"}:                           "spec.template",
	{Group: "apps.kruise.io", Kind: "CloneSet"}:                       "spec.template",
	{Group: "apps.kruise.io", Kind: "StatefulSet"}:                    "spec.template",
	{Group: "apps.kruise.io", Kind: "DaemonSet"}:                      "spec.template",
	{Group: "serving.knative.dev", Kind: "Service"}:                   "spec.template",
	{Group: "serving.knative.dev", Kind: "Configuration"}:             "spec.template",
	{Group: "keda.sh", Kind: "ScaledJob"}:                             "spec.jobTargetRef.template",
	{Group: "argoproj.io", Kind: "WorkflowTemplate"}:                  "", // templates[] hold containers, not pod templates
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: "",
}

// maxSearchDepth bounds the generic search for a pod template under spec.
const maxSearchDepth = 4

// customTemplate returns the pod template of a custom resource, if it has one.
func customTemplate(u *unstructured.Unstructured) (template, bool) {
	gk := u.GroupVersionKind().GroupKind()
	path, known := customTemplatePaths[gk]
	if known && path == "" {
		return template{}, false
	}
	var raw map[string]any
	if known {
		raw, _ = nested(u.Object, path)
	} else if spec, ok := u.Object["spec"].(map[string]any); ok {
		path, raw = findTemplate(spec, "spec", maxSearchDepth)
	}
	if raw == nil || !hasContainers(raw) {
		return template{}, false
	}
	var pt corev1.PodTemplateSpec
	// Unknown fields are dropped (a Knative template has some); a template
	// that does not convert at all is not judged as one.
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &pt); err != nil {
		return template{}, false
	}
	t := template{meta: &pt.ObjectMeta, spec: &pt.Spec, path: path}
	if sel, ok := nested(u.Object, "spec.selector"); ok {
		var ls metav1.LabelSelector
		if runtime.DefaultUnstructuredConverter.FromUnstructured(sel, &ls) == nil {
			t.selector = &ls
		}
	}
	if r, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); ok {
		n := int32(r)
		t.replicas = &n
	}
	t.batch = strings.HasSuffix(path, "jobTargetRef.template")
	return t, true
}

// nested returns the map at a dotted path.
func nested(obj map[string]any, path string) (map[string]any, bool) {
	m, ok, err := unstructured.NestedMap(obj, strings.Split(path, ".")...)
	return m, ok && err == nil
}

// findTemplate looks for a "template" map whose spec has containers, depth
// first in key order (so the result is deterministic), at most depth levels
// below m.
func findTemplate(m map[string]any, at string, depth int) (string, map[string]any) {
	if t, ok := m["template"].(map[string]any); ok && hasContainers(t) {
		return at + ".template", t
	}
	if depth == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok {
			if p, t := findTemplate(sub, at+"."+k, depth-1); t != nil {
				return p, t
			}
		}
	}
	return "", nil
}

// hasContainers reports whether a template's spec lists containers.
func hasContainers(t map[string]any) bool {
	spec, ok := t["spec"].(map[string]any)
	if !ok {
		return false
	}
	cs, ok := spec["containers"].([]any)
	return ok && len(cs) > 0
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
