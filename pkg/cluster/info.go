package cluster

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// InfoKind is the kind of the synthetic object that carries facts about the
// cluster itself (its version), so that cluster-level checks are ordinary
// rules on an ordinary object.
var InfoKind = schema.GroupVersionKind{Group: "guardrail.dev", Version: "v1", Kind: "ClusterInfo"}

// InfoObject describes the API server.
func InfoObject(v *version.Info) *inventory.Object {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": InfoKind.GroupVersion().String(), "kind": InfoKind.Kind,
		"metadata": map[string]any{"name": "cluster"},
		"server":   map[string]any{"gitVersion": v.GitVersion, "major": v.Major, "minor": v.Minor, "platform": v.Platform},
	}}
	o, _ := inventory.NewObject(InfoKind, u, api.Location{}, nil)
	return o
}
