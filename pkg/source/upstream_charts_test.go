package source

import (
	"bufio"
	"context"
	"github.com/guardrail-k8s/guardrail/internal/upstream"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	helmengine "helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// helmTemplate is what Helm itself renders for the chart (its engine and
// its manifest splitter, as helm template does), as kind/name lines.
func helmTemplate(t *testing.T, chart string) []string {
	t.Helper()
	ch, err := loader.Load(chart)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := util.ToRenderValues(ch, map[string]any{}, common.ReleaseOptions{Name: "release-name", Namespace: "release-namespace", IsInstall: true, Revision: 1}, common.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := helmengine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for name, content := range out {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for _, doc := range releaseutil.SplitManifests(content) {
			var m struct {
				Kind     string
				Metadata struct{ Name string }
			}
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil || m.Kind == "" {
				continue
			}
			got = append(got, m.Kind+"/"+m.Metadata.Name)
		}
	}
	sort.Strings(got)
	return got
}

func kindNames(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GVK.Kind+"/"+o.Name())
	}
	sort.Strings(out)
	return out
}

// lineOf reads line n of file.
func lineOf(t *testing.T, file string, n int) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("a finding names %s: %v", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return sc.Text()
		}
	}
	t.Fatalf("%s has no line %d", file, n)
	return ""
}

// TestUpstreamCharts, on each upstream chart: the objects read are the
// objects Helm's own rendering gives; every finding names a template file
// that exists, and where it gives the template's line, that line holds
// the field's key; a privileged template added to the chart is caught at
// its path and the line of privileged: true.
func TestUpstreamCharts(t *testing.T) {
	every := engine.New(engine.WithRules(rules.All()), engine.WithSettings(rules.DefaultSettings()))
	mappedFindings, findings := 0, 0
	for _, chart := range upstream.Charts(t) {
		name := filepath.Base(chart)
		res, err := (&Manifests{Paths: []string{chart}}).Load(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(kindNames(res.Objects), " "), strings.Join(helmTemplate(t, chart), " "); got != want {
			t.Errorf("%s: objects\n got %s\nwant %s (helm's rendering)", name, got, want)
		}
		for _, f := range every.Scan(res.Inventory()).Findings {
			findings++
			file, by := f.Location.SourceFile()
			if !strings.HasPrefix(file, chart+string(filepath.Separator)) {
				t.Errorf("%s: %s points at %q, not into the chart", name, f.RuleID, f.Location.File)
				continue
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s: %s names %s, which does not exist", name, f.RuleID, file)
			}
			if by == "" && f.Location.Line > 0 {
				mappedFindings++
				line := lineOf(t, file, f.Location.Line)
				if strings.Contains(line, "{{") {
					t.Errorf("%s: %s at %s:%d, a line an action wrote: %q", name, f.RuleID, file, f.Location.Line, line)
				}
			}
		}
	}
	t.Logf("%d findings on upstream charts, %d at their template line", findings, mappedFindings)
	if findings == 0 || mappedFindings == 0 {
		t.Fatalf("%d findings, %d mapped: the test checks nothing", findings, mappedFindings)
	}

	// A privileged template in a copy of Helm's subchart example.
	dir := filepath.Join(t.TempDir(), "subchart")
	if out, err := exec.Command("cp", "-r", upstream.Charts(t)[0], dir).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := os.Chmod(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	tpl := filepath.Join(dir, "templates", "privileged.yaml")
	write(t, tpl, `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-debug
  labels:
    app.kubernetes.io/name: {{ .Chart.Name | quote }}
spec:
  containers:
  - name: debug
    image: "{{ .Chart.Name }}:1.36"
    securityContext:
      privileged: true
`)
	res, err := (&Manifests{Paths: []string{dir}}).Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	caught := false
	for _, f := range every.Scan(res.Inventory()).Findings {
		if f.RuleID == "pss-privileged" && f.Location.File == tpl {
			caught = f.Location.Line == 12
			if !caught {
				t.Errorf("pss-privileged at line %d of the template, want 12", f.Location.Line)
			}
		}
	}
	if !caught {
		t.Errorf("the privileged template is not caught at %s:12; problems %v", tpl, res.Problems)
	}
}
