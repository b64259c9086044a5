package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

func TestScanClusterEndToEnd(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "e2e"
	create := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	create(err)
	priv := true
	labels := map[string]string{"app": "api"}
	d, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}}}, metav1.CreateOptions{})
	create(err)
	// A replica owned by the Deployment (no controller-manager runs here, so
	// create it as the Deployment controller would): judged through its owner.
	_, err = client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	create(err)
	_, err = client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-1", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "api", UID: d.UID, Controller: &priv}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}, metav1.CreateOptions{})
	create(err)
	_, err = client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dormant"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "not-yet"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "bob"}}}, metav1.CreateOptions{})
	create(err)

	code, out, stderr := run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "-n", ns, "-o", "json", "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (a critical finding); stderr %s", code, ExitFindings, stderr)
	}
	var doc struct {
		Summary  struct{ Partial bool }
		Findings []struct {
			RuleID string
			Object struct{ Kind, Namespace, Name, UID string }
		}
		Skipped []string
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		if f.Object.Namespace != "" && f.Object.Namespace != ns {
			t.Errorf("-n %s reported %s/%s", ns, f.Object.Namespace, f.Object.Name)
		}
		got[f.RuleID+" "+f.Object.Kind+"/"+f.Object.Name] = f.Object.UID
	}
	if got["pss-privileged Deployment/api"] != string(d.UID) {
		t.Errorf("privileged Deployment not reported with its UID: %v", got)
	}
	for k := range got {
		if strings.Contains(k, "Pod/api-1") {
			t.Errorf("owned pod reported on its own: %s", k)
		}
	}
	if _, ok := got["rbac-binding-missing-role RoleBinding/dormant"]; !ok {
		t.Errorf("dormant binding not reported: %v", got)
	}
	if _, ok := got["secret-committed Secret/x"]; ok || doc.Summary.Partial {
		t.Errorf("unexpected: %v partial=%v", got, doc.Summary.Partial)
	}
	if !strings.Contains(strings.Join(doc.Skipped, "\n"), "--include-secrets") {
		t.Errorf("skipped kinds not reported: %v", doc.Skipped)
	}

	code, _, stderr = run(t, "", "scan", "--live", "--kubeconfig", tc.Kubeconfig, "deploy/")
	if code != ExitError || !strings.Contains(stderr, "do not also give paths") {
		t.Errorf("--cluster with paths: exit %d %s", code, stderr)
	}
	code, _, stderr = run(t, "", "scan", "--live", "--kubeconfig", "/nonexistent/kubeconfig")
	if code != ExitError || !strings.Contains(stderr, "kubeconfig") {
		t.Errorf("missing kubeconfig: exit %d %s", code, stderr)
	}
}

func TestRBACCommandsOnTheCluster(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cli-viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "carol"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// view is an aggregated bootstrap role: the answer depends on computing it.
	code, out, stderr := run(t, "", "rbac", "who-can", "list", "configmaps", "-n", "default", "--live", "--kubeconfig", tc.Kubeconfig)
	if code != 0 || !strings.Contains(out, "User carol") || !strings.Contains(out, "ClusterRoleBinding cli-viewer → ClusterRole view") {
		t.Errorf("who-can --cluster: exit %d %s\n%s", code, stderr, out)
	}
	code, out, _ = run(t, "", "rbac", "who-can", "get", "secrets", "-n", "default", "--live", "--kubeconfig", tc.Kubeconfig)
	if code != 0 || strings.Contains(out, "User carol") {
		t.Errorf("view must not read secrets:\n%s", out)
	}
	code, out, _ = run(t, "", "rbac", "graph", "list", "configmaps", "-n", "default", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "dot")
	if code != 0 || !strings.Contains(out, `"User carol" -> "ClusterRoleBinding cli-viewer";`) {
		t.Errorf("graph for a query:\n%s", out)
	}
}

