package inventory

import (
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

func binding(t *testing.T, name, uid, rv string) *Object {
	t.Helper()
	gvk := schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}
	o, err := NewObject(gvk, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "a", UID: types.UID(uid), ResourceVersion: rv}}, api.Location{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestMemoKindsAcrossInventories: a value is reused by a later inventory
// with the same live objects of its kinds, recomputed when one changed,
// and never shared for objects without UID (manifests).
func TestMemoKindsAcrossInventories(t *testing.T) {
	kinds := []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}}
	cache := NewMemoCache()
	builds := 0
	get := func(objs ...*Object) any {
		inv := New(objs)
		inv.SetMemoCache(cache)
		return inv.MemoKinds("m", kinds, func(*Inventory) any { builds++; return builds })
	}
	if get(binding(t, "x", "u1", "1")) != 1 || get(binding(t, "x", "u1", "1")) != 1 || builds != 1 {
		t.Fatalf("same objects: built %d times", builds)
	}
	if get(binding(t, "x", "u1", "2")) != 2 {
		t.Fatalf("a changed resourceVersion must rebuild (builds %d)", builds)
	}
	if get(binding(t, "x", "u1", "2"), binding(t, "y", "u2", "1")) != 3 {
		t.Fatalf("an added object must rebuild (builds %d)", builds)
	}
	if get(binding(t, "x", "", "")) != 4 || get(binding(t, "x", "", "")) != 5 {
		t.Fatalf("manifest objects must not share a value (builds %d)", builds)
	}
}
