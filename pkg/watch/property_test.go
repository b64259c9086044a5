package watch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scanLive is `guardrail scan --live` without the CLI: the same loader,
// streaming and slimming.
func scanLive(t *testing.T, f *fixture) []api.Finding {
	t.Helper()
	stream := defaultEngine().NewStream(engine.WithSlimming())
	loaded, err := cluster.Load(context.Background(), f.cfg, cluster.Options{Sink: stream.Add})
	if err != nil {
		t.Fatal(err)
	}
	info := cluster.InfoObject(loaded.Version)
	stream.Add(info)
	res := stream.Finish(inventory.New(append(loaded.Objects, info)))
	return append(res.Findings, res.Suppressed...)
}

func keys(fs []api.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, strings.Join([]string{f.RuleID, f.Severity.String(), f.Object.String(), f.Field, f.Container, f.Message}, " | "))
	}
	sort.Strings(out)
	return out
}

func trackedKeys(ts []*Tracked) []string {
	fs := make([]api.Finding, len(ts))
	for i, t := range ts {
		fs[i] = *t.Finding
	}
	return keys(fs)
}

// TestWatchEqualsScan: after a seeded random sequence of creates,
// updates, relabels and deletes on a real API server, the watcher's state
// at a quiet moment equals a fresh live scan. A failure prints the seed
// (WATCH_SEED reruns one). The passes are incremental (engine.CrossCache),
// so this also checks the rules' Reads on a real API server.
func TestWatchEqualsScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, _ := f.start(t, Options{})
	seeds := []uint64{20261203, 7, 99}
	if s := os.Getenv("WATCH_SEED"); s != "" {
		n, _ := strconv.ParseUint(s, 10, 64)
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 3))
		ns := fmt.Sprintf("prop-%d", seed)
		f.namespace(t, ns)
		ops := mutate(t, f, r, ns, 40)
		// Quiet: the watcher has judged everything that happened.
		var got, want []string
		ok := eventually(20*time.Second, func() bool {
			p := w.Passes()
			time.Sleep(300 * time.Millisecond)
			if w.Passes() != p || w.State() == nil {
				return false
			}
			got, want = trackedKeys(w.State().Findings), keys(scanLive(t, f))
			return strings.Join(got, "\n") == strings.Join(want, "\n")
		})
		if !ok {
			t.Fatalf("seed %d: after %d operations the watcher differs from a fresh scan:\nwatch only:\n  %s\nscan only:\n  %s\n(ops: %s)",
				seed, len(ops), strings.Join(minus(got, want), "\n  "), strings.Join(minus(want, got), "\n  "), strings.Join(ops, "; "))
		}
		st := w.State()
		t.Logf("seed %d: %d operations, %d findings agree; the last pass took %d cross-object checks from the cache and ran %d", seed, len(ops), len(got), st.CrossCached, st.CrossRun)
		if st.CrossCached == 0 {
			t.Fatal("the last pass answered no cross-object check from the cache: the incremental evaluation was not what was compared")
		}
	}
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

// mutate applies n random operations in ns and returns what it did.
func mutate(t *testing.T, f *fixture, r *rand.Rand, ns string, n int) []string {
	t.Helper()
	ctx := context.Background()
	c := f.client
	var ops []string
	names := []string{"a", "b", "c", "d"}
	for i := 0; i < n; i++ {
		name := names[r.IntN(len(names))]
		var err error
		var op string
		switch r.IntN(9) {
		case 0:
			op = "create pod " + name
			_, err = c.CoreV1().Pods(ns).Create(ctx, pod("p-"+name, r.IntN(2) == 0), metav1.CreateOptions{})
		case 1:
			op = "delete pod " + name
			err = c.CoreV1().Pods(ns).Delete(ctx, "p-"+name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		case 2:
			op = "create deployment " + name
			p := pod("d-"+name, r.IntN(2) == 0)
			l := map[string]string{"app": "d-" + name}
			_, err = c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d-" + name},
				Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: p.Spec}}}, metav1.CreateOptions{})
		case 3:
			op = "update deployment " + name
			var d *appsv1.Deployment
			if d, err = c.AppsV1().Deployments(ns).Get(ctx, "d-"+name, metav1.GetOptions{}); err == nil {
				yes := r.IntN(2) == 0
				d.Spec.Template.Spec.HostNetwork = yes
				d.Spec.Template.Spec.Containers[0].Image = []string{"nginx:latest", "registry.example/c@sha256:" + strings.Repeat("b", 64)}[r.IntN(2)]
				_, err = c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
			}
		case 4:
			op = "delete deployment " + name
			err = c.AppsV1().Deployments(ns).Delete(ctx, "d-"+name, metav1.DeleteOptions{})
		case 5:
			op = "create networkpolicy " + name
			_, err = c.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "np-" + name},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "p-" + name}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}}}}}}, metav1.CreateOptions{})
		case 6:
			op = "delete networkpolicy " + name
			err = c.NetworkingV1().NetworkPolicies(ns).Delete(ctx, "np-"+name, metav1.DeleteOptions{})
		case 7:
			op = "relabel namespace"
			var nso *corev1.Namespace
			if nso, err = c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil {
				if nso.Labels == nil {
					nso.Labels = map[string]string{}
				}
				nso.Labels["pod-security.kubernetes.io/enforce"] = []string{"privileged", "baseline", "restricted"}[r.IntN(3)]
				_, err = c.CoreV1().Namespaces().Update(ctx, nso, metav1.UpdateOptions{})
			}
		case 8:
			op = "bind " + name
			_, err = c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rb-" + name},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: []string{"admin", "view", "cluster-admin"}[r.IntN(3)]},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: ns}}}, metav1.CreateOptions{})
		}
		if err != nil {
			op += " (" + strings.SplitN(err.Error(), ":", 2)[0] + ")"
		}
		ops = append(ops, op)
	}
	return ops
}
