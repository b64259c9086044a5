package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestHungAPIServerGivesAPartialReport: the API server stops answering in
// the middle of a paged list (SIGSTOP). The scan returns within a few
// request timeouts, not the scan's 5-minute budget, with what it read and
// a problem saying the server stopped answering. Before, it waited out
// the whole timeout and printed an empty report.
func TestHungAPIServerGivesAPartialReport(t *testing.T) {
	tc := testcluster.Dedicated(t)
	c, err := tc.Client()
	must(t, err)
	ctx := context.Background()
	_, err = c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hang"}}, metav1.CreateOptions{})
	must(t, err)
	for i := 0; i < 60; i++ {
		_, err := c.CoreV1().ConfigMaps("hang").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}}, metav1.CreateOptions{})
		must(t, err)
	}
	cfg, err := tc.RESTConfig()
	must(t, err)
	cfg.Timeout = 2 * time.Second
	var once sync.Once
	var resume func()
	defer func() {
		if resume != nil {
			resume()
		}
	}()
	start := time.Now()
	res, err := cluster.Load(ctx, cfg, cluster.Options{PageSize: 5, Parallel: 1, Progress: func(resource string, n int) {
		if resource == "configmaps" && n >= 20 {
			once.Do(func() { resume = tc.Hang() })
		}
	}})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("a server that stops answering mid-scan must give a partial report, not an error: %v", err)
	}
	if took > 60*time.Second {
		t.Errorf("the scan took %s", took)
	}
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Message)
	}
	// The lists run in any order; the ConfigMaps read before the hang
	// are kept. The hang came after 20 ConfigMaps of any namespace (the
	// controllers publish kube-root-ca.crt in "default" too, listed first).
	read := 0
	for _, o := range res.Objects {
		if o.GVK.Kind == "ConfigMap" {
			read++
		}
	}
	if !res.Partial || !strings.Contains(strings.Join(msgs, "\n"), "stopped answering") || read < 20 {
		t.Errorf("partial=%v, %d ConfigMaps read, problems:\n%s", res.Partial, read, strings.Join(msgs, "\n"))
	}
	t.Logf("returned in %s with %d objects and %d problems", took.Round(time.Millisecond), len(res.Objects), len(res.Problems))
}
