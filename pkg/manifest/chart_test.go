package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
