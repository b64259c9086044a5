package source

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// collect is a sink safe for the loaders' goroutines.
type collect struct {
	mu   sync.Mutex
	seen []*inventory.Object
}

func (c *collect) add(o *inventory.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, o)
}

func ids(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GVK.Kind+"/"+o.Namespace()+"/"+o.Name())
	}
	sort.Strings(out)
	return out
}

// TestManifestsOneWalk: a repository root with loose YAML, a chart and a
// kustomization streams every object into the sink, the same set as the
// result, each with its file; namespace-less objects take the default
// namespace only when asked; a bad file is a problem at its line and the
// rest is read.
func TestManifestsOneWalk(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "loose.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loose\n")
	write(t, filepath.Join(dir, "broken.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n")
	write(t, filepath.Join(dir, "chart", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	write(t, filepath.Join(dir, "chart", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n")
	write(t, filepath.Join(dir, "app", "kustomization.yaml"), "resources:\n- sa.yaml\nnamePrefix: k-\n")
	write(t, filepath.Join(dir, "app", "sa.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n")
	write(t, filepath.Join(dir, "app", "unused.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: unused\n")

	for _, defaultNS := range []string{"", "shop"} {
		var sink collect
		m := &Manifests{Paths: []string{dir}, DefaultNamespace: defaultNS}
		res, err := m.Load(context.Background(), sink.add)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(ids(res.Objects), " ")
		wantNS := defaultNS
		want := "ConfigMap/" + wantNS + "/loose ConfigMap/" + wantNS + "/release-name-cm ServiceAccount/" + wantNS + "/k-sa"
		if got != want {
			t.Errorf("default namespace %q: objects\n got %s\nwant %s", defaultNS, got, want)
		}
		if s := strings.Join(ids(sink.seen), " "); s != got {
			t.Errorf("the sink saw %s, the result holds %s", s, got)
		}
		errs := res.Errors()
		if len(errs) != 1 || !strings.HasSuffix(errs[0].Location.File, "broken.yaml") || errs[0].Location.Line == 0 {
			t.Errorf("problems: %v", res.Problems)
		}
		for _, o := range res.Objects {
			if o.Source.File == "" || (o.Name() == "k-sa" && !strings.Contains(o.Source.File, filepath.Join("app", "sa.yaml"))) {
				t.Errorf("%s: source %q", o.Name(), o.Source.File)
			}
		}
		if res.Live || res.Files == 0 {
			t.Errorf("live %v, files %d", res.Live, res.Files)
		}
		if res.Empty(m) != "" {
			t.Errorf("a read with objects is not empty: %s", res.Empty(m))
		}
	}
}

// TestEmptyIsNamed: nothing read is never a clean result.
func TestEmptyIsNamed(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "README.md"), "nothing here\n")
	m := &Manifests{Paths: []string{dir}}
	res, err := m.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Empty(m); !strings.Contains(e, "nothing to scan") || !strings.Contains(e, dir) {
		t.Errorf("empty: %q", e)
	}
	live := &Result{Live: true}
	if live.Empty(m) == "" {
		t.Error("a live read of no workload kind must say so")
	}
}

// TestLiveAndOverlay runs on the real API server: the live source hands
// the sink every object it returns (pods folded into their controller),
// adds the version object unless told not to, scopes namespaced kinds
// with Namespace; the overlay replaces the live Deployment by the
// manifest's, adds the new object and keeps the cluster as it was in Base.
func TestLiveAndOverlay(t *testing.T) {
	c := testcluster.Shared(t)
	cfg, err := c.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ns := range []string{"src-a", "src-b"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "src-a"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}}}}
	if _, err := cs.AppsV1().Deployments("src-a").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps("src-b").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	var sink collect
	live := &Live{Config: cfg, Namespace: "src-a", Timeout: 30 * time.Second}
	res, err := live.Load(ctx, sink.add)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Live || res.Partial || res.WorkloadKindsRead == 0 {
		t.Fatalf("live %v partial %v workload kinds %d, problems %v", res.Live, res.Partial, res.WorkloadKindsRead, res.Problems)
	}
	got := ids(res.Objects)
	if s, r := strings.Join(ids(sink.seen), " "), strings.Join(got, " "); s != r {
		t.Errorf("the sink saw\n %s\nthe result holds\n %s", s, r)
	}
	has := func(objs []*inventory.Object, id string) bool {
		for _, x := range ids(objs) {
			if x == id {
				return true
			}
		}
		return false
	}
	if !has(res.Objects, "Deployment/src-a/web") || has(res.Objects, "ConfigMap/src-b/other") {
		t.Errorf("-n src-a: %v", got)
	}
	live.NoInfo = true
	res2, err := live.Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Objects) != len(res.Objects)-1 {
		t.Errorf("NoInfo: %d objects, with the info object %d", len(res2.Objects), len(res.Objects))
	}

	dir := t.TempDir()
	write(t, filepath.Join(dir, "web.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: src-a
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: nginx:1.28
        securityContext: {privileged: true}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
`)
	ov := &Overlay{Base: live, Changes: &Manifests{Paths: []string{dir}, DefaultNamespace: "src-a"}}
	merged, err := ov.Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	image := func(objs []*inventory.Object) []string {
		var out []string
		for _, o := range objs {
			if o.GVK.Kind == "Deployment" && o.Name() == "web" {
				d, ok := o.Obj.(*appsv1.Deployment)
				if !ok {
					t.Fatalf("deployment of type %T", o.Obj)
				}
				out = append(out, d.Spec.Template.Spec.Containers[0].Image)
			}
		}
		return out
	}
	if got := image(merged.Objects); len(got) != 1 || got[0] != "nginx:1.28" {
		t.Errorf("overlay: the Deployment's images are %v, want the manifest's only", got)
	}
	if got := image(merged.Base); len(got) != 1 || got[0] != "nginx:1.27" {
		t.Errorf("overlay base: the Deployment's images are %v, want the cluster's", got)
	}
	if !has(merged.Objects, "Service/src-a/web") || has(merged.Base, "Service/src-a/web") {
		t.Errorf("the new Service (namespace from -n) is in the overlay only: %v", ids(merged.Objects))
	}
	if len(merged.Objects) != len(merged.Base)+1 {
		t.Errorf("overlay %d objects, base %d: one replaced, one added", len(merged.Objects), len(merged.Base))
	}
}

// TestSharedBaseIsNoted: a repository root with one base under two
// overlays judges the base's objects once per overlay (each build renders
// them its own way) and says so on the base's file; the base is not read
// a third time as loose YAML or as a kustomization of its own.
func TestSharedBaseIsNoted(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "base", "kustomization.yaml"), "resources:\n- deploy.yaml\n")
	write(t, filepath.Join(dir, "base", "deploy.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n")
	for _, o := range []string{"prod", "staging"} {
		write(t, filepath.Join(dir, "overlays", o, "kustomization.yaml"), "resources:\n- ../../base\nnamePrefix: "+o+"-\n")
	}
	res, err := (&Manifests{Paths: []string{filepath.Join(dir, "overlays")}}).Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids(res.Objects), " "); got != "ServiceAccount//prod-app ServiceAccount//staging-app" {
		t.Errorf("objects %s", got)
	}
	notes := res.Warnings()
	if len(notes) != 1 || notes[0].Location.File != filepath.Join(dir, "base", "deploy.yaml") || !strings.Contains(notes[0].Message, "built by 2 kustomizations") {
		t.Errorf("notes %v", res.Problems)
	}
	// One overlay alone: no note.
	res, _ = (&Manifests{Paths: []string{filepath.Join(dir, "overlays", "prod")}}).Load(context.Background(), nil)
	if len(res.Problems) != 0 {
		t.Errorf("one overlay: %v", res.Problems)
	}
}

// TestChartReleaseNamespaceIsNotTheChartsToGuard: the namespace rules on a
// chart's release namespace (which the chart does not create) report low,
// with the reason; the same objects as loose YAML, or with the chart
// creating the namespace, are judged as usual.
func TestChartReleaseNamespaceIsNotTheChartsToGuard(t *testing.T) {
	dep := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: %s\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: c, image: nginx:1.27}\n"
	dir := t.TempDir()
	write(t, filepath.Join(dir, "web", "Chart.yaml"), "apiVersion: v2\nname: web\nversion: 0.1.0\n")
	write(t, filepath.Join(dir, "web", "templates", "dep.yaml"), strings.Replace(dep, "%s", "{{ .Release.Namespace }}", 1))
	write(t, filepath.Join(dir, "loose", "dep.yaml"), strings.Replace(dep, "%s", "shop", 1))
	severityOf := func(path string) (api.Severity, string) {
		res, err := (&Manifests{Paths: []string{path}}).Load(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range engine.New(engine.WithRules(rules.All())).Scan(res.Inventory()).Findings {
			if f.RuleID == "namespace-no-network-policy" {
				return f.Severity, f.Message
			}
		}
		t.Fatalf("%s: no namespace-no-network-policy finding", path)
		return 0, ""
	}
	if sev, msg := severityOf(filepath.Join(dir, "web")); sev != api.SeverityLow || !strings.Contains(msg, "release namespace") {
		t.Errorf("chart: %s %s", sev, msg)
	}
	if sev, _ := severityOf(filepath.Join(dir, "loose")); sev < api.SeverityHigh {
		t.Errorf("loose YAML: %s", sev)
	}
}
