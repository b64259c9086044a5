package report_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/report"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	sarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/xeipuuv/gojsonschema"
)

// officialSARIFSchema reads the OASIS SARIF 2.1.0 schema that go-sarif embeds.
func officialSARIFSchema(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/owenrumney/go-sarif/v3").Output()
	if err != nil {
		t.Fatalf("locate go-sarif: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "report", "v210", "sarif", "schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	return s[strings.IndexByte(s, '`')+1 : strings.LastIndexByte(s, '`')]
}

// TestSARIFValidAgainstOfficialSchema validates the raw SARIF output
// (findings, suppressions, stdin locations) against the OASIS schema.
func TestSARIFValidAgainstOfficialSchema(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\n  annotations:\n    exception.guardrail.dev/container-readonly-rootfs: accepted\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n"
	loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(in))).Load([]string{"-", "../../examples/shop"})
	p, _ := rules.LookupProfile("all")
	res := engine.New(engine.WithRules(p.Rules())).Scan(inventory.New(loaded.Objects))
	if len(res.Findings) == 0 || len(res.Suppressed) == 0 {
		t.Fatal("test input must produce findings and suppressions")
	}
	var buf bytes.Buffer
	if err := report.Formats["sarif"](report.Options{ShowSuppressed: true, Version: "test"}).Print(&buf, res); err != nil {
		t.Fatal(err)
	}
	parsed := validSARIF(t, buf.Bytes())
	if n := len(parsed.Runs[0].Results); n != len(res.Findings)+len(res.Suppressed) {
		t.Errorf("%d results, want %d", n, len(res.Findings)+len(res.Suppressed))
	}
}

// TestSARIFCarriesInputProblems: a run whose input did not parse is not a
// clean run: its problems are toolExecutionNotifications with locations,
// executionSuccessful is false, and the log is still valid SARIF 2.1.0.
func TestSARIFCarriesInputProblems(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: [\n"
	loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(in))).Load([]string{"-", "../../examples/shop/no-such-file.yaml"})
	res := engine.New().Scan(inventory.New(loaded.Objects))
	res.Problems = loaded.Problems
	if len(res.Problems) != 2 {
		t.Fatalf("problems %v", res.Problems)
	}
	var buf bytes.Buffer
	if err := report.Formats["sarif"](report.Options{Version: "test"}).Print(&buf, res); err != nil {
		t.Fatal(err)
	}
	parsed := validSARIF(t, buf.Bytes())
	inv := parsed.Runs[0].Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful == nil || *inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 2 {
		t.Fatalf("invocations %s", buf.String())
	}
	n := inv[0].ToolExecutionNotifications[1]
	if n.Locations[0].PhysicalLocation.ArtifactLocation.URI == nil || !strings.HasSuffix(*n.Locations[0].PhysicalLocation.ArtifactLocation.URI, "no-such-file.yaml") {
		t.Errorf("notification location %s", buf.String())
	}
}

// validSARIF validates a log against the OASIS SARIF 2.1.0 schema and
// parses it.
func validSARIF(t *testing.T, log []byte) *sarif.Report {
	t.Helper()
	result, err := gojsonschema.Validate(gojsonschema.NewStringLoader(officialSARIFSchema(t)), gojsonschema.NewBytesLoader(log))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range result.Errors() {
		t.Errorf("SARIF schema: %s", e)
	}
	parsed, err := sarif.FromBytes(log)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// TestSARIFOnCharts: a chart's findings carry the template's real path;
// a line the template wrote itself is a region, a line an action wrote is
// not (it counts in the rendered output), and goes in the location's
// properties. The log stays valid SARIF 2.1.0.
func TestSARIFOnCharts(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "web", "templates"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "web", "Chart.yaml"), []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "web", "values.yaml"), []byte("hostNetwork: true\n"), 0o644))
	tpl := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: {{ .Values.hostNetwork }}\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n"
	must(os.WriteFile(filepath.Join(dir, "web", "templates", "pod.yaml"), []byte(tpl), 0o644))
	loaded := manifest.NewLoader().Load([]string{filepath.Join(dir, "web")})
	if len(loaded.Problems) > 0 {
		t.Fatal(loaded.Problems)
	}
	res := engine.New().Scan(inventory.New(loaded.Objects))
	var buf bytes.Buffer
	if err := report.Formats["sarif"](report.Options{Version: "test"}).Print(&buf, res); err != nil {
		t.Fatal(err)
	}
	parsed := validSARIF(t, buf.Bytes())
	want := filepath.ToSlash(filepath.Join(dir, "web", "templates", "pod.yaml"))
	seen := map[string]bool{}
	for _, r := range parsed.Runs[0].Results {
		loc := r.Locations[0]
		uri := *loc.PhysicalLocation.ArtifactLocation.URI
		if uri != want {
			t.Errorf("%s: uri %q, want the template %q", *r.RuleID, uri, want)
		}
		switch *r.RuleID {
		case "pss-privileged":
			seen["privileged"] = true
			if loc.PhysicalLocation.Region == nil || *loc.PhysicalLocation.Region.StartLine != 11 {
				t.Errorf("privileged: true is the template's own line 11: %+v", loc.PhysicalLocation.Region)
			}
		case "pss-host-namespaces":
			seen["hostNetwork"] = true
			if loc.PhysicalLocation.Region != nil || loc.Properties == nil {
				t.Errorf("hostNetwork was written by an action: no region, properties instead; got %s", buf.String())
			}
		}
	}
	if !seen["privileged"] || !seen["hostNetwork"] {
		t.Errorf("findings seen: %v", seen)
	}
}
