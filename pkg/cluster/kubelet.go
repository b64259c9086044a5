package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// KubeletConfigKind is the kind of the objects built from configz.
var KubeletConfigKind = schema.GroupVersionKind{Group: "kubelet.config.k8s.io", Version: "v1beta1", Kind: "KubeletConfiguration"}

// kubeletConfigs reads each node's effective kubelet configuration through
// the API server proxy (GET nodes/NAME/proxy/configz), a few nodes at a
// time. Without permission it is skipped with a note; an unreachable
// kubelet is a warning on that node.
func kubeletConfigs(ctx context.Context, cfg *rest.Config, nodes []string, res *Result) []*inventory.Object {
	if len(nodes) == 0 {
		return nil
	}
	jsonCfg := rest.CopyConfig(cfg)
	jsonCfg.AcceptContentTypes, jsonCfg.ContentType = "application/json", "application/json"
	client, err := restClientFor(jsonCfg, schema.GroupVersion{Version: "v1"})
	if err != nil {
		return nil
	}
	var mu sync.Mutex
	var out []*inventory.Object
	forbidden := false
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func(node string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			body, err := client.Get().Resource("nodes").Name(node).SubResource("proxy").Suffix("configz").DoRaw(rctx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case apierrors.IsForbidden(err):
				forbidden = true
			case err != nil:
				msg := err.Error()
				if detail := strings.TrimSpace(string(body)); detail != "" && len(detail) < 300 {
					msg += ": " + detail
				}
				res.Problems = append(res.Problems, &api.Problem{Object: "Node/" + node, Warning: true,
					Message: "kubelet configuration unavailable: " + msg, Hint: "the kubelet checks skip this node"})
			default:
				if o, err := kubeletObject(node, body); err == nil {
					out = append(out, o)
				} else {
					res.Problems = append(res.Problems, &api.Problem{Object: "Node/" + node, Warning: true, Message: "unreadable configz: " + err.Error()})
				}
			}
		}(n)
	}
	wg.Wait()
	if forbidden {
		res.Skipped = append(res.Skipped, "kubelet configuration: forbidden to get nodes/proxy (bind guardrail-scanner-kubelet from deploy/scanner/clusterrole.yaml for the kubelet checks)")
	}
	return out
}

// kubeletObject wraps a configz answer ({"kubeletconfig": {...}}).
func kubeletObject(node string, body []byte) (*inventory.Object, error) {
	var doc struct {
		KubeletConfig map[string]any `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.KubeletConfig == nil {
		return nil, fmt.Errorf("no kubeletconfig in the answer")
	}
	m := normalizeNumbers(doc.KubeletConfig).(map[string]any)
	m["apiVersion"], m["kind"] = KubeletConfigKind.GroupVersion().String(), KubeletConfigKind.Kind
	m["metadata"] = map[string]any{"name": node}
	return inventory.NewObject(KubeletConfigKind, &unstructured.Unstructured{Object: m}, api.Location{}, nil)
}

// normalizeNumbers turns JSON's float64 integers into int64, as the
// manifest decoder produces them, so rules see one representation.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}

// KubeletConfigs reads the effective kubelet configuration of each named
// node (see Load): the objects the kubelet rules read, a warning per node
// whose kubelet could not be reached, and a note when nodes/proxy is not
// granted. For callers that keep their own inventory, as the watcher.
func KubeletConfigs(ctx context.Context, cfg *rest.Config, nodes []string) (objs []*inventory.Object, problems []*api.Problem, skipped []string) {
	res := &Result{}
	objs = kubeletConfigs(ctx, cfg, nodes, res)
	return objs, res.Problems, res.Skipped
}

// KubeletObject is node's configz answer ({"kubeletconfig": {...}}) as the
// object the kubelet rules read.
func KubeletObject(node string, configz []byte) (*inventory.Object, error) {
	return kubeletObject(node, configz)
}
