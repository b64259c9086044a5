package admission_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
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
	"k8s.io/client-go/kubernetes"
)

// TestReplicasShareOneCA: two replicas start at once against the real API
// server. They end up with one CA (one Secret wins), the published bundle
// verifies both, and the API server reaches either. After a rotation the
// bundle holds the new and the old CA, and both replicas serve from the new
// one. Before, each replica made its own CA and overwrote the bundle, so
// calls to the other one failed with x509 errors.
func TestReplicasShareOneCA(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, _ := tc.RESTConfig()
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	const ns = "door-ca"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var published []byte
	publish := func(_ context.Context, b []byte) error { mu.Lock(); published = b; mu.Unlock(); return nil }
	replicas := make([]*admission.SharedCA, 2)
	cas := make([]*admission.CertAuthority, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range replicas {
		replicas[i] = &admission.SharedCA{Client: client, Namespace: ns, Name: admission.DefaultCASecret, Identity: string(rune('a' + i)),
			Hosts: []string{"127.0.0.1"}, Publish: publish, Propagation: 10 * time.Millisecond, Validity: 24 * time.Hour}
		wg.Add(1)
		go func(i int) { defer wg.Done(); cas[i], errs[i] = replicas[i].Load(ctx) }(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(cas[0].Bundle()) != string(cas[1].Bundle()) {
		t.Fatal("the replicas hold different CAs")
	}
	verify := func(bundle []byte, ca *admission.CertAuthority) error {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(bundle)
		c, _ := ca.GetCertificate(&tls.ClientHelloInfo{})
		_, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool})
		return err
	}
	for i, ca := range cas {
		if err := verify(cas[0].Bundle(), ca); err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}

	// The API server reaches replica 1 with the bundle replica 0 published.
	h := handlerForTest(t)
	addrs := make([]string, 2)
	for i := range cas {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addrs[i] = ln.Addr().String()
		ln.Close()
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		go (&admission.Server{Handler: h.Handler, Certs: cas[i]}).Serve(sctx, addrs[i])
		waitHTTPS(t, addrs[i])
	}
	conf := admission.Configuration(h.rules, admission.InstallOptions{URL: "https://" + addrs[1], CABundle: cas[0].Bundle(), Policy: admission.Policy{Default: admission.Enforce}})
	vwc := client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	vwc.Delete(ctx, conf.Name, metav1.DeleteOptions{})
	if _, err := vwc.Create(ctx, conf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer vwc.Delete(context.Background(), conf.Name, metav1.DeleteOptions{})
	time.Sleep(time.Second)
	// A call through the API server; it retries for a few seconds while the
	// API server's webhook informer catches up with a new configuration (a
	// bundle that never verifies the replica still fails).
	call := func(name string) error {
		var err error
		for i := 0; i < 50; i++ {
			_, err = client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
				return err
			}
			time.Sleep(200 * time.Millisecond)
		}
		return err
	}
	if err := call("one"); err != nil {
		t.Fatalf("through replica 1 with replica 0's bundle: %v", err)
	}

	// Rotation by the leader: new bundle first, then the Secret.
	if err := replicas[0].Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := replicas[1].Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	bundle := published
	mu.Unlock()
	if n := strings.Count(string(bundle), "BEGIN CERTIFICATE"); n != 2 {
		t.Fatalf("the bundle after a rotation holds %d CAs, want the new and the old", n)
	}
	for i, ca := range cas {
		if err := verify(bundle, ca); err != nil {
			t.Errorf("replica %d after rotation: %v", i, err)
		}
		if string(ca.Bundle()) != string(bundle) {
			t.Errorf("replica %d serves from another bundle", i)
		}
	}
	cur, _ := vwc.Get(ctx, conf.Name, metav1.GetOptions{})
	for i := range cur.Webhooks {
		cur.Webhooks[i].ClientConfig.CABundle = bundle
	}
	if _, err := vwc.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := call("two"); err != nil {
		t.Fatalf("through replica 1 after the rotation: %v", err)
	}
}

type testHandler struct {
	*admission.Handler
	rules []*rules.Rule
}

func handlerForTest(t *testing.T) testHandler {
	rs, prof, _ := rules.Select("zero-trust", nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = prof.PSSLevel
	return testHandler{&admission.Handler{Engine: admission.NewEngine(engine.WithRules(admission.AdmissionRules(rs)), engine.WithSettings(s)),
		Policy: admission.Policy{Default: admission.Enforce}, FailOn: api.SeverityHigh}, rs}
}

// TestLeaseDrivenRotation: two replicas run; the one holding the Lease
// rotates the CA when a third of its validity is left (3 s here), and the
// other follows the Secret, so both keep serving certificates the
// published bundle verifies.
func TestLeaseDrivenRotation(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, _ := tc.RESTConfig()
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const ns = "door-lease"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var published []byte
	publish := func(_ context.Context, b []byte) error { mu.Lock(); published = b; mu.Unlock(); return nil }
	var cas []*admission.CertAuthority
	for i := 0; i < 2; i++ {
		r := &admission.SharedCA{Client: client, Namespace: ns, Name: "rotating-ca", Identity: fmt.Sprintf("replica-%d", i), Hosts: []string{"127.0.0.1"},
			Publish: publish, Validity: 3 * time.Second, PollInterval: 100 * time.Millisecond, Propagation: 50 * time.Millisecond,
			LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 200 * time.Millisecond}
		ca, err := r.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cas = append(cas, ca)
		go r.Run(ctx)
	}
	first := string(cas[0].Bundle())
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		b := published
		mu.Unlock()
		if b != nil && string(b) != first && string(cas[0].Bundle()) == string(b) && string(cas[1].Bundle()) == string(b) {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(b)
			for i, ca := range cas {
				c, _ := ca.GetCertificate(&tls.ClientHelloInfo{})
				if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
					t.Fatalf("replica %d after the leader's rotation: %v", i, err)
				}
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no replica rotated the CA under the Lease, or the other did not follow")
}
