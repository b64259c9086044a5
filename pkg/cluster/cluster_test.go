package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed creates, through the API, a namespace with a privileged Deployment
// and the ReplicaSet and Pod it owns, a naked Pod, and n ConfigMaps.
func seed(t *testing.T, c *kubernetes.Clientset, ns string, n int) (deployUID string) {
	ctx := context.Background()
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(t, err)
	_, err = c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	must(t, err)
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}
	labels := map[string]string{"app": "web"}
	d, err := c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}, metav1.CreateOptions{})
	must(t, err)
	// No controller-manager runs in the test control plane: create what the
	// Deployment controller would, with the owner references it would set.
	rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: d.UID, Controller: ptr(true)}}},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}, metav1.CreateOptions{})
	must(t, err)
	_, err = c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1-abc", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1", UID: rs.UID, Controller: ptr(true)}}},
		Spec: spec}, metav1.CreateOptions{})
	must(t, err)
	_, err = c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug"}, Spec: spec}, metav1.CreateOptions{})
	must(t, err)
	for i := 0; i < n; i++ {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)},
			Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		must(t, err)
	}
	return string(d.UID)
}

func TestClusterScanFindsLiveRisksOnceOnTheOwner(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	must(t, err)
	uid := seed(t, client, "scan-owner", 23)
	cfg, err := tc.RESTConfig()
	must(t, err)

	res, err := cluster.Load(context.Background(), cfg, cluster.Options{Namespace: "scan-owner", PageSize: 5})
	must(t, err)
	if res.Partial || len(res.Problems) > 0 {
		t.Fatalf("admin scan partial: %v", res.Problems)
	}
	kinds := map[string]int{}
	for _, o := range res.Objects {
		if o.Namespace() == "scan-owner" {
			kinds[o.GVK.Kind]++
		}
	}
	// 23 ConfigMaps over pages of 5 (plus kube-root-ca.crt if a controller made it).
	if kinds["ConfigMap"] < 23 || kinds["Deployment"] != 1 || kinds["ReplicaSet"] != 0 || kinds["Pod"] != 1 {
		t.Fatalf("objects by kind = %v (the owned ReplicaSet and Pod must be folded into the Deployment)", kinds)
	}
	if res.Folded != 2 {
		t.Errorf("folded = %d, want 2", res.Folded)
	}
	if !strings.Contains(strings.Join(res.Skipped, "\n"), "secrets: not read without --include-secrets") {
		t.Errorf("skipped = %v", res.Skipped)
	}

	s := rules.DefaultSettings()
	s.Live = true
	e := engine.New(engine.WithSettings(s))
	out := e.Scan(inventory.New(append(res.Objects, cluster.InfoObject(res.Version))))
	var onDeployment, onPod int
	for _, f := range out.Findings {
		if f.RuleID != "pss-privileged" {
			continue
		}
		switch f.Object.Kind {
		case "Deployment":
			onDeployment++
			if f.Object.UID != uid || f.Location.File != "" {
				t.Errorf("live finding must carry the UID and no file: %+v", f)
			}
		case "Pod":
			onPod++
			if f.Object.Name != "debug" {
				t.Errorf("finding on owned pod %s", f.Object.Name)
			}
		default:
			t.Errorf("privileged reported on %s", f.Object)
		}
	}
	if onDeployment != 1 || onPod != 1 {
		t.Errorf("pss-privileged on deployment %d, naked pod %d; want 1 and 1", onDeployment, onPod)
	}
}

