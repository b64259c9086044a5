package watch

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

func writes(m *Metrics) float64 {
	return testutil.ToFloat64(m.writes.WithLabelValues("created")) + testutil.ToFloat64(m.writes.WithLabelValues("updated"))
}

// TestWatchLeaderElection: two watcher replicas on one Lease; only the
// leader writes, and when it stops the other takes over and writes the
// next change.
func TestWatchLeaderElection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	type replica struct {
		w      *Watcher
		m      *Metrics
		e      *Election
		cancel context.CancelFunc
	}
	start := func(id string) *replica {
		r := &replica{m: NewMetrics(prometheus.NewRegistry()), e: &Election{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 250 * time.Millisecond}}
		var stopWatch context.CancelFunc
		r.w, stopWatch = f.start(t, Options{Reports: true, Metrics: r.m, Leader: r.e.Leading})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = r.e.Run(ctx, f.client, "default", "guardrail-watch", id, r.w.BecameLeader); close(done) }()
		r.cancel = func() { cancel(); <-done; stopWatch() }
		t.Cleanup(func() { cancel(); <-done })
		return r
	}
	a, b := start("a"), start("b")
	if !eventually(15*time.Second, func() bool { return a.e.Leading() != b.e.Leading() }) {
		t.Fatalf("no single leader: a %v, b %v", a.e.Leading(), b.e.Leading())
	}
	leader, follower := a, b
	if b.e.Leading() {
		leader, follower = b, a
	}
	ns := "elect"
	f.namespace(t, ns)
	if _, err := f.client.CoreV1().Pods(ns).Create(context.Background(), pod("bad", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && has(results(u), "pss-privileged Pod/bad")
	}) {
		t.Fatal("the leader wrote no report")
	}
	if writes(leader.m) == 0 || writes(follower.m) != 0 {
		t.Errorf("writes: leader %v, follower %v; only the leader may write", writes(leader.m), writes(follower.m))
	}
	if follower.w.State() == nil || !strings.Contains(strings.Join(trackedKeys(follower.w.State().Findings), "\n"), "pss-privileged") {
		t.Errorf("the follower does not evaluate (its metrics would be empty)")
	}
	leader.cancel()
	if !eventually(15*time.Second, func() bool { return follower.e.Leading() }) {
		t.Fatal("the follower did not take over")
	}
	if _, err := f.client.CoreV1().Pods(ns).Create(context.Background(), pod("worse", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && has(results(u), "pss-privileged Pod/worse")
	}) {
		t.Fatal("the new leader did not write the change")
	}
}

