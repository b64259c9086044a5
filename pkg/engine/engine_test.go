package engine_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

const privileged = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
  annotations:
%s
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          privileged: true
`

func deployment(name, ns, annotations string) string {
	if annotations == "" {
		annotations = "    owner: x"
	}
	return sprintf(privileged, name, ns, annotations)
}

func sprintf(format string, args ...string) string {
	out := format
	for _, a := range args {
		out = strings.Replace(out, "%s", a, 1)
	}
	return out
}

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func scan(t *testing.T, yaml string, opts ...engine.Option) *engine.Result {
	t.Helper()
	res := manifest.NewLoader(manifest.WithStdin(strings.NewReader(yaml))).Load([]string{"-"})
	if res.Errors() > 0 {
		t.Fatal(res.Problems)
	}
	r, _ := rules.Get("pss-privileged")
	s := rules.DefaultSettings()
	s.Now = now
	opts = append([]engine.Option{engine.WithRules([]*rules.Rule{r}), engine.WithSettings(s)}, opts...)
	return engine.New(opts...).Scan(inventory.New(res.Objects))
}

func exceptions(t *testing.T, text string) []config.Exception {
	t.Helper()
	c, err := config.Parse("test", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c.Exceptions
}

func TestConfigExceptionsMatchByGlobAndExpire(t *testing.T) {
	in := deployment("web-1", "shop", "") + "---\n" + deployment("api", "shop", "") + "---\n" + deployment("web-2", "kube-system", "")
	ex := exceptions(t, `
exceptions:
- rules: ["pss-*"]
  namespaces: [shop]
  names: ["web-*"]
  kinds: [deployment]
  containers: [app]
  reason: accepted for the demo
- rules: [pss-privileged]
  namespaces: [kube-system]
  reason: CNI agent
  expires: 2026-05-31
