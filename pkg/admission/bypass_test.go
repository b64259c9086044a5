package admission_test

import (
	"context"
	"encoding/json"
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
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// door is a webhook served on loopback and registered with the real API
// server, as `guardrail webhook --url` runs it.
type door struct {
	t      *testing.T
	cfg    *rest.Config
	client *kubernetes.Clientset
	h      *admission.Handler
	rs     []*rules.Rule
	addr   string
	certs  *admission.CertAuthority
	stop   context.CancelFunc
	mu     sync.Mutex
	seen   []admission.Decision
}

func openDoor(t *testing.T, tc *testcluster.Cluster, policy admission.Policy) *door {
	t.Helper()
	cfg, err := tc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	d := &door{t: t, cfg: cfg, client: kubernetes.NewForConfigOrDie(cfg)}
	rs, prof, _ := rules.Select("zero-trust", nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = prof.PSSLevel
	d.rs = rs
	d.h = &admission.Handler{Engine: admission.NewEngine(engine.WithRules(admission.AdmissionRules(rs)), engine.WithSettings(s), engine.WithAnnotationExceptions(false)),
		Policy: policy, FailOn: api.SeverityHigh, Exempt: admission.DefaultExempt(""),
		Record: func(dec admission.Decision) { d.mu.Lock(); d.seen = append(d.seen, dec); d.mu.Unlock() }}
	if d.certs, err = admission.NewCertAuthority([]string{"127.0.0.1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	d.addr = ln.Addr().String()
	ln.Close()
	d.start()
	conf := admission.Configuration(rs, admission.InstallOptions{URL: "https://" + d.addr, CABundle: d.certs.Bundle(), Policy: policy, ExcludeNamespaces: d.h.Exempt})
	vwc := d.client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	vwc.Delete(context.Background(), conf.Name, metav1.DeleteOptions{})
	if _, err := vwc.Create(context.Background(), conf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vwc.Delete(context.Background(), conf.Name, metav1.DeleteOptions{})
		d.stop()
	})
	// The API server's webhook informer needs a moment to see the hooks.
	time.Sleep(time.Second)
	return d
}

func (d *door) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	srv := &admission.Server{Handler: d.h, Certs: d.certs}
	go srv.Serve(ctx, d.addr)
	waitHTTPS(d.t, d.addr)
}

func (d *door) namespace(name string, labels map[string]string) {
	d.t.Helper()
	if _, err := d.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		d.t.Fatal(err)
	}
	if _, err := d.client.CoreV1().ServiceAccounts(name).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		d.t.Fatal(err)
	}
}

// as returns a client for user with groups, by impersonation.
func (d *door) as(user string, groups ...string) *kubernetes.Clientset {
	c := rest.CopyConfig(d.cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return kubernetes.NewForConfigOrDie(c)
}

func cleanPod(name string) *corev1.Pod {
	yes := true
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: ptr(int64(10001)), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		AutomountServiceAccountToken: ptr(false),
		Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/c:1.0@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
			Resources:       corev1.ResourceRequirements{},
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}}
}

func privileged(name string) *corev1.Pod {
	p := cleanPod(name)
	p.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
	p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	p.Spec.Volumes = []corev1.Volume{{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "sock", MountPath: "/var/run/docker.sock"}}
	return p
}

func denied(err error, want string) bool {
	return err != nil && strings.Contains(err.Error(), "guardrail denied") && strings.Contains(err.Error(), want)
}

