package fieldpath

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	got := Parse("spec.containers[2].env[0].value.metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]")
	want := []Segment{{Key: "spec"}, {Key: "containers"}, {Index: 2, IsIndex: true}, {Key: "env"}, {Index: 0, IsIndex: true},
		{Key: "value"}, {Key: "metadata"}, {Key: "annotations"}, {Key: "kubectl.kubernetes.io/last-applied-configuration"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %#v", got)
	}
}

func TestIndexNearestAncestor(t *testing.T) {
	var b Builder
	spec := Root.Key("spec")
	b.Add(Root, 1)
	b.Add(spec, 5)
	b.Add(spec.Key("containers"), 6)
	b.Add(spec.Key("containers").Index(0), 7)
	b.Add(spec.Key("containers").Index(1), 12)
	b.Add(Root.Key("metadata").Key("annotations").Key("a.b/c"), 3)
	ix := b.Build()
	cases := map[string]int{
		"":                                   1,
		"spec":                               5,
		"spec.containers[1]":                 12,
		"spec.containers[1].securityContext": 12,
		"spec.containers[0].image":           7,
		"spec.volumes[0]":                    5,
		"metadata.annotations[a.b/c]":        3,
		"status":                             1,
	}
	for path, want := range cases {
		if got := ix.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
	// A key that looks like an index must not collide with the index.
	if Root.Key("0") == Root.Index(0) {
		t.Fatal("key and index hashes collide")
	}
	if Root.Index(1) == Root.Index(256) {
		t.Fatal("index hashes collide")
	}
}
