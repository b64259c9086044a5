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
