package report

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

// Document is the JSON and YAML form of a result.
type Document struct {
	// SchemaVersion versions this document's shape.
	SchemaVersion string `json:"schemaVersion"`
	// Tool is "guardrail <version>".
	Tool string `json:"tool"`
	// Summary counts findings and scores the posture.
	Summary engine.Summary `json:"summary"`
	// Findings are the active findings.
	Findings []api.Finding `json:"findings"`
	// Suppressed are listed only with --show-suppressed.
	Suppressed []api.Finding `json:"suppressed,omitempty"`
	// Problems are input errors and warnings.
	Problems []*api.Problem `json:"problems,omitempty"`
	// Skipped says what was not examined and why.
	Skipped []string `json:"skipped,omitempty"`
}

func document(res *engine.Result, o Options) Document {
	d := Document{SchemaVersion: "guardrail.dev/v1", Tool: "guardrail " + o.Version, Summary: res.Summary,
		Findings: res.Findings, Problems: res.Problems, Skipped: res.Skipped}
	if d.Findings == nil {
		d.Findings = []api.Finding{}
	}
	if o.ShowSuppressed {
		d.Suppressed = res.Suppressed
	}
	return d
}