// TestBypassesAreClosed: each way past the door seen on a real API server,
// tried again through it. Before the fixes each of these was admitted.
func TestBypassesAreClosed(t *testing.T) {
	tc := testcluster.Shared(t)
	d := openDoor(t, tc, admission.Policy{Default: admission.Warn, Cluster: admission.Enforce})
	ctx := context.Background()
	d.namespace("door-enforce", map[string]string{admission.ModeLabel: "enforce"})
	pods := d.client.CoreV1().Pods("door-enforce")

	t.Run("no cache lag", func(t *testing.T) {
		// The namespace was created a moment ago: no informer has seen it.
		if _, err := pods.Create(ctx, privileged("p0"), metav1.CreateOptions{}); !denied(err, "pss-privileged") {
			t.Fatalf("privileged pod in a brand-new enforce namespace: %v", err)
		}
	})

	t.Run("ephemeral containers", func(t *testing.T) {
		p, err := pods.Create(ctx, cleanPod("debug-me"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// kubectl debug --profile=sysadmin adds a privileged container.
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debugger", Image: "busybox:1.36", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}
		if _, err := pods.UpdateEphemeralContainers(ctx, p.Name, p, metav1.UpdateOptions{}); !denied(err, "pss-privileged") {
			t.Fatalf("privileged ephemeral container: %v", err)
		}
		// A debug container within the rules is allowed.
		p.Spec.EphemeralContainers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), RunAsNonRoot: ptr(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
		p.Spec.EphemeralContainers[0].Image = cleanPod("x").Spec.Containers[0].Image
		if _, err := pods.UpdateEphemeralContainers(ctx, p.Name, p, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("restricted ephemeral container: %v", err)
		}
	})

	t.Run("deep managedFields", func(t *testing.T) {
		deep := strings.Repeat(`{"f:x":`, 97) + "{}" + strings.Repeat("}", 97)
		p := privileged("deep")
		p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(deep)}}}
		_, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if !denied(err, "pss-privileged") || strings.Contains(err.Error(), "could not read") {
			t.Fatalf("privileged pod with deep managedFields: %v", err)
		}
	})

	t.Run("unreadable is denied in enforce", func(t *testing.T) {
		// The API server stores what its schema allows; Guardrail's limits
		// are lower for the fields rules read. Any object it cannot read is
		// denied in enforce, whatever the reason.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "deep"}, Data: map[string]string{"k": "v"}}
		cm.Annotations = map[string]string{"x": "y"}
		if _, err := d.client.CoreV1().ConfigMaps("door-enforce").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("a readable ConfigMap: %v", err)
		}
	})

	t.Run("escaped body under the cap", func(t *testing.T) {
		// The API server escapes <, > and & as \u003c: a 600 KB ConfigMap
		// arrives as a 3.6 MB review, over the 3 MiB cap there was.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "escaped"}, Data: map[string]string{"page": strings.Repeat("<&>", 200_000)}}
		if _, err := d.client.CoreV1().ConfigMaps("door-enforce").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("a 600 KB ConfigMap of <&>: %v", err)
		}
	})

	t.Run("mode label", func(t *testing.T) {
		grantNamespacePatch(t, d, "alice")
		alice := d.as("alice", "devs")
		patch := func(c *kubernetes.Clientset, v string) error {
			b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{admission.ModeLabel: v}}})
			if v == "" {
				b = []byte(`{"metadata":{"labels":{"` + admission.ModeLabel + `":null}}}`)
			}
			_, err := c.CoreV1().Namespaces().Patch(ctx, "door-enforce", types.MergePatchType, b, metav1.PatchOptions{})
			return err
		}
		if err := patch(alice, "warn"); !denied(err, "only [system:masters] may lower it") {
			t.Errorf("downgrade by a namespace patcher: %v", err)
		}
		if err := patch(alice, ""); !denied(err, "may lower it") {
			t.Errorf("removing the label lowers to the default: %v", err)
		}
		if err := patch(alice, "Enforce"); !denied(err, "is not a mode; use one of enforce, warn, audit") {
			t.Errorf("a bad value: %v", err)
		}
		// Other changes of the namespace do not reach the mode-label hook.
		if _, err := alice.CoreV1().Namespaces().Patch(ctx, "door-enforce", types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"a"}}}`), metav1.PatchOptions{}); err != nil {
			t.Errorf("another label: %v", err)
		}
		// Raising is anyone's; lowering is the admins'.
		d.namespace("door-up", map[string]string{admission.ModeLabel: "warn"})
		if _, err := alice.CoreV1().Namespaces().Patch(ctx, "door-up", types.MergePatchType, []byte(`{"metadata":{"labels":{"`+admission.ModeLabel+`":"enforce"}}}`), metav1.PatchOptions{}); err != nil {
			t.Errorf("raising to enforce: %v", err)
		}
		if _, err := d.client.CoreV1().Namespaces().Patch(ctx, "door-up", types.MergePatchType, []byte(`{"metadata":{"labels":{"`+admission.ModeLabel+`":"warn"}}}`), metav1.PatchOptions{}); err != nil {
			t.Errorf("an admin (system:masters) lowers: %v", err)
		}
	})

	t.Run("cluster-scoped objects", func(t *testing.T) {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "open-door"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:unauthenticated"}}}
		if _, err := d.client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); !denied(err, "rbac-") {
			t.Errorf("cluster-admin for system:unauthenticated with the cluster mode enforce: %v", err)
		}
	})

	t.Run("metadata-only updates of legacy objects", func(t *testing.T) {
		d.namespace("door-legacy", map[string]string{admission.ModeLabel: "warn"})
		lp := d.client.CoreV1().Pods("door-legacy")
		p := privileged("legacy")
		p.Finalizers = []string{"example.com/keep"}
		if _, err := lp.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.client.CoreV1().Namespaces().Patch(ctx, "door-legacy", types.MergePatchType, []byte(`{"metadata":{"labels":{"`+admission.ModeLabel+`":"enforce"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if _, err := lp.Patch(ctx, "legacy", types.MergePatchType, []byte(`{"metadata":{"labels":{"moved":"yes"}}}`), metav1.PatchOptions{}); err != nil {
			t.Errorf("labelling a legacy pod: %v", err)
		}
		// A spec change is judged in full, as Pod Security Admission does.
		if _, err := lp.Patch(ctx, "legacy", types.StrategicMergePatchType, []byte(`{"spec":{"containers":[{"name":"c","image":"nginx:1.28"}]}}`), metav1.PatchOptions{}); !denied(err, "pss-privileged") {
			t.Errorf("changing a legacy pod's image: %v", err)
		}
		// Deleting sets deletionTimestamp; the finalizer's owner then
		// removes it (a metadata-only update) and the pod goes.
		if err := lp.Delete(ctx, "legacy", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
			t.Fatal(err)
		}
		if _, err := lp.Patch(ctx, "legacy", types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/finalizers"}]`), metav1.PatchOptions{}); err != nil {
			t.Errorf("removing a finalizer: %v", err)
		}
		// A metadata-only update that adds a finding is still judged.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "meta"}, Data: map[string]string{"k": "v"}}
		if _, err := d.client.CoreV1().ConfigMaps("door-legacy").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b := []byte(`{"metadata":{"annotations":{"token":"ghp_` + strings.Repeat("A1b2", 9) + `"}}}`)
		if _, err := d.client.CoreV1().ConfigMaps("door-legacy").Patch(ctx, "meta", types.MergePatchType, b, metav1.PatchOptions{}); !denied(err, "secret-in-annotation") {
			t.Errorf("a credential added by a metadata-only update: %v", err)
		}
	})

	t.Run("kubectl apply of a Secret", func(t *testing.T) {
		// Client-side apply writes the last-applied annotation with the data.
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","data":{"password":"aHVudGVyMg=="},"kind":"Secret","metadata":{"name":"db","namespace":"door-enforce"}}`}},
			Data: map[string][]byte{"password": []byte("hunter2")}}
		warned := &warnings{}
		wcfg := rest.CopyConfig(d.cfg)
		wcfg.WarningHandler = warned
		if _, err := kubernetes.NewForConfigOrDie(wcfg).CoreV1().Secrets("door-enforce").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatalf("kubectl apply of a Secret must not be denied: %v", err)
		}
		if w := strings.Join(warned.msgs, "\n"); !strings.Contains(w, "medium secret-in-annotation") || !strings.Contains(w, "--server-side") {
			t.Errorf("the last-applied copy is reported once, as a warning: %q", w)
		}
	})
}

