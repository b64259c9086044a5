package admission_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// TestWebhookThroughTheAPIServer: the real API server calls the webhook on
// loopback for pods created through it.
func TestWebhookThroughTheAPIServer(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, err := tc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Namespace labels reach the handler as the hook the API server
	// called: the webhook keeps no namespace cache for its decisions.
	factory := informers.NewSharedInformerFactory(client, 0)
	nsLister := factory.Core().V1().Namespaces().Lister()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	rs, prof, _ := rules.Select("zero-trust", nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = prof.PSSLevel
	var audited []admission.Decision
	var mu sync.Mutex
	h := &admission.Handler{
		Engine: admission.NewEngine(engine.WithRules(admission.AdmissionRules(rs)), engine.WithSettings(s), engine.WithAnnotationExceptions(false)),
		Policy: admission.Policy{Default: admission.Warn}, FailOn: api.SeverityHigh,
		Record: func(d admission.Decision) {
			if d.Mode == admission.Audit && len(d.Findings) > 0 {
				mu.Lock()
				audited = append(audited, d)
				mu.Unlock()
			}
		},
	}
	certs, err := admission.NewCertAuthority([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	srv := &admission.Server{Handler: h, Certs: certs}
	srvCtx, stopServer := context.WithCancel(ctx)
	go srv.Serve(srvCtx, addr)
	waitHTTPS(t, addr)

	conf := admission.Configuration(rs, admission.InstallOptions{URL: "https://" + addr, CABundle: certs.Bundle()})
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, conf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), conf.Name, metav1.DeleteOptions{})

	for _, m := range []string{"enforce", "warn", "audit"} {
		ns := "wh-" + m
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{admission.ModeLabel: m}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Let the informer see the new namespaces' labels.
	for _, m := range []string{"enforce", "warn", "audit"} {
		for i := 0; i < 50; i++ {
			if _, err := nsLister.Get("wh-" + m); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	priv := true
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}
	}
	warned := &warnings{}
	wcfg := rest.CopyConfig(cfg)
	wcfg.WarningHandler = warned
	wclient := kubernetes.NewForConfigOrDie(wcfg)

	_, err = wclient.CoreV1().Pods("wh-enforce").Create(ctx, pod("p1"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "pss-privileged") || !strings.Contains(err.Error(), "denied the request") {
		t.Errorf("enforce: err = %v", err)
	}
	if _, err := wclient.CoreV1().Pods("wh-warn").Create(ctx, pod("p2"), metav1.CreateOptions{}); err != nil {
		t.Errorf("warn must admit: %v", err)
	}
	if !strings.Contains(strings.Join(warned.msgs, "\n"), "guardrail critical pss-privileged") {
		t.Errorf("warn: warnings = %v", warned.msgs)
	}
	if _, err := wclient.CoreV1().Pods("wh-audit").Create(ctx, pod("p3"), metav1.CreateOptions{}); err != nil {
		t.Errorf("audit must admit: %v", err)
	}
	mu.Lock()
	if len(audited) != 1 || audited[0].Namespace != "wh-audit" {
		t.Errorf("audit records = %+v", audited)
	}
	mu.Unlock()
	// A clean pod passes in enforce mode.
	clean := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "clean"}, Spec: corev1.PodSpec{
		SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &priv, RunAsUser: ptr(int64(10001)), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		AutomountServiceAccountToken: ptr(false),
		Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/c:1.0@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}}
	if _, err := client.CoreV1().Pods("wh-enforce").Create(ctx, clean, metav1.CreateOptions{}); err != nil {
		t.Errorf("clean pod denied: %v", err)
	}

	// With the webhook down: fail-closed for enforce, fail-open elsewhere.
	stopServer()
	time.Sleep(200 * time.Millisecond)
	clean.Name = "clean-2"
	if _, err := client.CoreV1().Pods("wh-enforce").Create(ctx, clean, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("fail-closed: err = %v", err)
	}
	if _, err := client.CoreV1().Pods("wh-warn").Create(ctx, pod("p4"), metav1.CreateOptions{}); err != nil {
		t.Errorf("fail-open must admit while the webhook is down: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func waitHTTPS(t *testing.T, addr string) {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: insecure()}, Timeout: time.Second}
	for i := 0; i < 50; i++ {
		if r, err := client.Get("https://" + addr + "/healthz"); err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if string(b) == "ok" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Errorf("webhook did not start on %s", addr))
}