`)
	res := scan(t, in, engine.WithExceptions(ex))
	if len(res.Suppressed) != 1 || res.Suppressed[0].Object.Name != "web-1" || res.Suppressed[0].Suppressed.Reason != "accepted for the demo" {
		t.Fatalf("suppressed = %+v", res.Suppressed)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("findings = %+v", res.Findings)
	}
	expired := res.Findings[1]
	if expired.Object.Name != "web-2" || !strings.Contains(expired.Note, "exception expired on 2026-05-31 (reason was: CNI agent)") {
		t.Errorf("expired exception note missing: %+v", expired)
	}
	if res.Summary.Suppressed != 1 || res.Summary.Critical != 2 {
		t.Errorf("summary = %+v", res.Summary)
	}
}

func TestAnnotationExceptions(t *testing.T) {
	ok := deployment("a", "shop", `    exception.guardrail.dev/pss-privileged: "needs /dev/fuse; expires=2026-12-31"`)
	noReason := deployment("b", "shop", `    exception.guardrail.dev/pss-privileged: ""`)
	expired := deployment("c", "shop", `    exception.guardrail.dev/pss-privileged: "old; expires=2026-01-01"`)
	res := scan(t, ok+"---\n"+noReason+"---\n"+expired)
	if len(res.Suppressed) != 1 || res.Suppressed[0].Suppressed.Source != "annotation" || res.Suppressed[0].Suppressed.Expires != "2026-12-31" {
		t.Fatalf("suppressed = %+v", res.Suppressed)
	}
	if len(res.Findings) != 2 || !strings.Contains(res.Findings[0].Note, "gives no reason") || !strings.Contains(res.Findings[1].Note, "expired on 2026-01-01") {
		t.Fatalf("findings = %+v", res.Findings)
	}
	// The operator can forbid objects from exempting themselves.
	res = scan(t, ok, engine.WithAnnotationExceptions(false))
	if len(res.Suppressed) != 0 || len(res.Findings) != 1 {
		t.Fatalf("annotation exceptions not disabled: %+v", res)
	}
}

func TestBaselineSurvivesReorderingAndReportsOnlyNew(t *testing.T) {
	a, b, c := deployment("a", "shop", ""), deployment("b", "shop", ""), deployment("c", "shop", "")
	first := scan(t, a+"---\n"+b)
	var buf bytes.Buffer
	if err := engine.NewBaseline(first.Findings).Write(&buf); err != nil {
		t.Fatal(err)
	}
	base, err := engine.ReadBaseline(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Same objects in another order, split over files, plus one new object.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "1.yaml"), []byte(c+"---\n"+b), 0o644)
	os.WriteFile(filepath.Join(dir, "2.yaml"), []byte("# moved\n\n"+a), 0o644)
	loaded := manifest.NewLoader().Load([]string{dir})
	r, _ := rules.Get("pss-privileged")
	res := engine.New(engine.WithRules([]*rules.Rule{r}), engine.WithBaseline(base)).Scan(inventory.New(loaded.Objects))
	if len(res.Findings) != 1 || res.Findings[0].Object.Name != "c" {
		t.Fatalf("new findings = %+v", res.Findings)
	}
	if len(res.Suppressed) != 2 || res.Suppressed[0].Suppressed.Source != "baseline" {
		t.Fatalf("baselined = %+v", res.Suppressed)
	}
}

func TestFingerprintIgnoresLocationButNotIdentity(t *testing.T) {
	ref := api.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}
	f1 := engine.Fingerprint("r", "apps", ref, "app", "k")
	if f1 != engine.Fingerprint("r", "apps", ref, "app", "k") {
		t.Fatal("fingerprint not deterministic")
	}
	other := ref
	other.Namespace = "shop2"
	for _, f := range []string{
		engine.Fingerprint("r2", "apps", ref, "app", "k"),
		engine.Fingerprint("r", "apps", other, "app", "k"),
		engine.Fingerprint("r", "apps", ref, "app2", "k"),
		engine.Fingerprint("r", "apps", ref, "app", "k2"),
	} {
		if f == f1 {
			t.Error("fingerprint ignores part of the identity")
		}
	}
}

func TestScoreAndParallelDeterminism(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 50; i++ {
		in.WriteString(deployment("d"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), "shop", "") + "---\n")
	}
	res := manifest.NewLoader(manifest.WithStdin(strings.NewReader(in.String()))).Load([]string{"-"})
	inv := inventory.New(res.Objects)
	one := engine.New(engine.WithWorkers(1)).Scan(inv)
	four := engine.New(engine.WithWorkers(4)).Scan(inv)
	if len(one.Findings) != len(four.Findings) {
		t.Fatalf("parallel scan differs: %d vs %d", len(one.Findings), len(four.Findings))
	}
	for i := range one.Findings {
		if one.Findings[i].Fingerprint != four.Findings[i].Fingerprint {
			t.Fatalf("order differs at %d", i)
		}
	}
	// Criticals cap the score at 40 whatever surrounds them.
	if one.Summary.Score == nil || *one.Summary.Score > 40 || one.Summary.Critical == 0 || one.Summary.Checks == 0 {
		t.Errorf("summary = %+v", one.Summary)
	}
	// Nothing checked: no score at all, never a perfect one.
	clean := engine.New().Scan(inventory.New(nil))
	if clean.Summary.Score != nil {
		t.Errorf("empty scan score = %d, want none", *clean.Summary.Score)
	}
}

// TestScoreOf pins the documented score: cost by each object's worst
// finding, capped by the worst severity present.
func TestScoreOf(t *testing.T) {
	sev := func(ss ...api.Severity) map[string]api.Severity {
		m := map[string]api.Severity{}
		for i, s := range ss {
			m[fmt.Sprint(i)] = s
		}
		return m
	}
	for _, c := range []struct {
		objects int
		worst   map[string]api.Severity
		want    int
	}{
		{10, sev(), 100},
		{10, sev(api.SeverityInfo), 100},
		{10, sev(api.SeverityLow), 99},                         // 99.5, capped at 99
		{100, sev(api.SeverityMedium), 90},                     // 99.8, capped at 90
		{1000, sev(api.SeverityHigh), 70},                      // one high anywhere caps at 70
		{1000, sev(api.SeverityCritical), 40},                  // one critical anywhere caps at 40
		{10, sev(api.SeverityHigh, api.SeverityHigh), 70},      // 90 capped at 70
		{4, sev(api.SeverityHigh, api.SeverityHigh, 0, 0), 70}, // 75 capped at 70
		{4, sev(api.SeverityHigh, api.SeverityHigh, api.SeverityHigh, api.SeverityHigh), 50},
		{2, sev(api.SeverityCritical, api.SeverityCritical), 0},
	} {
		if got := engine.ScoreOf(c.objects, c.worst); got != c.want {
			t.Errorf("ScoreOf(%d, %v) = %d, want %d", c.objects, c.worst, got, c.want)
		}
	}
}
