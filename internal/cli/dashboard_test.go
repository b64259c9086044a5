package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tokenFor(t *testing.T, c kubernetes.Interface, ns, sa string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{Audiences: []string{"https://kubernetes.default.svc"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// TestDashboardAuthorization serves `guardrail dashboard --live` on a real
// API server: no token 401, a token whose user lacks the permission 403,
// a namespaced grant sees only its namespace, a cluster-wide one all; the
// security headers are set; the page renders in Chromium under its CSP;
// --insecure-no-auth is refused off loopback.
func TestDashboardAuthorization(t *testing.T) {
	tc, client := sharedClient(t)
	ctx, must := context.Background(), mustCreate(t)
	for _, ns := range []string{"dash-a", "dash-b"} {
		must(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
		must(client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
		yes := true
		must(client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "priv"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c:1", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, metav1.CreateOptions{}))
	}
	must(client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "guardrail-report-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"guardrail.dev"}, Resources: []string{"reports"}, Verbs: []string{"get"}}}}, metav1.CreateOptions{}))
	must(client.RbacV1().RoleBindings("dash-a").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "guardrail-report-reader"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: "dash-a"}}}, metav1.CreateOptions{}))
	must(client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dash-lead"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "guardrail-report-reader"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "lead", Namespace: "dash-b"}}}, metav1.CreateOptions{}))
	viewer, nobody, lead := tokenFor(t, client, "dash-a", "viewer"), tokenFor(t, client, "dash-a", "nobody"), tokenFor(t, client, "dash-b", "lead")

	if code, _, errOut := run(t, "", "dashboard", "--live", "--kubeconfig", tc.Kubeconfig, "--insecure-no-auth", "--address", "0.0.0.0:0"); code != ExitError || !strings.Contains(errOut, "only allowed on a loopback address") {
		t.Errorf("--insecure-no-auth on 0.0.0.0: exit %d: %s", code, errOut)
	}
	addr := freeAddr(t)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- ExecuteContext(sctx, []string{"dashboard", "--live", "--kubeconfig", tc.Kubeconfig, "--address", addr},
			IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }})
	}()
	defer func() { cancel(); <-done }()
	get := func(path, token string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error(), nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _, _ := get("/api/report", lead); code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _, h := get("/api/report", ""); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := get("/api/report", "not-a-token"); code != 401 {
		t.Errorf("a bad token: %d", code)
	}
	if code, body, _ := get("/api/report", nobody); code != 403 {
		t.Errorf("a user without the permission: %d %s", code, body)
	}
	namespaces := func(body string) map[string]bool {
		var r struct {
			Findings []struct{ Object struct{ Namespace string } }
		}
		json.Unmarshal([]byte(body), &r)
		out := map[string]bool{}
		for _, f := range r.Findings {
			out[f.Object.Namespace] = true
		}
		return out
	}
	code, body, h := get("/api/report", viewer)
	if ns := namespaces(body); code != 200 || !ns["dash-a"] || ns["dash-b"] || ns[""] {
		t.Errorf("namespaced viewer: %d, sees %v (want dash-a only)", code, ns)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if h.Get(k) != want {
			t.Errorf("header %s = %q", k, h.Get(k))
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if code, body, _ := get("/api/report", lead); code != 200 || !namespaces(body)["dash-a"] || !namespaces(body)["dash-b"] {
		t.Errorf("cluster-wide lead: %d sees %v", code, namespaces(body))
	}
	if code, page, _ := get("/", viewer); code != 200 || strings.Contains(page, "<script>") || strings.Contains(page, "<style") {
		t.Errorf("page: %d, inline script present: %v", code, strings.Contains(page, "<script>"))
	}

	// In a browser: ?token= sets the cookie, the page renders with its
	// external scripts under the CSP, without a console error.
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate("http://"+addr+"/?token="+viewer), chromedp.WaitVisible(chromedp.CSS("#ns-table tbody tr"))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#ns-table tbody tr')).map(tr => tr.dataset.namespace)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows, ",") != "dash-a" {
		t.Errorf("the viewer's page lists namespaces %v, want dash-a", rows)
	}
	// The stylesheet is served and applies, and a graph draws without
	// cytoscape injecting a style element the CSP would refuse (this
	// viewer's report has no network data, so one is drawn here).
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS("#tab-network"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`cytoscape({container: document.getElementById("cy"), elements: [{data: {id: "a"}}]}) ? 1 : 0`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	rules, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.styleSheets.length === 1 ? document.styleSheets[0].cssRules.length : -1`))
	if err != nil || rules < 10 {
		t.Errorf("served stylesheet: %d rules (%v)", rules, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Errorf("console errors: %v", b.errors)
	}
	for _, r := range b.requests {
		if !strings.HasPrefix(r, "http://"+addr+"/") {
			t.Errorf("request off the dashboard: %s", r)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dashboard"}, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

// TestDashboardTLS: off loopback the dashboard needs TLS (a viewer's token
// must not cross the network in clear); with the certificate files it
// serves HTTPS, and a token is checked there as over HTTP.
func TestDashboardTLS(t *testing.T) {
	tc, client := sharedClient(t)
	for _, args := range [][]string{{"dashboard", "--address", "0.0.0.0:0"}, {"watch", "--dashboard", "0.0.0.0:0"}} {
		code, _, errOut := run(t, "", append(args, "--live", "--kubeconfig", tc.Kubeconfig)...)
		if args[0] == "watch" {
			code, _, errOut = run(t, "", append(args, "--kubeconfig", tc.Kubeconfig)...)
		}
		if code != ExitError || !strings.Contains(errOut, "plain HTTP") {
			t.Errorf("%v without TLS: exit %d: %s", args, code, errOut)
		}
	}
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dash-tls"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	nobody := tokenFor(t, client, "dash-tls", "nobody")
	addr := freeAddr(t)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- ExecuteContext(sctx, []string{"dashboard", "--live", "--kubeconfig", tc.Kubeconfig, "--address", addr, "--tls-cert-file", certFile, "--tls-key-file", keyFile},
			IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }})
	}()
	defer func() { cancel(); <-done }()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	status := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/api/report", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(30 * time.Second)
	for status("") == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := status(""); got != 401 {
		t.Errorf("HTTPS without a token: %d, want 401", got)
	}
	if got := status(nobody); got != 403 {
		t.Errorf("HTTPS with a token lacking the permission: %d, want 403", got)
	}
	if resp, err := http.Get("http://" + addr + "/api/report"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP answered on the TLS port: %s", b)
		}
	}
}
