package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWatchSince runs `guardrail watch` as a process would (flags,
// metrics endpoint) on a real API server, then `watch --since` as a CD
// step: a privileged pod created after the mark fails the step, and a
// mark after it passes.
func TestWatchSince(t *testing.T) {
	tc := testcluster.Dedicated(t, "serviceaccount-controller")
	code, _, errOut := run(t, "", "watch", "--since", "1m", "--kubeconfig", tc.Kubeconfig)
	if code != ExitPartial || !strings.Contains(errOut, "CRDs installed") {
		t.Errorf("--since without the CRDs: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob("../../deploy/crds/*.yaml")
	if err := tc.CreateCRDs(context.Background(), files...); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		streams := IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
		done <- ExecuteContext(ctx, []string{"watch", "--kubeconfig", tc.Kubeconfig, "--metrics-addr", addr, "--debounce", "50ms"}, streams)
	}()
	defer func() { cancel(); <-done }()
	client, _ := tc.Client()
	mark := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	if _, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "cd"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the service account controller
	yes := true
	if _, err := client.CoreV1().Pods("cd").Create(context.Background(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "rollout"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c:1", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var out string
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, out, errOut = run(t, "", "watch", "--since", mark, "--kubeconfig", tc.Kubeconfig, "-o", "json")
		// The namespace's own findings can appear before the pod's: wait
		// for the pod's.
		if code == ExitFindings && strings.Contains(out, "Pod/cd/rollout") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var got []map[string]any
	if code != ExitFindings || json.Unmarshal([]byte(out), &got) != nil || !strings.Contains(out, `"ruleID": "pss-privileged"`) || !strings.Contains(out, "Pod/cd/rollout") {
		t.Fatalf("--since %s: exit %d\n%s%s", mark, code, out, errOut)
	}
	later := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	if code, out, _ := run(t, "", "watch", "--since", later, "--kubeconfig", tc.Kubeconfig); code != 0 || !strings.Contains(out, "0 findings appeared") {
		t.Errorf("--since later: exit %d\n%s", code, out)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`guardrail_findings{namespace="cd",rule="pss-privileged",severity="critical"} 1`, "guardrail_evaluation_seconds_bucket", `guardrail_report_writes_total{result="created"}`, "guardrail_partial 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
