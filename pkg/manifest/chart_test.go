package manifest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		if o.GVK.Kind == "Deployment" && o.Name() == "guardrail-webhook" {
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

// TestOnlyRegularFilesAreRead: in a directory walk a FIFO named *.yaml is
// skipped with a warning (it blocked the scan forever), a symlink to a
// device or out of the tree is not followed, and an explicit device path is
// refused without reading.
func TestOnlyRegularFilesAreRead(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "real.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\n"), 0o644)
	if err := exec.Command("mkfifo", filepath.Join(dir, "fifo.yaml")).Run(); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml"))
	os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "out.yaml"))
	os.Symlink(filepath.Join(dir, "real.yaml"), filepath.Join(dir, "in.yaml"))
	done := make(chan *Result, 1)
	go func() { done <- NewLoader().Load([]string{dir}) }()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scan hangs on a FIFO")
	}
	names := map[string]int{}
	for _, o := range res.Objects {
		names[o.Name()]++
	}
	if len(res.Objects) != 3 || names["ok"] != 1 || names["real"] != 2 || names["outside"] != 0 {
		t.Errorf("objects %v, want ok, and real twice (once through the link inside the tree)", names)
	}
	var warned []string
	for _, p := range res.Problems {
		if !p.Warning {
			t.Errorf("error %v", p)
		}
		warned = append(warned, filepath.Base(p.Location.File)+": "+p.Message)
	}
	if w := strings.Join(warned, "\n"); !strings.Contains(w, "fifo.yaml: not a regular file") || !strings.Contains(w, "zero.yaml: a symlink that leaves") ||
		!strings.Contains(w, "out.yaml: a symlink that leaves") {
		t.Errorf("warnings:\n%s", w)
	}
	if res := NewLoader(WithFollowSymlinks(true)).Load([]string{filepath.Join(dir, "out.yaml"), "/dev/zero"}); len(res.Objects) != 1 ||
		len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Message, "a device") {
		t.Errorf("explicit paths: %d objects, %v", len(res.Objects), res.Problems)
	}
}
