package watch

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// TestBuildCapsReports: results are capped (by count, then by size so the
// object stays under 1 MiB) most severe first, the summary still counts
// every finding, and the annotation says how many were left out.
func TestBuildCapsReports(t *testing.T) {
	var fs []Tracked
	for i := 0; i < 5000; i++ {
		sev := api.SeverityLow
		if i%100 == 0 {
			sev = api.SeverityCritical
		}
		fs = append(fs, Tracked{Finding: &api.Finding{RuleID: "r", Severity: sev, Message: strings.Repeat("m", 290),
			Object: api.ObjectRef{Kind: "Pod", Namespace: "a", Name: fmt.Sprint("p", i)}, Fingerprint: fmt.Sprint(i)}, FirstSeen: time.Unix(1, 0)})
	}
	for _, tc := range []struct {
		limit, wantMax int
	}{{100, 100}, {5000, 5000}} {
		u := OpenReports.Build(ReportInput{Namespace: "a", NamespaceUID: "u", Findings: ptrs(fs), MaxResults: tc.limit})
		b, _ := json.Marshal(u.Object)
		results, _ := u.Object["results"].([]any)
		omitted, _ := strconv.Atoi(u.GetAnnotations()["guardrail.dev/results-omitted"])
		if len(b) > maxReportBytes || len(results) > tc.wantMax || len(results)+omitted != len(fs) {
			t.Errorf("limit %d: %d bytes, %d results, %d omitted", tc.limit, len(b), len(results), omitted)
		}
		if sev := results[0].(map[string]any)["severity"]; sev != "critical" {
			t.Errorf("limit %d: first result is %v, want the most severe", tc.limit, sev)
		}
		if sum := u.Object["summary"].(map[string]any); sum["fail"] != int64(len(fs)) {
			t.Errorf("limit %d: summary %v, want every finding counted", tc.limit, sum)
		}
	}
}

func ptrs(fs []Tracked) []*Tracked {
	out := make([]*Tracked, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	return out
}
