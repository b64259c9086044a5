package admission_test

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/admission"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// service stands in for a Service and the node's proxy in front of the
// webhook's pods: each new connection goes to one of the current
// endpoints, round robin, and a connection to an endpoint that refuses
// it fails (kube-proxy does not retry). The API server only calls
// webhooks on loopback by URL here, because Endpoints refuse loopback
// addresses; this is the one part of the path that is not Kubernetes'.
type service struct {
	ln        net.Listener
	mu        sync.Mutex
	endpoints []string
	next      int
}

func newService(t *testing.T) *service {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &service{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.forward(c)
		}
	}()
	return s
}

func (s *service) forward(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	if len(s.endpoints) == 0 {
		s.mu.Unlock()
		return
	}
	to := s.endpoints[s.next%len(s.endpoints)]
	s.next++
	s.mu.Unlock()
	b, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(b, c); done <- struct{}{} }()
	go func() { io.Copy(c, b); done <- struct{}{} }()
	<-done
}

func (s *service) set(endpoints ...string) {
	s.mu.Lock()
	s.endpoints = endpoints
	s.mu.Unlock()
}

var replicaRuns atomic.Int64

// replica is one webhook pod: its own handler and server, the shared CA.
type replica struct {
	addr    string
	stop    context.CancelFunc
	stopped chan struct{}
	reviews atomic.Int64
}

// TestNothingLostAcrossAReplicaKill runs two replicas behind a service,
// under a steady load of clean and privileged pods (server-side dry-run)
// in an enforce namespace, and replaces each replica in turn the way a
// rollout or a pod deletion does: SIGTERM (the context ends), the
// endpoint leaves the service half a second later, a new replica starts
// at a new address and joins when it answers. Enforce must never admit a
// privileged pod, and a clean pod must never be denied: a healthy
// replica is up throughout. GUARDRAIL_SHUTDOWN_DELAY=0 shows what the
// shutdown delay prevents.
func TestNothingLostAcrossAReplicaKill(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, _ := tc.RESTConfig()
	cfg.WarningHandler = rest.NoWarnings{}
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	ns := "door-replicas-" + strconv.FormatInt(replicaRuns.Add(1), 10) // -count reruns on the same cluster
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{admission.ModeLabel: "enforce"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	delay := 2 * time.Second
	if v, err := time.ParseDuration(os.Getenv("GUARDRAIL_SHUTDOWN_DELAY")); err == nil {
		delay = v
	}
	shared := &admission.SharedCA{Client: client, Namespace: ns, Name: admission.DefaultCASecret, Identity: "replicas",
		Hosts: []string{"127.0.0.1"}, Publish: func(context.Context, []byte) error { return nil }, Propagation: 10 * time.Millisecond, Validity: 24 * time.Hour}
	certs, err := shared.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all []*replica
	var allMu sync.Mutex
	start := func() *replica {
		h := handlerForTest(t)
		h.Exempt = admission.DefaultExempt("")
		r := &replica{stopped: make(chan struct{})}
		h.Record = func(admission.Decision) { r.reviews.Add(1) }
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		r.addr = ln.Addr().String()
		ln.Close()
		sctx, stop := context.WithCancel(ctx)
		r.stop = stop
		go func() {
			defer close(r.stopped)
			(&admission.Server{Handler: h.Handler, Certs: certs, ShutdownDelay: delay}).Serve(sctx, r.addr)
		}()
		waitHTTPS(t, r.addr)
		allMu.Lock()
		all = append(all, r)
		allMu.Unlock()
		return r
	}
	svc := newService(t)
	a, b := start(), start()
	svc.set(a.addr, b.addr)
	t.Cleanup(func() {
		allMu.Lock()
		defer allMu.Unlock()
		for _, r := range all {
			r.stop()
		}
	})

	h := handlerForTest(t)
	conf := admission.Configuration(h.rules, admission.InstallOptions{URL: "https://" + svc.ln.Addr().String(), CABundle: certs.Bundle(),
		Policy: admission.Policy{Default: admission.Warn}, ExcludeNamespaces: admission.DefaultExempt("")})
	vwc := client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	vwc.Delete(ctx, conf.Name, metav1.DeleteOptions{})
	if _, err := vwc.Create(ctx, conf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vwc.Delete(context.Background(), conf.Name, metav1.DeleteOptions{}) })
	// Wait until the API server calls the new configuration.
	pods := client.CoreV1().Pods(ns)
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	for i := 0; ; i++ {
		_, err := pods.Create(ctx, privileged("probe"), dry)
		if err != nil && strings.Contains(err.Error(), "guardrail denied") {
			break
		}
		if i == 100 {
			t.Fatalf("the webhook is not called: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var stats sync.Map
	count := func(k string) {
		v, _ := stats.LoadOrStore(k, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	loadCtx, endLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; loadCtx.Err() == nil; i++ {
				priv := (i+w)%2 == 0
				p := cleanPod("w" + strconv.Itoa(w) + "-" + strconv.Itoa(i))
				if priv {
					p = privileged(p.Name)
				}
				_, err := pods.Create(ctx, p, dry)
				switch {
				case priv && err == nil:
					t.Errorf("privileged pod %s admitted", p.Name)
				case priv && strings.Contains(err.Error(), "guardrail denied"):
					count("privileged denied")
				case priv:
					count("privileged refused (webhook unreachable)")
				case err == nil:
					count("clean admitted")
				default:
					count("clean denied")
					t.Errorf("clean pod %s denied with a healthy replica up: %v", p.Name, err)
				}
			}
		}(w)
	}
	// Replace a, then b: SIGTERM, endpoint removal half a second later
	// (the endpoints controller and kube-proxy are not instant), a new
	// replica that joins once it answers.
	replace := func(old *replica, keep *replica) *replica {
		time.Sleep(time.Second)
		old.stop()
		time.Sleep(500 * time.Millisecond)
		svc.set(keep.addr)
		n := start()
		svc.set(keep.addr, n.addr)
		<-old.stopped
		return n
	}
	a2 := replace(a, b)
	replace(b, a2)
	time.Sleep(time.Second)
	endLoad()
	wg.Wait()
	report := map[string]int64{}
	stats.Range(func(k, v any) bool { report[k.(string)] = v.(*atomic.Int64).Load(); return true })
	served := make([]int64, len(all))
	for i, r := range all {
		served[i] = r.reviews.Load()
	}
	t.Logf("shutdown delay %s: %v; reviews per replica (a, b, a', b'): %v", delay, report, served)
	if report["privileged denied"] == 0 || report["clean admitted"] == 0 {
		t.Errorf("the load did not run: %v", report)
	}
	if report["privileged refused (webhook unreachable)"] > 0 {
		t.Errorf("%d privileged pods were refused for want of a webhook (fail closed, but a healthy replica was up)", report["privileged refused (webhook unreachable)"])
	}
	// The last replica may see nothing: the API server keeps its
	// connections to the one that took over.
	for i, n := range served[:len(served)-1] {
		if n == 0 {
			t.Errorf("replica %d reviewed nothing: the service did not spread the load", i)
		}
	}
}