// grantNamespacePatch lets user get and patch namespaces.
func grantNamespacePatch(t *testing.T, d *door, user string) {
	ctx := context.Background()
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ns-patcher"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "patch", "update"}}}}
	if _, err := d.client.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ns-patcher-" + user}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "ns-patcher"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}}}
	if _, err := d.client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The authorizer sees the binding through its informer, a moment
	// later: wait until SubjectAccessReview agrees (seen flaky in CI).
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "patch", Resource: "namespaces", Name: "door-enforce"}}}
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		got, err := d.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err == nil && got.Status.Allowed {
			return
		}
	}
	t.Fatalf("%s may still not patch namespaces after 10 s", user)
}

// TestEnforcementFromConfigFailsClosed: namespaces in enforce through the
// default mode or a config pattern are fail-closed while the webhook is
// down, as labelled ones are; namespaces labelled warn stay open.
func TestEnforcementFromConfigFailsClosed(t *testing.T) {
	tc := testcluster.Shared(t)
	d := openDoor(t, tc, admission.Policy{Default: admission.Enforce})
	ctx := context.Background()
	d.namespace("door-cfg", nil)
	d.namespace("door-cfg-warn", map[string]string{admission.ModeLabel: "warn"})
	if _, err := d.client.CoreV1().Pods("door-cfg").Create(ctx, privileged("p"), metav1.CreateOptions{}); !denied(err, "pss-privileged") {
		t.Fatalf("unlabelled namespace under default enforce: %v", err)
	}
	d.stop()
	time.Sleep(200 * time.Millisecond)
	if _, err := d.client.CoreV1().Pods("door-cfg").Create(ctx, cleanPod("c"), metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("default enforce while the webhook is down must fail closed: %v", err)
	}
	if _, err := d.client.CoreV1().Pods("door-cfg-warn").Create(ctx, privileged("w"), metav1.CreateOptions{}); err != nil {
		t.Errorf("warn stays open while the webhook is down: %v", err)
	}
}

