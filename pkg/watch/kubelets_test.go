package watch

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubeletConfigInTheWatch: the watcher reads each node's kubelet
// configuration as scan --live does. The real API server refuses to
// proxy to a node at a loopback address: the watcher reports the same
// warning as the scan, without calling the state partial. With a configz
// answer in its place (no kubelet can be reached from this host), the
// kubelet rules judge it, and the node's deletion clears the finding.
func TestKubeletConfigInTheWatch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	node, err := f.client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status = corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}}}
	if _, err := f.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded, err := cluster.Load(ctx, f.cfg, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, p := range loaded.Problems {
		if p.Object == "Node/worker-1" {
			want = p.Object + ": " + p.Message
		}
	}
	if !strings.Contains(want, "kubelet configuration unavailable") {
		t.Fatalf("scan --live problems %v: want the node's warning", loaded.Problems)
	}
	w, stop := f.start(t, Options{})
	if !eventually(30*time.Second, func() bool {
		st := w.State()
		return st != nil && strings.Contains(strings.Join(st.Problems, "\n"), want)
	}) {
		t.Fatalf("watch problems %v, want %q", w.State().Problems, want)
	}
	if w.State().Partial {
		t.Error("an unreachable kubelet made the state partial")
	}
	stop()

	configz := []byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":true},"webhook":{"enabled":true}},"authorization":{"mode":"Webhook"}}}`)
	var mu sync.Mutex
	var asked []string
	fetch := func(_ context.Context, nodes []string) ([]*inventory.Object, []*api.Problem, []string) {
		mu.Lock()
		asked = append(asked, nodes...)
		mu.Unlock()
		var out []*inventory.Object
		for _, n := range nodes {
			o, err := cluster.KubeletObject(n, configz)
			if err != nil {
				t.Error(err)
			}
			out = append(out, o)
		}
		return out, nil, nil
	}
	w, _ = f.start(t, Options{kubeletFetch: fetch})
	has := func() bool {
		st := w.State()
		if st == nil {
			return false
		}
		for _, tr := range st.Findings {
			if tr.RuleID == "kubelet-anonymous-auth" && tr.Object.Name == "worker-1" {
				return true
			}
		}
		return false
	}
	if !eventually(30*time.Second, has) {
		t.Fatal("no kubelet-anonymous-auth finding on worker-1")
	}
	if err := f.client.CoreV1().Nodes().Delete(ctx, "worker-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(30*time.Second, func() bool { return !has() }) {
		t.Error("the deleted node's kubelet finding stayed")
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(asked, ",") != "worker-1" {
		t.Errorf("kubelets read %v, want worker-1 once", asked)
	}
}
