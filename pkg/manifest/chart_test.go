package manifest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
)

// TestChartsAreRenderedNotParsed: a directory with a Chart.yaml is
// rendered with the Helm SDK; its templates are never read as YAML (they
// are Go templates, and read as YAML they gave one syntax error per
// template action). A chart that does not render is one problem, on its
// Chart.yaml, and the rest of the input is still read.
func TestChartsAreRenderedNotParsed(t *testing.T) {
	res := NewLoader().Load([]string{"../../deploy/helm/guardrail"})
	if len(res.Problems) > 0 || len(res.Objects) < 8 {
		t.Fatalf("chart: %d objects, problems %v", len(res.Objects), res.Problems)
	}
	for _, o := range res.Objects {
		if !strings.HasSuffix(o.Source.File, " (rendered)") || !strings.Contains(o.Source.File, "templates/") {
			t.Errorf("%s: source %q does not name the rendered template", o.Name(), o.Source.File)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.MkdirAll(filepath.Join(bad, "templates"), 0o755)
	os.WriteFile(filepath.Join(bad, "Chart.yaml"), []byte("apiVersion: v2\nname: bad\nversion: 0.1.0\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "templates", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.field }}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "plain.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"), 0o644)
	res = NewLoader().Load([]string{dir})
	if len(res.Objects) != 1 || len(res.Problems) != 1 || !strings.HasSuffix(res.Problems[0].Location.File, filepath.Join("bad", "Chart.yaml")) ||
		!strings.Contains(res.Problems[0].Message, "cannot render the Helm chart") {
		t.Fatalf("objects %d, problems %v", len(res.Objects), res.Problems)
	}
}

// TestChartOptionsAndArchives: helm template's values, --set and release
// namespace apply, and a packaged chart renders like its directory.
func TestChartOptionsAndArchives(t *testing.T) {
	dir := t.TempDir()
	vals := filepath.Join(dir, "prod.yaml")
	os.WriteFile(vals, []byte("replicas: 5\n"), 0o644)
	res := NewLoader(WithChart(helmchart.Options{Release: helmchart.Release{Name: "r", Namespace: "prod"}, ValueFiles: []string{vals},
		Set: []string{"modes.default=enforce"}})).Load([]string{"../../deploy/helm/guardrail"})
	if len(res.Problems) > 0 {
		t.Fatal(res.Problems)
	}
	var deploy string
	for _, o := range res.Objects {
		if o.GVK.Kind == "Deployment" {
			b, _ := json.Marshal(o.Obj)
			deploy = string(b)
			if o.Namespace() != "prod" {
				t.Errorf("namespace %q, want the release namespace prod", o.Namespace())
			}
		}
	}
	if !strings.Contains(deploy, `"replicas":5`) || !strings.Contains(deploy, "--default-mode=enforce") {
		t.Errorf("values and --set did not apply: %s", deploy)
	}
	// Package the chart and scan the archive.
	tgz := filepath.Join(dir, "guardrail-0.2.0.tgz")
	if out, err := exec.Command("tar", "czf", tgz, "-C", "../../deploy/helm", "guardrail").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	a, d := NewLoader().Load([]string{tgz}), NewLoader().Load([]string{"../../deploy/helm/guardrail"})
	if len(a.Problems) > 0 || len(a.Objects) != len(d.Objects) || !strings.Contains(a.Objects[0].Source.File, "guardrail-0.2.0.tgz") {
		t.Fatalf("archive: %d objects (directory %d), problems %v", len(a.Objects), len(d.Objects), a.Problems)
	}
}