func TestClusterScanReportsForbiddenKindsAndGoesOn(t *testing.T) {
	tc := testcluster.Shared(t)
	client, err := tc.Client()
	must(t, err)
	ctx := context.Background()
	// A reader that may list everything the scan reads except Secrets and ConfigMaps.
	var resources []string
	for _, r := range cluster.Resources {
		if r.GVR.Resource != "secrets" && r.GVR.Resource != "configmaps" {
			resources = append(resources, r.GVR.Resource)
		}
	}
	_, err = client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "partial-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: resources, Verbs: []string{"list"}}}}, metav1.CreateOptions{})
	must(t, err)
	_, err = client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "partial-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "partial-reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "partial"}}}, metav1.CreateOptions{})
	must(t, err)
	kc, err := tc.WriteKubeconfig(t.TempDir()+"/partial.kubeconfig", "partial")
	must(t, err)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	must(t, err)
	res, err := cluster.Load(ctx, cfg, cluster.Options{IncludeSecrets: true})
	must(t, err)
	if !res.Partial {
		t.Error("a scan that could not list Secrets must be partial")
	}
	var forbidden []string
	for _, p := range res.Problems {
		if p.Warning && strings.Contains(p.Message, "forbidden to list") {
			forbidden = append(forbidden, p.Object)
		}
	}
	if strings.Join(forbidden, ",") != "configmaps,secrets" && strings.Join(forbidden, ",") != "secrets,configmaps" {
		t.Errorf("forbidden = %v, want configmaps and secrets", forbidden)
	}
	if len(res.Objects) == 0 {
		t.Error("the scan must go on with the kinds it may list")
	}
}

func TestClusterScanFaultsAreClearAndFast(t *testing.T) {
	tc := testcluster.Shared(t)
	// Unreachable: a port nothing listens on.
	cfg, err := tc.RESTConfig()
	must(t, err)
	cfg.Host = "https://127.0.0.1:1"
	start := time.Now()
	_, err = cluster.Load(context.Background(), cfg, cluster.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the API server") || time.Since(start) > 20*time.Second {
		t.Errorf("unreachable: %v after %v", err, time.Since(start))
	}
	// Credentials the server does not accept: a certificate from another CA.
	other, err := testcluster.ForeignClientKubeconfig(t.TempDir(), tc.URL, tc)
	must(t, err)
	cfg, err = clientcmd.BuildConfigFromFlags("", other)
	must(t, err)
	_, err = cluster.Load(context.Background(), cfg, cluster.Options{})
	if err == nil || !strings.Contains(err.Error(), "rejected the credentials") {
		t.Errorf("bad credentials: %v", err)
	}
}

// TestListCutOffIsPartial compacts etcd after the first page of a list, so
// the next page's continue token has expired: the scan must say the list
// was cut off, label the result partial, and keep what it read.
func TestListCutOffIsPartial(t *testing.T) {
	testcluster.Shared(t) // skips (or fails under CI) without the binaries
	// Pages are served from etcd only without the watch cache, whose
	// snapshots outlive a compaction.
	tc, err := testcluster.Start(context.Background(), t.TempDir(), "--watch-cache=false")
	must(t, err)
	defer tc.Stop()
	client, err := tc.Client()
	must(t, err)
	ctx := context.Background()
	seed(t, client, "cutoff", 12)
	cfg, err := tc.RESTConfig()
	must(t, err)
	compacted := false
	res, err := cluster.Load(ctx, cfg, cluster.Options{Namespace: "cutoff", PageSize: 4, Parallel: 1,
		Progress: func(kind string, n int) {
			if kind == "configmaps" && !compacted {
				compacted = true
				// A write moves the revision past the list's snapshot, then compact.
				_, err := client.CoreV1().ConfigMaps("cutoff").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{})
				must(t, err)
				must(t, tc.Compact(ctx))
			}
		}})
	must(t, err)
	if !res.Partial {
		t.Fatal("a cut-off list must make the scan partial")
	}
	var msg string
	for _, p := range res.Problems {
		if p.Object == "configmaps" && !p.Warning {
			msg = p.Message
		}
	}
	if !strings.Contains(msg, "the list of configmaps was cut off after 4 objects") {
		t.Errorf("problems = %v", res.Problems)
	}
	cms := 0
	for _, o := range res.Objects {
		if o.GVK.Kind == "ConfigMap" {
			cms++
		}
	}
	if cms != 4 {
		t.Errorf("kept %d ConfigMaps read before the cut, want 4", cms)
	}
}