func TestWebhookCommandPublishesItsBundleAndEnforces(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		var out, errb strings.Builder
		done <- ExecuteContext(ctx, []string{"webhook", "--listen", addr, "--url", "https://" + addr + "/validate", "--kubeconfig", tc.Kubeconfig,
			"--default-mode", "enforce", "--service-namespace", "guardrail-system"}, IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("webhook exited %d", code)
		}
		client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), "guardrail", metav1.DeleteOptions{})
	}()
	bg := context.Background()
	var bundle []byte
	for i := 0; i < 100 && len(bundle) == 0; i++ {
		if c, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(bg, "guardrail", metav1.GetOptions{}); err == nil && len(c.Webhooks) > 0 {
			bundle = c.Webhooks[0].ClientConfig.CABundle
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(string(bundle), "BEGIN CERTIFICATE") {
		t.Fatalf("the webhook did not publish its CA bundle")
	}
	// Wait until it is ready (certificates loaded, caches synced), verifying
	// its certificate with the bundle it published.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle)
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		if r, err := hc.Get("https://" + addr + "/readyz"); err == nil {
			ready = r.StatusCode == 200
			r.Body.Close()
		}
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("the webhook never became ready")
	}
	ns := fmt.Sprintf("wh-cli-%d", time.Now().UnixNano()%100000)
	_, err = client.CoreV1().Namespaces().Create(bg, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().ServiceAccounts(ns).Create(bg, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	priv := true
	var lastErr error
	for i := 0; i < 1; i++ {
		_, lastErr = client.CoreV1().Pods(ns).Create(bg, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}, metav1.CreateOptions{})
		if lastErr != nil && strings.Contains(lastErr.Error(), "guardrail denied the request") {
			return
		}
		if lastErr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("privileged pod not denied by the running webhook: %v", lastErr)
}

// TestNetpolIntentsFromCluster infers intents from a real API server: a
// Deployment whose ConfigMap names another namespace's Service.
func TestNetpolIntentsFromCluster(t *testing.T) {
	tc, client := sharedClient(t)
	ctx := context.Background()
	must := mustCreate(t)
	for _, ns := range []string{"intents-web", "intents-api"} {
		must(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	deploy := func(ns, name string, c corev1.Container) *appsv1.Deployment {
		l := map[string]string{"app": name}
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}
	}
	must(client.AppsV1().Deployments("intents-api").Create(ctx, deploy("intents-api", "api", corev1.Container{Name: "api", Image: "api:1",
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}), metav1.CreateOptions{}))
	must(client.CoreV1().Services("intents-api").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "api"}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}, metav1.CreateOptions{}))
	must(client.CoreV1().ConfigMaps("intents-web").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Data: map[string]string{"API": "http://api.intents-api.svc:80/v1"}}, metav1.CreateOptions{}))
	must(client.AppsV1().Deployments("intents-web").Create(ctx, deploy("intents-web", "web", corev1.Container{Name: "web", Image: "web:1",
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web"}}}}}), metav1.CreateOptions{}))

	code, out, stderr := run(t, "", "netpol", "intents", "--from-cluster", "--kubeconfig", tc.Kubeconfig)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "  # container web envFrom ConfigMap web key API names api.intents-api.svc:80\n" +
		"  - from: intents-web/Deployment/web\n    to: intents-api/Service/api\n    ports: [\"80\"]\n"
	if !strings.Contains(out, want) {
		t.Errorf("want\n%s\nin:\n%s", want, out)
	}
}

// TestNetpolMatrixFromCluster reads pods and policies from a real API
// server: of two clients only the one the policy names reaches the API.
func TestNetpolMatrixFromCluster(t *testing.T) {
	tc, client := sharedClient(t)
	ns := "netpol-live"
	seedAPIWebBatch(t, client, ns)

	code, out, stderr := run(t, "", "netpol", "matrix", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	es := matrixEdges(t, out)
	var toAPI []string
	for _, e := range es {
		if e.To == ns+"/Deployment/api" && e.From != e.To && strings.HasPrefix(e.From, ns+"/") {
			toAPI = append(toAPI, e.From)
		}
	}
	if strings.Join(toAPI, ",") != ns+"/Deployment/web" {
		t.Errorf("clients of the API in the live cluster: %v, want only web", toAPI)
	}
	code, out, _ = run(t, "", "netpol", "explain", "--live", "--kubeconfig", tc.Kubeconfig, ns+"/Deployment/batch", ns+"/Deployment/api", "8080")
	if code != 0 || !strings.Contains(out, ": deny") || !strings.Contains(out, "isolated by "+ns+"/api") {
		t.Errorf("explain exit %d:\n%s", code, out)
	}
}

// sharedClient is the shared test control plane and a client for it.
func sharedClient(t *testing.T) (*testcluster.Cluster, *kubernetes.Clientset) {
	t.Helper()
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	return tc, client
}

// mustCreate returns a check that fails the test when a create fails.
func mustCreate(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestGeneratedPoliciesAreValidOnAnAPIServer creates every NetworkPolicy
// that `netpol generate` prints on a real API server, whose validation is
// the authority on what a well-formed policy is.
func TestGeneratedPoliciesAreValidOnAnAPIServer(t *testing.T) {
	_, client := sharedClient(t)
	ctx := context.Background()
	code, out, stderr := run(t, "", "netpol", "generate", "-i", "../../pkg/intents/testdata/intents.yaml", "../../pkg/intents/testdata/app.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	created := 0
	namespaces := map[string]bool{}
	for _, doc := range strings.Split(out, "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var np networkingv1.NetworkPolicy
		if err := sigsyaml.UnmarshalStrict([]byte(doc), &np); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		// Distinct namespaces so this test does not meet the others' objects.
		np.Namespace = "gen-" + np.Namespace
		if !namespaces[np.Namespace] {
			namespaces[np.Namespace] = true
			if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: np.Namespace}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := client.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, &np, metav1.CreateOptions{}); err != nil {
			t.Errorf("the API server rejects %s/%s: %v", np.Namespace, np.Name, err)
			continue
		}
		created++
	}
	if created != 12 {
		t.Errorf("created %d policies, want 12", created)
	}
}

// TestNetpolDiffAgainstCluster: a change to one live policy, given as a
// manifest, reports exactly the connection it opens.
func TestNetpolDiffAgainstCluster(t *testing.T) {
	tc, client := sharedClient(t)
	ns := "netpol-diff"
	seedAPIWebBatch(t, client, ns)
	change := filepath.Join(t.TempDir(), "api-policy.yaml")
	if err := os.WriteFile(change, []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: netpol-diff}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - podSelector: {matchLabels: {app: batch}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "netpol", "diff", "--live", "--kubeconfig", tc.Kubeconfig, change, "--fail-on-added")
	want := "+ netpol-diff/Deployment/batch -> netpol-diff/Deployment/api 8080/TCP allow (was deny)\n" +
		"    because egress: no policy isolates it; ingress: allowed by netpol-diff/api ingress[0] (allow)\n" +
		"1 connections added, 0 removed\n"
	if code != 1 || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, out, want, stderr)
	}
}

// seedAPIWebBatch creates namespace ns with Deployments api, web and batch
// serving 8080, and a policy admitting only web to api.
func seedAPIWebBatch(t *testing.T, client *kubernetes.Clientset, ns string) {
	t.Helper()
	ctx, must := context.Background(), mustCreate(t)
	must(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	for _, name := range []string{"api", "web", "batch"} {
		l := map[string]string{"app": name}
		must(client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: name + ":1",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}}}}, metav1.CreateOptions{}))
	}
	must(client.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}}},
		metav1.CreateOptions{}))
}

