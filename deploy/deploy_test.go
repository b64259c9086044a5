package deploy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/cli"
	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/internal/version"
	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

const chartDir = "helm/guardrail"

// variants are the chart's value sets under test.
var variants = map[string]map[string]any{
	"defaults": nil,
	"enforce, pinned, CIDRs": {"modes": map[string]any{"default": "enforce", "cluster": "enforce", "namespaces": []any{map[string]any{"pattern": "dev-*", "mode": "warn"}}},
		"image":         map[string]any{"digest": "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"},
		"networkPolicy": map[string]any{"apiServerCIDRs": []any{"10.0.0.1/32"}}, "replicas": 3},
	"cert-manager": {"certManager": map[string]any{"enabled": true, "issuerRef": map[string]any{"name": "ca", "kind": "ClusterIssuer"}}},
	"dashboard over TLS": {"watch": map[string]any{"dashboard": map[string]any{"enabled": true, "tlsSecret": "guardrail-dashboard-tls",
		"from": map[string]any{"kubernetes.io/metadata.name": "ops"}}}},
	"dashboard for port-forward": {"watch": map[string]any{"dashboard": map[string]any{"enabled": true}}},
}

func render(t *testing.T, values map[string]any) []map[string]any {
	t.Helper()
	ms, err := helmchart.Render(chartDir, helmchart.Options{Release: helmchart.Release{Name: "guardrail", Namespace: admission.DefaultNamespace}, Values: values})
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, m := range ms {
		for _, doc := range strings.Split(m.Content, "\n---") {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", m.Template, err)
			}
			if o != nil {
				objs = append(objs, o)
			}
		}
	}
	return objs
}

func docsOf(t *testing.T, file string) []map[string]any {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, doc := range strings.Split(string(data), "\n---") {
		var o map[string]any
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func find(objs []map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if o["kind"] == kind {
			out = append(out, o)
		}
	}
	return out
}

// withoutWatch leaves out the watcher's objects (TestWatchChart checks them).
func withoutWatch(objs []map[string]any) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if !strings.HasPrefix(str(o, "metadata", "name"), "guardrail-watch") {
			out = append(out, o)
		}
	}
	return out
}

func str(o map[string]any, path ...string) string {
	var v any = o
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func container(t *testing.T, d map[string]any) map[string]any {
	cs := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	return cs[0].(map[string]any)
}

// TestNamesAgree: `guardrail webhook`'s defaults, the raw manifest and the
// chart name the same namespace, Service, configuration and CA Secret; the
// chart's appVersion, its version and the images are internal/version's
// release; the Dockerfile builds the binary the image runs.
func TestNamesAgree(t *testing.T) {
	raw := docsOf(t, "webhook/webhook.yaml")
	for name, objs := range map[string][]map[string]any{"webhook/webhook.yaml": raw, "chart": withoutWatch(render(t, nil))} {
		svc := find(objs, "Service")
		if len(svc) != 1 || str(svc[0], "metadata", "name") != admission.DefaultServiceName || str(svc[0], "metadata", "namespace") != admission.DefaultNamespace {
			t.Errorf("%s: Service %v, want %s/%s", name, svc, admission.DefaultNamespace, admission.DefaultServiceName)
		}
		d := find(objs, "Deployment")
		if len(d) != 1 {
			t.Fatalf("%s: %d Deployments", name, len(d))
		}
		c := container(t, d[0])
		args := fmt.Sprint(c["args"])
		for _, want := range []string{"--service-name=" + admission.DefaultServiceName, "--service-namespace=" + admission.DefaultNamespace} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: args %s lack %s", name, args, want)
			}
		}
		if img := c["image"].(string); !strings.HasPrefix(img, "ghcr.io/guardrail-k8s/guardrail:v"+version.Release) {
			t.Errorf("%s: image %s is not release v%s", name, img, version.Release)
		}
		var rbac strings.Builder
		for _, k := range []string{"ClusterRole", "Role"} {
			for _, r := range find(objs, k) {
				b, _ := yaml.Marshal(r["rules"])
				rbac.Write(b)
			}
		}
		for _, want := range []string{admission.DefaultConfigName, admission.DefaultCASecret} {
			if !strings.Contains(rbac.String(), "- "+want+"\n") {
				t.Errorf("%s: no RBAC rule names %s:\n%s", name, want, rbac.String())
			}
		}
	}
	chart, _ := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	for _, want := range []string{"\nversion: " + version.Release + "\n", "\nappVersion: \"" + version.Release + "\"\n"} {
		if !strings.Contains(string(chart), want) {
			t.Errorf("Chart.yaml lacks %q", want)
		}
	}
	// The image: the Dockerfile's build output is what its final stage
	// copies and runs, static and non-root, as the manifests' runAsUser.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	build := regexp.MustCompile(`CGO_ENABLED=0 go build [^\n]*(?:\\\n[^\n]*)*-o (\S+) \./cmd/guardrail`).FindStringSubmatch(string(df))
	if build == nil {
		t.Fatal("the Dockerfile does not build ./cmd/guardrail statically")
	}
	if !strings.Contains(string(df), "COPY --from=build "+build[1]+" /guardrail") || !strings.Contains(string(df), `ENTRYPOINT ["/guardrail"]`) {
		t.Errorf("the Dockerfile's final stage does not run the binary it builds (%s)", build[1])
	}
	if !regexp.MustCompile(`(?m)^FROM (gcr\.io/distroless/static\S*|scratch)$`).Match(df) || !strings.Contains(string(df), "USER 65532:65532") {
		t.Error("the image must be distroless static or scratch and run as 65532")
	}
	sc := find(raw, "Deployment")[0]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["securityContext"].(map[string]any)
	if fmt.Sprint(sc["runAsUser"]) != "65532" {
		t.Errorf("runAsUser %v, the image's user is 65532", sc["runAsUser"])
	}
	if ro := container(t, find(raw, "Deployment")[0])["securityContext"].(map[string]any)["readOnlyRootFilesystem"]; ro != true {
		t.Error("the webhook's root filesystem must be read-only")
	}
	// The chart's scanner role grants what the raw one does.
	rawRole, chartRole := docsOf(t, "scanner/clusterrole.yaml")[0], find(render(t, nil), "ClusterRole")
	for _, r := range chartRole {
		if str(r, "metadata", "name") == "guardrail-scanner" {
			a, _ := yaml.Marshal(rawRole["rules"])
			b, _ := yaml.Marshal(r["rules"])
			if !bytes.Equal(a, b) {
				t.Errorf("the chart's scanner role differs from deploy/scanner/clusterrole.yaml:\n%s\n%s", a, b)
			}
		}
	}
}

