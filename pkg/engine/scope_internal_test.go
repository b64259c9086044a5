package engine

import (
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

func obj(t *testing.T, kind string, o runtime.Object) *inventory.Object {
	t.Helper()
	gvk := schema.GroupVersionKind{Version: "v1", Kind: kind}
	switch o.(type) {
	case *admissionregv1.ValidatingWebhookConfiguration, *admissionregv1.MutatingWebhookConfiguration:
		gvk.Group = "admissionregistration.k8s.io"
	case *storagev1.StorageClass:
		gvk.Group = "storage.k8s.io"
	}
	ob, err := inventory.NewObject(gvk, o, api.Location{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// TestIntoNamespaceWebhooksAndVolumes: a webhook configuration bears on
// a namespace its namespaceSelector selects (by its labels or by the
// implicit name label); a PersistentVolume on the namespace that claimed
// it, or on every namespace while unclaimed; a StorageClass on none.
func TestIntoNamespaceWebhooksAndVolumes(t *testing.T) {
	hook := func(name string, sel *metav1.LabelSelector) *inventory.Object {
		return obj(t, "ValidatingWebhookConfiguration", &admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name},
			Webhooks: []admissionregv1.ValidatingWebhook{{Name: name + ".example.com", NamespaceSelector: sel}}})
	}
	pv := func(name string, claim *corev1.ObjectReference) *inventory.Object {
		return obj(t, "PersistentVolume", &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeSpec{ClaimRef: claim}})
	}
	objs := map[string]*inventory.Object{
		"ns-a":        obj(t, "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"}}}),
		"ns-b":        obj(t, "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "b"}}),
		"hook-all":    hook("all", nil),
		"hook-team-x": hook("team-x", &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}),
		"hook-name-b": hook("name-b", &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "b"}}),
		"pv-a":        pv("pv-a", &corev1.ObjectReference{Namespace: "a", Name: "data"}),
		"pv-b":        pv("pv-b", &corev1.ObjectReference{Namespace: "b", Name: "data"}),
		"pv-free":     pv("pv-free", nil),
		"sc":          obj(t, "StorageClass", &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "fast"}}),
	}
	var list []*inventory.Object
	for _, o := range objs {
		list = append(list, o)
	}
	inv := inventory.New(list)
	want := map[string][]string{
		"a": {"ns-a", "hook-all", "hook-team-x", "pv-a", "pv-free"},
		"b": {"ns-b", "hook-all", "hook-name-b", "pv-b", "pv-free"},
	}
	for ns, in := range want {
		into := intoNamespace(inv, ns)
		keep := map[string]bool{}
		for _, k := range in {
			keep[k] = true
		}
		for k, o := range objs {
			if got := into(o); got != keep[k] {
				t.Errorf("-n %s: %s in scope = %v, want %v", ns, k, got, keep[k])
			}
		}
	}
	// A namespace the input does not hold: selectors cannot be told, so
	// every hook stays in view.
	into := intoNamespace(inv, "unknown")
	if !into(objs["hook-team-x"]) || !into(objs["hook-name-b"]) {
		t.Error("hooks on a namespace of unknown labels must stay in view")
	}
}
