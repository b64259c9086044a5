package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// installCRDs creates deploy/crds on the API server (its validation of
// the shipped CRDs) and waits until they are served.
func installCRDs(t *testing.T, tc *testcluster.Cluster, cfg *rest.Config) dynamic.Interface {
	t.Helper()
	files, _ := filepath.Glob("../../deploy/crds/*.yaml")
	if len(files) != 4 {
		t.Fatalf("deploy/crds has %d files, want 4", len(files))
	}
	if err := tc.CreateCRDs(context.Background(), files...); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{OpenReports, PolicyReports} {
		ns, cl := f.Kinds()
		for _, gvr := range []schema.GroupVersionResource{ns, cl} {
			if !eventually(30*time.Second, func() bool {
				_, err := dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{})
				return err == nil
			}) {
				t.Fatalf("%s not served", gvr)
			}
		}
	}
	return dyn
}

type fixture struct {
	tc     *testcluster.Cluster
	cfg    *rest.Config
	client *kubernetes.Clientset
	dyn    dynamic.Interface
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tc := testcluster.Dedicated(t, "serviceaccount-controller", "namespace-controller", "garbage-collector-controller")
	cfg, err := tc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.WarningHandler = rest.NoWarnings{} // Pod Security warnings on purpose-made bad pods
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{tc: tc, cfg: cfg, client: client, dyn: installCRDs(t, tc, cfg)}
}

func defaultEngine() *engine.Engine {
	rs, prof, _ := rules.Select(rules.DefaultProfile, nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel, s.Live = prof.PSSLevel, true
	return engine.New(engine.WithRules(rs), engine.WithSettings(s))
}

// start runs a watcher until the test ends.
func (f *fixture) start(t *testing.T, opts Options) (*Watcher, context.CancelFunc) {
	t.Helper()
	if opts.Config == nil {
		opts.Config = f.cfg
	}
	if opts.Engine == nil {
		opts.Engine = defaultEngine
	}
	opts.Debounce = 50 * time.Millisecond
	if os.Getenv("WATCH_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return w, stop
}

func (f *fixture) namespace(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := f.client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("no default service account in %s", name)
	}
}

func pod(name string, privileged bool) *corev1.Pod {
	no, yes := false, true
	sc := &corev1.SecurityContext{AllowPrivilegeEscalation: &no, RunAsNonRoot: &yes, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
	if privileged {
		sc = &corev1.SecurityContext{Privileged: &yes}
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/c@sha256:" + strings.Repeat("a", 64), SecurityContext: sc}}}}
}

// report reads a namespace's report ("" for the cluster's).
func (f *fixture) report(format Format, ns string) (*unstructured.Unstructured, error) {
	nsGVR, clGVR := format.Kinds()
	if ns == "" {
		return f.dyn.Resource(clGVR).Get(context.Background(), ReportName, metav1.GetOptions{})
	}
	return f.dyn.Resource(nsGVR).Namespace(ns).Get(context.Background(), ReportName, metav1.GetOptions{})
}

// results lists "rule object" of a report's failing results.
func results(u *unstructured.Unstructured) []string {
	var out []string
	rs, _, _ := unstructured.NestedSlice(u.Object, "results")
	for _, r := range rs {
		m := r.(map[string]any)
		if m["result"] != "fail" {
			continue
		}
		res := m["resources"].([]any)[0].(map[string]any)
		out = append(out, fmt.Sprint(m["policy"], " ", res["kind"], "/", res["name"]))
	}
	return out
}

func has(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

// eventually polls cond every 50 ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// TestWatchLifecycle on a real API server with the serviceaccount,
// namespace and garbage-collector controllers: a privileged pod shows in
// its namespace's report within 5 s with its drift; fixing it clears it; a
// quiet cluster writes nothing for a minute; a restarted watcher rewrites
// nothing; deleting the namespace deletes its report.
func TestWatchLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	w, stop := f.start(t, Options{Reports: true, Metrics: metrics})
	ns := "team-a"
	f.namespace(t, ns)
	ctx := context.Background()
	created := time.Now()
	bad, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("bad", true), metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		t.Fatal(err)
	}
	var rep *unstructured.Unstructured
	if !eventually(5*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		rep = u
		return err == nil && has(results(u), "pss-privileged Pod/bad")
	}) {
		t.Fatalf("no pss-privileged result within 5 s of the pod; report: %v", rep)
	}
	t.Logf("reported %v after the create", time.Since(created).Round(time.Millisecond))
	rs, _, _ := unstructured.NestedSlice(rep.Object, "results")
	var priv map[string]any
	for _, r := range rs {
		if r.(map[string]any)["policy"] == "pss-privileged" {
			priv = r.(map[string]any)
		}
	}
	props := priv["properties"].(map[string]any)
	res := priv["resources"].([]any)[0].(map[string]any)
	if priv["severity"] != "critical" || priv["category"] != "pod-security" || props["fieldManager"] != "kubectl-client-side-apply" || props["changedAt"] == nil ||
		props["firstSeen"] == nil || props["field"] != "spec.containers[0].securityContext.privileged" || props["container"] != "c" || res["uid"] == nil {
		t.Errorf("result lacks drift or identity: %v", priv)
	}
	if owners := rep.GetOwnerReferences(); len(owners) != 1 || owners[0].Kind != "Namespace" || owners[0].Name != ns {
		t.Errorf("owner references %v", owners)
	}
	sum, _, _ := unstructured.NestedMap(rep.Object, "summary")
	if sum["fail"] == int64(0) {
		t.Errorf("summary %v", sum)
	}

	// Fix it: the result goes.
	if err := f.client.CoreV1().Pods(ns).Delete(ctx, "bad", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("good", false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && !has(results(u), "pss-privileged Pod/bad") && !has(results(u), "pss-privileged Pod/good")
	}) {
		u, _ := f.report(OpenReports, ns)
		t.Fatalf("the fixed pod is still reported: %v", results(u))
	}
	// What drift attribution remembers of a deleted object goes with it
	// (a cluster's pods come and go; this grew without bound).
	if c := w.managers.get(string(bad.UID)); c.manager != "" {
		t.Errorf("the deleted pod's field manager is still remembered: %+v", c)
	}

	// Quiet: nothing is written for a minute.
	time.Sleep(time.Second)
	versions := f.reportVersions(t)
	writes := testutil.ToFloat64(metrics.writes.WithLabelValues("updated")) + testutil.ToFloat64(metrics.writes.WithLabelValues("created"))
	quiet := time.Minute
	if testing.Short() {
		quiet = 5 * time.Second
	}
	time.Sleep(quiet)
	if got := f.reportVersions(t); got != versions {
		t.Errorf("a quiet cluster rewrote reports in %v:\nbefore %s\nafter  %s", quiet, versions, got)
	}
	if w := testutil.ToFloat64(metrics.writes.WithLabelValues("updated")) + testutil.ToFloat64(metrics.writes.WithLabelValues("created")); w != writes {
		t.Errorf("writes went from %v to %v while quiet", writes, w)
	}

	// Restart: the new watcher rewrites nothing unchanged.
	stop()
	reg2 := prometheus.NewRegistry()
	m2 := NewMetrics(reg2)
	w2, _ := f.start(t, Options{Reports: true, Metrics: m2})
	if !eventually(10*time.Second, func() bool { return w2.Passes() > 0 }) {
		t.Fatal("no pass after restart")
	}
	time.Sleep(500 * time.Millisecond)
	if got := f.reportVersions(t); got != versions {
		t.Errorf("a restart rewrote unchanged reports:\nbefore %s\nafter  %s", versions, got)
	}

	// Delete the namespace: its report goes with it.
	if err := f.client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(30*time.Second, func() bool {
		_, err := f.report(OpenReports, ns)
		return apierrors.IsNotFound(err)
	}) {
		t.Errorf("the report of the deleted namespace %s remains", ns)
	}
}

// reportVersions lists every report's resourceVersion.
func (f *fixture) reportVersions(t *testing.T) string {
	t.Helper()
	nsGVR, clGVR := OpenReports.Kinds()
	var b strings.Builder
	for _, gvr := range []schema.GroupVersionResource{nsGVR, clGVR} {
		l, err := f.dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range l.Items {
			fmt.Fprintf(&b, "%s/%s=%s ", u.GetNamespace(), u.GetName(), u.GetResourceVersion())
		}
	}
	return b.String()
}

// TestWatchEventsAndPolicyReports: with --report-format wgpolicyk8s the
// watcher writes PolicyReports (accepted by the shipped CRD), and each
// new finding at or above high gets one Warning Event on its object, not
// repeated on later passes.
func TestWatchEventsAndPolicyReports(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, _ := f.start(t, Options{Reports: true, Format: PolicyReports, Events: true, EventSeverity: api.SeverityHigh})
	ns := "events"
	f.namespace(t, ns)
	ctx := context.Background()
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("bad", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(PolicyReports, ns)
		return err == nil && u.GetKind() == "PolicyReport" && has(results(u), "pss-privileged Pod/bad")
	}) {
		t.Fatal("no PolicyReport with the finding")
	}
	count := func() (n int) {
		l, _ := f.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "reason=" + EventReason})
		for _, e := range l.Items {
			if e.InvolvedObject.Name == "bad" && strings.HasPrefix(e.Message, "pss-privileged") {
				n++
			}
		}
		return n
	}
	if !eventually(5*time.Second, func() bool { return count() == 1 }) {
		t.Fatalf("%d Events for the privileged pod, want 1", count())
	}
	// More passes (a change elsewhere): no second Event.
	p := w.Passes()
	if _, err := f.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "poke"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(5*time.Second, func() bool { return w.Passes() > p })
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("%d Events after another pass, want still 1", n)
	}
}