// TestWatchSurvivesRestartAndExpiry: the API server is killed, etcd is
// compacted meanwhile (the informers' resume points expire: 410), and the
// server comes back; the watcher relists, writes no duplicate and rewrites
// nothing unchanged, and judges the next change.
func TestWatchSurvivesRestartAndExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := NewMetrics(prometheus.NewRegistry())
	w, _ := f.start(t, Options{Reports: true, Metrics: m})
	ns := "restart"
	f.namespace(t, ns)
	ctx := context.Background()
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("bad", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && has(results(u), "pss-privileged Pod/bad")
	}) {
		t.Fatal("no report before the restart")
	}
	time.Sleep(time.Second)
	before, writesBefore := f.reportVersions(t), writes(m)
	if err := f.tc.RestartAPIServer(ctx, func() {
		// Move etcd's revision past the informers' resume points, then
		// compact it, so resuming from them is refused (410 Gone). The
		// reflector handles that inside client-go by relisting, without
		// telling the error handler, so the test checks the outcome: a
		// complete state, nothing rewritten, the next change judged.
		for i := 0; i < 3; i++ {
			resp, err := http.Post(f.tc.EtcdURL+"/v3/kv/put", "application/json", strings.NewReader(`{"key":"Z3VhcmRyYWlsLXRlc3Q=","value":"eA=="}`))
			if err != nil {
				t.Errorf("etcd put: %v", err)
				return
			}
			resp.Body.Close()
		}
		if err := f.tc.Compact(ctx); err != nil {
			t.Errorf("compact: %v", err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	passes := w.Passes()
	if !eventually(30*time.Second, func() bool { return w.Passes() > passes && !w.State().Partial }) {
		t.Fatalf("no complete pass after the restart; problems %v", w.State().Problems)
	}
	time.Sleep(time.Second)
	if after := f.reportVersions(t); after != before || writes(m) != writesBefore {
		t.Errorf("the restart rewrote unchanged reports (writes %v -> %v):\nbefore %s\nafter  %s", writesBefore, writes(m), before, after)
	}
	if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod("after", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		u, err := f.report(OpenReports, ns)
		return err == nil && has(results(u), "pss-privileged Pod/after")
	}) {
		t.Fatal("the change after the restart was not judged")
	}
	l, err := f.dyn.Resource(mustNS(OpenReports)).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) != 1 {
		t.Errorf("reports in %s: %d (%v), want exactly one", ns, len(l.Items), err)
	}
}

func mustNS(f Format) schema.GroupVersionResource { gvr, _ := f.Kinds(); return gvr }

// TestWatchPartialWhenForbidden: a watcher whose identity may not list
// NetworkPolicies says so in the cluster report (an error result and the
// summary) and in its metrics, never a silent clean; once granted, the
// kind is read and the error goes.
func TestWatchPartialWhenForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var ruleset []rbacv1.PolicyRule
	ruleset = append(ruleset,
		rbacv1.PolicyRule{APIGroups: []string{"", "apps", "batch", "rbac.authorization.k8s.io", "admissionregistration.k8s.io"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
		rbacv1.PolicyRule{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list", "watch"}},
		rbacv1.PolicyRule{APIGroups: []string{"openreports.io"}, Resources: []string{"reports", "clusterreports"}, Verbs: []string{"get", "list", "create", "update"}})
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "watcher"}, Rules: ruleset}
	if _, err := f.client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "watcher"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "watcher"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "watcher"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := f.tc.WriteKubeconfig(t.TempDir()+"/watcher.kubeconfig", "watcher")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	w, _ := f.start(t, Options{Config: cfg, Reports: true, Metrics: m})
	var rep *unstructured.Unstructured
	if !eventually(40*time.Second, func() bool {
		u, err := f.report(OpenReports, "")
		if err != nil {
			return false
		}
		rep = u
		sum, _, _ := unstructured.NestedMap(u.Object, "summary")
		return sum["error"] == int64(1)
	}) {
		t.Fatalf("the cluster report does not say networkpolicies were not read: %v", rep)
	}
	if !w.State().Partial || testutil.ToFloat64(m.partial) != 1 || testutil.ToFloat64(m.unreadable.WithLabelValues("networkpolicies")) != 1 {
		t.Errorf("partial %v, metric %v", w.State().Partial, testutil.ToFloat64(m.partial))
	}
	rs, _, _ := unstructured.NestedSlice(rep.Object, "results")
	if len(rs) == 0 || rs[0].(map[string]any)["result"] != "error" || !strings.Contains(rs[0].(map[string]any)["message"].(string), "networkpolicies") {
		t.Errorf("first result %v", rs)
	}
	// Grant it: the reflector lists again and the error goes.
	role.Rules[1].Resources = append(role.Rules[1].Resources, "networkpolicies")
	cur, _ := f.client.RbacV1().ClusterRoles().Get(ctx, "watcher", metav1.GetOptions{})
	cur.Rules = role.Rules
	if _, err := f.client.RbacV1().ClusterRoles().Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(60*time.Second, func() bool {
		u, err := f.report(OpenReports, "")
		if err != nil {
			return false
		}
		sum, _, _ := unstructured.NestedMap(u.Object, "summary")
		return sum["error"] == int64(0) && !w.State().Partial
	}) {
		t.Errorf("still partial after the grant: %v", w.State().Problems)
	}
}
