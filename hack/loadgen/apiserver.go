package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// apiServerOverhead creates n pods through the test control plane without
// the webhook, then n with it registered (running as its own process), and
// reports the create latency percentiles of both.
func apiServerOverhead(bin string, n int) {
	dir, err := os.MkdirTemp("", "loadgen-apiserver")
	check(err)
	defer os.RemoveAll(dir)
	ctx := context.Background()
	tc, err := testcluster.Start(ctx, dir)
	check(err)
	defer tc.Stop()
	client, err := tc.Client()
	check(err)
	for _, ns := range []string{"without", "with"} {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		check(err)
		_, err = client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
		check(err)
	}
	without := createPods(ctx, client, "without", n)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	wh := exec.Command(bin, "webhook", "--listen", addr, "--url", "https://"+addr, "--kubeconfig", tc.Kubeconfig, "--default-mode", "warn")
	wh.Stderr = io.Discard
	check(wh.Start())
	defer wh.Process.Kill()
	for i := 0; ; i++ { // until the configuration is in place and answered
		c, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "guardrail", metav1.GetOptions{})
		if err == nil && len(c.Webhooks) > 0 {
			if _, err := client.CoreV1().Pods("with").Create(ctx, pod("warmup"), metav1.CreateOptions{}); err == nil {
				break
			}
		}
		if i > 100 {
			check(fmt.Errorf("webhook not in place"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	with := createPods(ctx, client, "with", n)
	p := func(l []time.Duration, q float64) float64 { return ms(l[int(q*float64(len(l)-1))]) }
	fmt.Printf("pod create through the API server, %d pods each (warn mode: the webhook reviews every pod)\n", n)
	fmt.Printf("  without webhook: p50 %.2f ms, p99 %.2f ms\n", p(without, .5), p(without, .99))
	fmt.Printf("  with webhook:    p50 %.2f ms, p99 %.2f ms\n", p(with, .5), p(with, .99))
	fmt.Printf("  added by the webhook: p50 %.2f ms, p99 %.2f ms\n", p(with, .5)-p(without, .5), p(with, .99)-p(without, .99))
}

func pod(name string) *corev1.Pod {
	f := false
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{Privileged: &f}}}}}
}

func createPods(ctx context.Context, c *kubernetes.Clientset, ns string, n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		_, err := c.CoreV1().Pods(ns).Create(ctx, pod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{})
		check(err)
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
