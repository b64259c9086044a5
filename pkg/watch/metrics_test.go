package watch

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/metrics.md")

// TestMetricsDoc fails when docs/metrics.md is not what the code makes.
func TestMetricsDoc(t *testing.T) {
	path := "../../docs/metrics.md"
	want := MetricsMarkdown()
	if *update {
		os.WriteFile(path, []byte(want), 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("docs/metrics.md is stale (go test ./pkg/watch -run MetricsDoc -update): %v", err)
	}
}

// TestGrafanaDashboard: the example dashboard parses and every guardrail_
// metric its queries use exists.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana/guardrail-watch.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil || len(d.Panels) == 0 {
		t.Fatalf("dashboard: %v", err)
	}
	known := map[string]bool{}
	for _, m := range MetricDocs() {
		known[m.Name] = true
	}
	re := regexp.MustCompile(`guardrail_[a-z_]+`)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, name := range re.FindAllString(tg.Expr, -1) {
				base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(name, "")
				if !known[base] {
					t.Errorf("panel %q uses unknown metric %s", p.Title, name)
				}
			}
		}
	}
}
