package rules

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kindKubeletConfig is the kubelet's configuration file kind; a cluster scan
// reads each node's effective configuration from its configz endpoint.
var kindKubeletConfig = schema.GroupKind{Group: "kubelet.config.k8s.io", Kind: "KubeletConfiguration"}

// kubeletConfig returns the configuration map, or nil.
func kubeletConfig(in *Input) map[string]any {
	if u, ok := in.Object.Obj.(*unstructured.Unstructured); ok {
		return u.Object
	}
	return nil
}

// kubeletName names the node (configz) or the file's object.
func kubeletName(in *Input) string {
	if n := in.Object.Name(); n != "" {
		return "node " + quote(n) + ": "
	}
	return ""
}