// TestWatchBaselineConfigMap: findings in the approved baseline (a
// ConfigMap in scan --write-baseline's format) are published as skip with
// the baseline as reason; a finding that appears after it fails.
func TestWatchBaselineConfigMap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ns := "accepted"
	f.namespace(t, ns)
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("legacy", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w, _ := f.start(t, Options{Reports: true, BaselineConfigMap: ns + "/guardrail-baseline"})
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && has(results(u), "pss-privileged Pod/legacy")
	}) {
		t.Fatal("no finding before the baseline")
	}
	// Approve what is there now.
	var fs []api.Finding
	for _, tr := range w.State().Findings {
		fs = append(fs, *tr.Finding)
	}
	var buf strings.Builder
	if err := engine.NewBaseline(fs).Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "guardrail-baseline"},
		Data: map[string]string{BaselineKey: buf.String()}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("new", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var rep *unstructured.Unstructured
	if !eventually(20*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		if err != nil {
			return false
		}
		rep = u
		return has(results(u), "pss-privileged Pod/new") && !has(results(u), "pss-privileged Pod/legacy")
	}) {
		t.Fatalf("after the baseline: %v", results(rep))
	}
	rs, _, _ := unstructured.NestedSlice(rep.Object, "results")
	skipped := false
	for _, r := range rs {
		m := r.(map[string]any)
		res := m["resources"].([]any)[0].(map[string]any)
		if m["policy"] == "pss-privileged" && res["name"] == "legacy" {
			skipped = m["result"] == "skip" && m["properties"].(map[string]any)["suppressedBy"] == "baseline"
		}
	}
	if !skipped {
		t.Errorf("the accepted finding is not a skip by baseline: %v", rs)
	}
}