// TestNothingLostAcrossARestart: pods are created without pause, half of
// them privileged, while the webhook is stopped and started three times.
// No privileged pod is ever admitted into the enforce namespace (the hook
// fails closed while it is down), and every clean pod created while it
// was up is admitted.
func TestNothingLostAcrossARestart(t *testing.T) {
	tc := testcluster.Shared(t)
	d := openDoor(t, tc, admission.Policy{Default: admission.Warn})
	ctx := context.Background()
	d.namespace("door-restart", map[string]string{admission.ModeLabel: "enforce"})
	pods := d.client.CoreV1().Pods("door-restart")
	var mu sync.Mutex
	up := true
	stats := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 400; i++ {
			mu.Lock()
			wasUp := up
			mu.Unlock()
			priv := i%2 == 0
			p := cleanPod(fmt.Sprintf("r%d", i))
			if priv {
				p = privileged(p.Name)
			}
			_, err := pods.Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			mu.Lock()
			stillUp := up
			mu.Unlock()
			switch {
			case priv && err == nil:
				t.Errorf("privileged pod %s admitted", p.Name)
			case priv:
				stats["privileged denied"]++
			case err == nil:
				stats["clean admitted"]++
			case wasUp && stillUp:
				t.Errorf("clean pod %s denied while the webhook was up: %v", p.Name, err)
			default:
				stats["clean refused while down"]++
			}
		}
	}()
	for k := 0; k < 3; k++ {
		time.Sleep(150 * time.Millisecond)
		mu.Lock()
		up = false
		mu.Unlock()
		d.stop()
		time.Sleep(150 * time.Millisecond)
		d.start()
		// Up means reachable again: give the API server's client a moment
		// to drop the connections the old server closed.
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		up = true
		mu.Unlock()
	}
	<-done
	t.Logf("%v", stats)
	if stats["privileged denied"] != 200 || stats["clean admitted"] == 0 {
		t.Errorf("stats %v", stats)
	}
}

// TestConfigurationsTheAPIServerAccepts: every shape of configuration the
// webhook writes is accepted by the real API server (selectors and CEL
// match conditions are validated there): no exemptions at all, default
// enforce with patterns and namespace names, cluster enforce.
func TestConfigurationsTheAPIServerAccepts(t *testing.T) {
	tc := testcluster.Shared(t)
	client, _ := tc.Client()
	rs, _, _ := rules.Select("zero-trust", nil, nil)
	ctx := context.Background()
	for i, o := range []admission.InstallOptions{
		{URL: "https://127.0.0.1:1", ExcludeNamespaces: []string{}},
		{URL: "https://127.0.0.1:1", Policy: admission.Policy{Default: admission.Enforce, Cluster: admission.Enforce,
			Namespaces: []admission.NamespaceMode{{Pattern: "dev-*", Mode: admission.Warn}}}, Namespaces: []string{"dev-a", "prod", "kube-system"}},
		{URL: "https://127.0.0.1:1", Policy: admission.Policy{Default: admission.Warn, Namespaces: []admission.NamespaceMode{{Pattern: "prod-*", Mode: admission.Enforce}}},
			Namespaces: []string{"prod-a", "dev"}},
		{ServiceNamespace: "guardrail", ServiceName: "guardrail-webhook", Policy: admission.Policy{Default: admission.Audit}},
	} {
		conf := admission.Configuration(rs, o)
		conf.Name = fmt.Sprintf("guardrail-shape-%d", i)
		// Dry-run: validated, not installed, so no request goes to it.
		if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, conf, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("shape %d: %v", i, err)
		}
	}
}
