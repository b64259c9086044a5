package report

import (
	"io"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

type markdownPrinter struct{ o Options }

// Print writes a Markdown report suited to a pull-request comment.
func (p *markdownPrinter) Print(w io.Writer, res *engine.Result) error {
	ew := &errWriter{w: w}
	s := res.Summary
	ew.printf("## Guardrail scan\n\n")
	if s.Partial {
		ew.printf("> **Partial results:** part of the input could not be read; findings may be missing.\n\n")
	}
	ew.printf("| Critical | High | Medium | Low | Info | Suppressed | Score |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	ew.printf("| %d | %d | %d | %d | %d | %d | %s |\n\n", s.Critical, s.High, s.Medium, s.Low, s.Info, s.Suppressed, s.ScoreText())
	if len(res.Findings) == 0 {
		ew.printf("No findings.\n")
	} else {
		ew.printf("| Severity | Rule | Object | Location | Finding |\n|---|---|---|---|---|\n")
		for _, sev := range api.Severities {
			for _, f := range res.Findings {
				if f.Severity == sev {
					ew.printf("| %s | `%s` | %s | %s | %s |\n", sev, f.RuleID, md(f.Object.String()), md(loc(f.Location)), md(f.Message))
				}
			}
		}
	}
	if p.o.ShowSuppressed && len(res.Suppressed) > 0 {
		ew.printf("\n### Suppressed\n\n| Rule | Object | Source | Reason | Expires |\n|---|---|---|---|---|\n")
		for _, f := range res.Suppressed {
			ew.printf("| `%s` | %s | %s | %s | %s |\n", f.RuleID, md(f.Object.String()), f.Suppressed.Source, md(f.Suppressed.Reason), f.Suppressed.Expires)
		}
	}
	if len(res.Problems) > 0 {
		ew.printf("\n### Input problems\n\n")
		for _, pr := range res.Problems {
			ew.printf("- %s\n", md(pr.Error()))
		}
	}
	return ew.err
}

// md escapes text for a Markdown table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
