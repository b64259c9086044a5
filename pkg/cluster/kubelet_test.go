package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubeletConfigUnavailableIsAWarning: the real API server refuses to
// proxy to a node whose address is loopback; the scan reports it on that
// node and goes on. (Reaching a kubelet needs a non-loopback test host.)
func TestKubeletConfigUnavailableIsAWarning(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CoreV1().Nodes().Delete(ctx, "worker-1", metav1.DeleteOptions{})
	node.Status = corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}}}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := tc.RESTConfig()
	res, err := Load(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, p := range res.Problems {
		warned = warned || (p.Warning && p.Object == "Node/worker-1" && strings.Contains(p.Message, "address not allowed"))
	}
	if !warned || res.Partial {
		t.Errorf("problems %v, partial %v", res.Problems, res.Partial)
	}
}

// TestKubeletConfigzAnswerFeedsTheRules parses a configz answer as a kubelet
// sends it and checks the kubelet rules judge it.
func TestKubeletConfigzAnswerFeedsTheRules(t *testing.T) {
	o, err := kubeletObject("worker-1", []byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":true},"webhook":{"enabled":true}},"authorization":{"mode":"Webhook"},"readOnlyPort":10255}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := rules.DefaultSettings()
	s.Live = true
	var got []string
	for _, f := range engine.New(engine.WithSettings(s)).Scan(inventory.New([]*inventory.Object{o})).Findings {
		got = append(got, f.RuleID+": "+f.Message)
	}
	want := `kubelet-anonymous-auth: node "worker-1": authentication.anonymous.enabled is true|kubelet-read-only-port: node "worker-1": readOnlyPort is 10255: pod data is served without authentication`
	if strings.Join(got, "|") != want {
		t.Errorf("findings:\n%s", strings.Join(got, "\n"))
	}
	if _, err := kubeletObject("n", []byte(`{"other":{}}`)); err == nil {
		t.Error("an answer without kubeletconfig must be an error")
	}
}
