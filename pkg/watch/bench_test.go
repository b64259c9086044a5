package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// seedLarge creates, in 100 namespaces, 10,000 pods (owned by nothing, so
// each is judged), 10,000 RoleBindings and 1,000 NetworkPolicies. Two pods
// in three are as most clusters run them, with no securityContext (about
// ten findings each); one in three is hardened, one in fifty privileged.
// A bench of hardened pods only had a tenth of the findings and hid the
// cost of findings and reports (365 MB in it, 890 MB in a real process).
func seedLarge(b *testing.B, client kubernetes.Interface) {
	ctx := context.Background()
	for n := 0; n < 100; n++ {
		ns := fmt.Sprintf("bench-%d", n)
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	var g errgroup.Group
	g.SetLimit(32)
	for i := 0; i < 10000; i++ {
		ns, i := fmt.Sprintf("bench-%d", i%100), i
		g.Go(func() error {
			p := pod(fmt.Sprintf("p-%d", i), i%50 == 0)
			if i%3 != 0 && i%50 != 0 {
				p.Spec.Containers[0].SecurityContext = nil
			}
			_, err := client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			return err
		})
		g.Go(func() error {
			_, err := client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i)},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: []string{"view", "edit", "admin"}[i%3]},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: ns}}}, metav1.CreateOptions{})
			return err
		})
		if i < 1000 {
			g.Go(func() error {
				_, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np-%d", i)},
					Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("p-%d", i)}},
						Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}}}, metav1.CreateOptions{})
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWatchLarge: on a real API server with 10,000 pods, 10,000
// RoleBindings and 1,000 NetworkPolicies, the time from start to the first
// complete pass (informer sync plus evaluation), a full pass, the heap
// after it, and then 50 changes per second for 60 s: the p99 from change
// to judged and the heap at the end. One iteration whatever b.N.
// WATCH_LOAD=10m makes the load last ten minutes (the soak: the heap is
// sampled each minute), WATCH_NO_INCREMENTAL=1 re-runs every cross-object
// rule on every pass, for comparison.
//
//	go test ./pkg/watch -run XXX -bench WatchLarge -benchtime 1x -timeout 30m
func BenchmarkWatchLarge(b *testing.B) {
	tc := testcluster.Dedicated(b, "namespace-controller")
	cfg, _ := tc.RESTConfig()
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.WarningHandler = rest.NoWarnings{}
	client := kubernetes.NewForConfigOrDie(cfg)
	files, _ := filepath.Glob("../../deploy/crds/*.yaml")
	if err := tc.CreateCRDs(context.Background(), files...); err != nil {
		b.Fatal(err)
	}
	seedLarge(b, client)
	b.ResetTimer()
	start := time.Now()
	load := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("WATCH_LOAD")); err == nil {
		load = d
	}
	// As `guardrail watch` runs: reports written, metrics kept.
	w, err := New(Options{Config: cfg, Engine: defaultEngine, Debounce: 100 * time.Millisecond, NoIncremental: os.Getenv("WATCH_NO_INCREMENTAL") != "",
		Reports: true, Format: OpenReports, MaxResults: 1000, Metrics: NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	for w.Passes() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	first := time.Since(start)
	st := w.State()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(first.Seconds(), "first-pass-s")
	b.ReportMetric(st.Took.Seconds(), "pass-s")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(st.Objects), "objects")
	// 50 changes a second for 60 s: relabel pods in turn; record each
	// pass's lag.
	var lags []time.Duration
	var cached, run int64
	var heaps []float64 // each minute of the load
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		last := w.Passes()
		minute := time.NewTicker(time.Minute)
		defer minute.Stop()
		for {
			select {
			case <-done:
				return
			case <-minute.C:
				// The live heap: without a GC first, HeapAlloc holds
				// whatever garbage the last cycle left.
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heaps = append(heaps, float64(ms.HeapAlloc)/(1<<20))
			case <-time.After(20 * time.Millisecond):
			}
			if p := w.Passes(); p != last {
				last = p
				st := w.State()
				if l := st.Lag; l > 0 {
					lags = append(lags, l)
				}
				cached, run = cached+st.CrossCached, run+st.CrossRun
			}
		}
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	end := time.Now().Add(load)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		ns, name := fmt.Sprintf("bench-%d", i%100), fmt.Sprintf("p-%d", i%10000)
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		p.Labels["rev"] = fmt.Sprint(i)
		_, _ = client.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
	}
	tick.Stop()
	time.Sleep(2 * time.Second)
	close(done)
	<-stopped
	if cached+run > 0 {
		b.ReportMetric(100*float64(cached)/float64(cached+run), "cross-cached-%")
	}
	if len(heaps) > 1 {
		b.ReportMetric(heaps[0], "heap-load-min1-MiB")
		b.ReportMetric(heaps[len(heaps)-1], "heap-load-last-min-MiB")
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	if len(lags) > 0 {
		b.ReportMetric(lags[len(lags)*99/100].Seconds(), "change-p99-s")
		b.ReportMetric(lags[len(lags)/2].Seconds(), "change-p50-s")
		b.ReportMetric(float64(len(lags)), "passes-under-load")
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-after-load-MiB")
	if f := os.Getenv("WATCH_HEAP_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		pprof.WriteHeapProfile(out)
		out.Close()
	}
	debug.FreeOSMemory() // return what the seeding's client freed, so RSS is the watcher's
	b.ReportMetric(rssMiB(), "rss-MiB")
	b.ReportMetric(anonRSSMiB(), "rss-anon-MiB")
	// Where the anonymous memory is, as the Go runtime sees it.
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "go-sys-MiB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
	b.ReportMetric(float64(ms.HeapIdle-ms.HeapReleased)/(1<<20), "heap-idle-kept-MiB")
}

// rssMiB is the process's resident set (VmRSS), in MiB.
func rssMiB() float64 { return procStatusMiB("VmRSS:") }

// anonRSSMiB is the anonymous part of the resident set (RssAnon): the
// heap, stacks and runtime, without the binary's pages.
func anonRSSMiB() float64 { return procStatusMiB("RssAnon:") }

func procStatusMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