// TestInstallsScanClean: `guardrail scan` reports nothing above info on the
// raw manifests and on the chart rendered with each value set.
func TestInstallsScanClean(t *testing.T) {
	dir := t.TempDir()
	for name, vals := range variants {
		ms, err := helmchart.Render(chartDir, helmchart.Options{Release: helmchart.Release{Name: "guardrail", Namespace: admission.DefaultNamespace}, Values: vals})
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, m := range ms {
			all.WriteString("---\n" + m.Content + "\n")
		}
		sub := filepath.Join(dir, strings.NewReplacer(" ", "-", ",", "").Replace(name))
		os.MkdirAll(sub, 0o755)
		os.WriteFile(filepath.Join(sub, "chart.yaml"), []byte(all.String()), 0o644)
	}
	for _, target := range []string{"webhook", "scanner", dir} {
		var out, errb bytes.Buffer
		code := cli.Execute([]string{"scan", target, "--fail-on", "low", "-o", "table"}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
		if code != 0 {
			t.Errorf("guardrail scan %s --fail-on low exited %d:\n%s%s", target, code, out.String(), errb.String())
		}
	}
}

// TestInstallsApplyOnTheAPIServer: the raw manifests and every chart
// variant pass server-side dry-run on the real API server (its schema
// validation, defaulting and admission), except the cert-manager
// Certificate, whose CRD the test cluster does not have.
func TestInstallsApplyOnTheAPIServer(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, err := tc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: admission.DefaultNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sets := map[string][]map[string]any{"webhook/webhook.yaml": docsOf(t, "webhook/webhook.yaml"), "scanner/clusterrole.yaml": docsOf(t, "scanner/clusterrole.yaml")}
	for name, vals := range variants {
		sets["chart "+name] = render(t, vals)
	}
	for name, objs := range sets {
		n := 0
		for _, o := range objs {
			u := &unstructured.Unstructured{Object: o}
			gvk := u.GroupVersionKind()
			if gvk.Group == "cert-manager.io" || (gvk.Kind == "Namespace") {
				continue
			}
			m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
			if err != nil {
				t.Errorf("%s: %s: %v", name, gvk, err)
				continue
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if ns := u.GetNamespace(); ns != "" {
				ri = dyn.Resource(m.Resource).Namespace(ns)
			}
			if _, err := ri.Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}); err != nil {
				t.Errorf("%s: %s %s: %v", name, gvk.Kind, u.GetName(), err)
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: nothing applied", name)
		}
	}
	_ = appsv1.SchemeGroupVersion
}

// TestWatchChart: the watcher's ClusterRole lists and watches exactly the
// kinds the live scan lists (the scanner's rules with watch), writes only
// its report kinds and Events; the Lease is the only thing it may write in
// its namespace; the chart's CRDs are deploy/crds; its arguments are flags
// of guardrail watch.
// TestDashboardInTheChart: with a TLS Secret the watcher serves the
// dashboard over HTTPS behind a Service, reachable from dashboard.from;
// without one it listens on loopback only (kubectl port-forward); either
// way it may review tokens and access.
func TestDashboardInTheChart(t *testing.T) {
	argsOf := func(objs []map[string]any) string {
		for _, d := range find(objs, "Deployment") {
			if str(d, "metadata", "name") == "guardrail-watch" {
				return fmt.Sprint(container(t, d)["args"])
			}
		}
		return ""
	}
	tlsObjs := render(t, variants["dashboard over TLS"])
	if a := argsOf(tlsObjs); !strings.Contains(a, "--dashboard=:8443") || !strings.Contains(a, "--dashboard-tls-cert-file=/etc/guardrail/dashboard-tls/tls.crt") {
		t.Errorf("TLS args: %s", a)
	}
	svc := false
	for _, o := range find(tlsObjs, "Service") {
		svc = svc || str(o, "metadata", "name") == "guardrail-dashboard"
	}
	if !svc {
		t.Error("no dashboard Service with tlsSecret")
	}
	roles, _ := yaml.Marshal(find(tlsObjs, "ClusterRole"))
	if !strings.Contains(string(roles), "tokenreviews") || !strings.Contains(string(roles), "subjectaccessreviews") {
		t.Error("the watcher may not review tokens")
	}
	netpols, _ := yaml.Marshal(find(tlsObjs, "NetworkPolicy"))
	if !strings.Contains(string(netpols), "port: 8443") {
		t.Errorf("the NetworkPolicy does not open the dashboard port to dashboard.from:\n%s", netpols)
	}
	if a := argsOf(render(t, variants["dashboard for port-forward"])); !strings.Contains(a, "--dashboard=127.0.0.1:8443") || strings.Contains(a, "tls") {
		t.Errorf("port-forward args: %s", a)
	}
	if a := argsOf(render(t, nil)); strings.Contains(a, "--dashboard") {
		t.Errorf("dashboard on by default: %s", a)
	}
}

func TestWatchChart(t *testing.T) {
	for _, format := range []string{"openreports", "wgpolicyk8s"} {
		objs := render(t, map[string]any{"watch": map[string]any{"reportFormat": format}})
		var role map[string]any
		for _, r := range find(objs, "ClusterRole") {
			if str(r, "metadata", "name") == "guardrail-watch" {
				role = r
			}
		}
		if role == nil {
			t.Fatal("no guardrail-watch ClusterRole")
		}
		scanner := docsOf(t, "scanner/clusterrole.yaml")[0]["rules"].([]any)
		rules := role["rules"].([]any)
		if len(rules) != len(scanner)+2 {
			t.Fatalf("%s: %d rules, want the scanner's %d plus reports and events", format, len(rules), len(scanner))
		}
		for i, sr := range scanner {
			want := map[string]any{}
			for k, v := range sr.(map[string]any) {
				want[k] = v
			}
			want["verbs"] = []any{"list", "watch"}
			a, _ := yaml.Marshal(want)
			b, _ := yaml.Marshal(rules[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: rule %d is\n%s want the scanner's with watch\n%s", format, i, b, a)
			}
		}
		group := map[string]string{"openreports": "openreports.io", "wgpolicyk8s": "wgpolicyk8s.io"}[format]
		if g := fmt.Sprint(rules[len(scanner)].(map[string]any)["apiGroups"]); g != "["+group+"]" {
			t.Errorf("%s: report rule for %s", format, g)
		}
		var args []string
		for _, d := range find(objs, "Deployment") {
			if str(d, "metadata", "name") == "guardrail-watch" {
				for _, a := range container(t, d)["args"].([]any) {
					args = append(args, a.(string))
				}
			}
		}
		if len(args) == 0 || args[0] != "watch" {
			t.Fatalf("watch args %v", args)
		}
		var out, errb bytes.Buffer
		// With --help the command parses every flag the chart passes (an
		// unknown one fails) and stops there.
		code := cli.Execute(append(args, "--help"), cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
		if code != 0 {
			t.Errorf("guardrail %v: exit %d: %s", args, code, errb.String())
		}
	}
	crds, _ := filepath.Glob("crds/*.yaml")
	chartCRDs, _ := filepath.Glob(chartDir + "/crds/*.yaml")
	if len(crds) != 4 || len(chartCRDs) != 4 {
		t.Fatalf("CRDs: %v, chart %v", crds, chartCRDs)
	}
	for _, c := range crds {
		a, _ := os.ReadFile(c)
		b, _ := os.ReadFile(filepath.Join(chartDir, "crds", filepath.Base(c)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the chart's copy", c)
		}
	}
}