// TestNetpolPodAddressesFromCluster: live pods' addresses reach the model
// through their ReplicaSet and Deployment, so under the calico profile an
// ipBlock peer is judged by address; without a profile it stays open.
func TestNetpolPodAddressesFromCluster(t *testing.T) {
	tc, client := sharedClient(t)
	ctx, must := context.Background(), mustCreate(t)
	ns := "netpol-ips"
	must(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	// No controller manager: the service account the admission plugin wants is made by hand.
	must(client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
	yes := true
	for name, ip := range map[string]string{"db": "10.9.0.5", "inside": "10.9.1.7", "outside": "192.168.1.9"} {
		l := map[string]string{"app": name}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: name + ":1", Ports: []corev1.ContainerPort{{ContainerPort: 5432}}}}}
		d, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: spec}}}, metav1.CreateOptions{})
		must(d, err)
		rs, err := client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-1",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: name, UID: d.UID, Controller: &yes}}},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: spec}}}, metav1.CreateOptions{})
		must(rs, err)
		pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-1-a", Labels: l,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}}, Spec: spec}, metav1.CreateOptions{})
		must(pod, err)
		pod.Status.PodIP, pod.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
		must(client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}))
	}
	must(client.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.9.1.0/24"}}}}}}},
		metav1.CreateOptions{}))
	for _, tt := range []struct {
		cni, src, want string
	}{
		{"calico", "inside", ": allow"},
		{"calico", "outside", ": deny"},
		{"cilium", "inside", ": deny"},
		{"", "inside", ": depends"},
	} {
		args := []string{"netpol", "explain", "--live", "--kubeconfig", tc.Kubeconfig, "-n", ns, ns + "/Deployment/" + tt.src, ns + "/Deployment/db", "5432"}
		if tt.cni != "" {
			args = append(args, "--cni", tt.cni)
		}
		code, out, stderr := run(t, "", args...)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("--cni %q %s -> db: exit %d, want %q:\n%s%s", tt.cni, tt.src, code, tt.want, out, stderr)
		}
	}
	// The pods themselves are folded into their Deployment: one row each.
	code, out, _ := run(t, "", "netpol", "matrix", "--live", "--kubeconfig", tc.Kubeconfig, "-n", ns, "--cni", "calico", "-o", "json")
	if code != 0 || strings.Contains(out, "Pod/") || strings.Contains(out, "ReplicaSet/") || !strings.Contains(out, ns+"/Deployment/inside") {
		t.Errorf("matrix exit %d:\n%s", code, out)
	}
}
