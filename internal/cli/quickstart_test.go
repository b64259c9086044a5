package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestREADMEQuickStart runs the README's webhook quick start, line by
// line, against the real API server: `guardrail` lines in this process,
// `kubectl` lines with the kubectl of the same Kubernetes release. A line
// commented "denied" must be refused by guardrail; every other line must
// succeed. Only the port is changed, to a free one.
func TestREADMEQuickStart(t *testing.T) {
	kubectl := testcluster.Kubectl(t)
	// Its own control plane with the controllers a real cluster runs (a
	// new namespace gets its default service account).
	tc := testcluster.Dedicated(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- quickstart:begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- quickstart:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no quick start block")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().String()
	ln.Close()
	t.Setenv("KUBECONFIG", tc.Kubeconfig)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the webhook did not stop")
		}
		client, _ := tc.Client()
		client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), "guardrail", metav1.DeleteOptions{})
	}()
	steps := 0
	for _, line := range strings.Split(block, "\n") {
		cmd, comment, _ := strings.Cut(line, "#")
		cmd = strings.TrimSpace(strings.ReplaceAll(cmd, "127.0.0.1:8443", port))
		if cmd == "" || strings.HasPrefix(cmd, "```") {
			continue
		}
		steps++
		background := strings.HasSuffix(cmd, "&")
		args := strings.Fields(strings.TrimSuffix(cmd, "&"))
		switch {
		case args[0] == "guardrail" && background:
			go func() {
				var out, errb strings.Builder
				done <- ExecuteContext(ctx, args[1:], IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: os.Getenv})
			}()
			waitForWebhook(t, tc)
		case args[0] == "kubectl":
			c := exec.Command(kubectl, args[1:]...)
			c.Dir = "../.."
			out, err := c.CombinedOutput()
			wantDenied := strings.HasPrefix(strings.TrimSpace(comment), "denied")
			switch {
			case wantDenied && (err == nil || !strings.Contains(string(out), "guardrail denied the request")):
				t.Fatalf("%s: want a guardrail denial, got err=%v:\n%s", cmd, err, out)
			case !wantDenied && err != nil:
				t.Fatalf("%s: %v\n%s", cmd, err, out)
			}
		default:
			t.Fatalf("the quick start has a line this test cannot run: %q", cmd)
		}
	}
	if steps < 4 {
		t.Fatalf("the quick start has %d steps", steps)
	}
	client, _ := tc.Client()
	if _, err := client.AppsV1().Deployments("payments").Get(context.Background(), "api", metav1.GetOptions{}); err != nil {
		t.Errorf("the hardened app is not there after the quick start: %v", err)
	}
}

// waitForWebhook waits, as a user would, until the webhook has written its
// configuration and answers.
func waitForWebhook(t *testing.T, tc *testcluster.Cluster) {
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if c, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "guardrail", metav1.GetOptions{}); err == nil && len(c.Webhooks) > 0 && len(c.Webhooks[0].ClientConfig.CABundle) > 0 {
			time.Sleep(time.Second) // the API server's webhook informer
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(fmt.Errorf("the webhook wrote no configuration in 10 s"))
}

// TestPatternEnforcedNamespacesFailClosed: with a glob putting prod-*
// in enforce and the default warn, the webhook republishes its
// configuration when namespaces come, so that the hook for an unlabelled
// prod-* namespace fails closed and the others' fails open.
func TestPatternEnforcedNamespacesFailClosed(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	runWebhook(t, tc, "--namespace-mode", "prod-*=enforce")
	bg := context.Background()
	for _, ns := range []string{"prod-pay", "dev-x"} {
		if _, err := client.CoreV1().Namespaces().Create(bg, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got string
	for i := 0; i < 100; i++ {
		c, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(bg, "guardrail", metav1.GetOptions{})
		if err == nil {
			var b strings.Builder
			for _, h := range c.Webhooks {
				fmt.Fprintf(&b, "%s %s %v\n", h.Name, *h.FailurePolicy, h.NamespaceSelector.MatchExpressions)
			}
			got = b.String()
			if strings.Contains(got, "default-enforced.guardrail.dev Fail") && strings.Contains(got, "prod-pay") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	var enforced, open string
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "default-enforced.guardrail.dev ") {
			enforced = l
		}
		if strings.HasPrefix(l, "default.guardrail.dev ") {
			open = l
		}
	}
	if !strings.Contains(enforced, "Fail") || !strings.Contains(enforced, "prod-pay") || strings.Contains(enforced, "dev-x") ||
		!strings.Contains(open, "Ignore") || !strings.Contains(open, "prod-pay") {
		t.Errorf("hooks after the namespaces came:\n%s", got)
	}
}

// runWebhook runs `guardrail webhook` in this process against tc, out of
// the cluster on a free loopback port, until the test ends, and waits for
// its configuration. It removes the configuration afterwards.
func runWebhook(t *testing.T, tc *testcluster.Cluster, args ...string) (addr string) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		var out, errb strings.Builder
		done <- ExecuteContext(ctx, append([]string{"webhook", "--listen", addr, "--url", "https://" + addr, "--kubeconfig", tc.Kubeconfig}, args...),
			IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("webhook exited %d", code)
		}
		if client, err := tc.Client(); err == nil {
			client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), "guardrail", metav1.DeleteOptions{})
		}
	})
	waitForWebhook(t, tc)
	return addr
}
