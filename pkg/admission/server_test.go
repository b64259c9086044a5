package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func TestServerHygiene(t *testing.T) {
	certs, err := NewCertAuthority([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: handlerFor(t, "zero-trust", Enforce, api.SeverityHigh), Certs: certs, Limits: Limits{MaxBodyBytes: 4096}}
	ts := httptest.NewServer(s.HTTPHandler())
	defer ts.Close()
	post := func(ct, body string) (int, string) {
		r, err := http.Post(ts.URL+"/validate/default?timeout=10s", ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := post("application/json", "{not json"); code != 400 || !strings.Contains(body, "not an AdmissionReview") {
		t.Errorf("malformed: %d %s", code, body)
	}
	if code, _ := post("text/plain", "{}"); code != 415 {
		t.Errorf("content type: %d", code)
	}
	if code, _ := post("application/json", `{"request":{"object":"`+strings.Repeat("x", 5000)+`"}}`); code != 413 {
		t.Errorf("body limit: %d", code)
	}
	if r, _ := http.Get(ts.URL + "/validate/default"); r.StatusCode != 405 {
		t.Errorf("GET: %d", r.StatusCode)
	}
	code, body := post("application/json", string(reviewOf(t, privilegedPod(), "shop")))
	if code != 200 || !strings.Contains(body, `"allowed":false`) {
		t.Errorf("review: %d %s", code, body)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r, _ := http.Get(ts.URL + p); r.StatusCode != 200 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
	r, _ := http.Get(ts.URL + "/metrics")
	m, _ := io.ReadAll(r.Body)
	for _, want := range []string{`guardrail_webhook_requests_total{code="400"} 1`, `guardrail_webhook_decisions_total{allowed="false",mode="enforce",rule="pss-privileged"} 1`, "guardrail_webhook_review_seconds_bucket"} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	s.Ready = func() bool { return false }
	if r, _ := http.Get(ts.URL + "/readyz"); r.StatusCode != 503 {
		t.Errorf("readyz with unsynced caches: %d", r.StatusCode)
	}
}

func TestRotationKeepsBothCAsInTheBundle(t *testing.T) {
	ca, err := NewCertAuthority([]string{"127.0.0.1", "guardrail.guardrail.svc"}, 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ca.GetCertificate(nil)
	if rotated, _ := ca.RotateIfExpiring(); rotated {
		t.Fatal("rotated a fresh certificate")
	}
	ca.now = func() time.Time { return time.Now().Add(150 * time.Minute) } // under a third of validity left
	if rotated, err := ca.RotateIfExpiring(); !rotated || err != nil {
		t.Fatalf("no rotation near expiry: %v", err)
	}
	second, _ := ca.GetCertificate(nil)
	if first == second {
		t.Fatal("serving certificate not replaced")
	}
	var cas []*x509.Certificate
	for rest := ca.Bundle(); len(rest) > 0; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, _ := x509.ParseCertificate(b.Bytes)
		cas = append(cas, c)
	}
	if len(cas) != 2 {
		t.Fatalf("bundle holds %d CAs, want old and new", len(cas))
	}
	// The new serving certificate verifies against the bundle; the old one still does too.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.Bundle())
	for i, c := range []*x509.Certificate{first.Leaf, second.Leaf} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: "guardrail.guardrail.svc", CurrentTime: ca.now().Add(time.Minute)}); err != nil {
			t.Errorf("certificate %d does not verify: %v", i, err)
		}
	}
}

// TestSlowClientsTakeNoSlots: clients that send their bodies slowly hold
// only their own connections; a review from the API server still gets a
// slot. Before, the slot was taken before the body was read, and 64 slow
// clients took them all.
func TestSlowClientsTakeNoSlots(t *testing.T) {
	certs, err := NewCertAuthority([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: handlerFor(t, "zero-trust", Enforce, api.SeverityHigh), Certs: certs, Limits: Limits{MaxInFlight: 2}}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, addr)
	tcfg := &tls.Config{InsecureSkipVerify: true}
	for i := 0; i < 50; i++ {
		if c, err := tls.Dial("tcp", addr, tcfg); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 20; i++ {
		c, err := tls.Dial("tcp", addr, tcfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /validate/enforce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"apiVersion\":")
	}
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: tcfg}}
	r, err := client.Post("https://"+addr+"/validate/enforce?timeout=10s", "application/json", bytes.NewReader(reviewOf(t, privilegedPod(), "shop")))
	if err != nil {
		t.Fatalf("a review behind 20 slow clients: %v", err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(body), `"allowed":false`) {
		t.Errorf("a review behind 20 slow clients: %d %s", r.StatusCode, body)
	}
}
