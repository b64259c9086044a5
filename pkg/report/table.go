package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

type tablePrinter struct{ o Options }

var severityColor = map[api.Severity]string{
	api.SeverityCritical: "\x1b[1;35m",
	api.SeverityHigh:     "\x1b[1;31m",
	api.SeverityMedium:   "\x1b[33m",
	api.SeverityLow:      "\x1b[36m",
	api.SeverityInfo:     "\x1b[90m",
}

const reset = "\x1b[0m"

func (p *tablePrinter) paint(s api.Severity, text string) string {
	if !p.o.Color {
		return text
	}
	return severityColor[s] + text + reset
}

func (p *tablePrinter) bold(text string) string {
	if !p.o.Color {
		return text
	}
	return "\x1b[1m" + text + reset
}

// Print writes findings grouped by object, then problems and a summary.
func (p *tablePrinter) Print(w io.Writer, res *engine.Result) error {
	ew := &errWriter{w: w}
	p.group(ew, res.Findings)
	if p.o.ShowSuppressed && len(res.Suppressed) > 0 {
		ew.printf("Suppressed:\n")
		for _, f := range res.Suppressed {
			s := f.Suppressed
			why := s.Source + ": " + s.Reason
			if s.Expires != "" {
				why += " (until " + s.Expires + ")"
			}
			ew.printf("  %-9s %s %s %s\n    %s\n", f.Severity.String(), f.RuleID, f.Object, loc(f.Location), why)
		}
		ew.printf("\n")
	}
	if len(res.Problems) > 0 {
		ew.printf("Input problems:\n")
		for _, pr := range res.Problems {
			kind := "error  "
			if pr.Warning {
				kind = "warning"
			}
			ew.printf("  %s %s\n", kind, pr.Error())
		}
		ew.printf("\n")
	}
	for _, sk := range res.Skipped {
		ew.printf("Skipped: %s\n", sk)
	}
	s := res.Summary
	if s.Partial {
		ew.printf("%s part of the input could not be read (see the problems above); findings may be missing.\n", p.bold("PARTIAL RESULTS:"))
	}
	ew.printf("%s %s critical, %s high, %s medium, %s low, %s info", p.bold("Summary:"),
		p.paint(api.SeverityCritical, fmt.Sprint(s.Critical)), p.paint(api.SeverityHigh, fmt.Sprint(s.High)),
		p.paint(api.SeverityMedium, fmt.Sprint(s.Medium)), p.paint(api.SeverityLow, fmt.Sprint(s.Low)), fmt.Sprint(s.Info))
	if s.Suppressed > 0 {
		ew.printf(", %d suppressed", s.Suppressed)
	}
	if s.Score == nil {
		ew.printf(" | no score: nothing was checked")
	} else {
		ew.printf(" | score %s over %d objects (%d checks)", s.ScoreText(), s.Objects, s.Checks)
	}
	if s.Platform > 0 {
		ew.printf(" | %d on Kubernetes' own objects not counted", s.Platform)
	}
	if s.Errors > 0 || s.Warnings > 0 {
		ew.printf(" | %d input errors, %d warnings", s.Errors, s.Warnings)
	}
	ew.printf("\n")
	return ew.err
}

func (p *tablePrinter) group(ew *errWriter, fs []api.Finding) {
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].Object == fs[i].Object && fs[j].Location.File == fs[i].Location.File {
			j++
		}
		head := fs[i].Object.String()
		if fs[i].Location.File != "" {
			head += "  " + fs[i].Location.File
		}
		ew.printf("%s\n", p.bold(head))
		idw := 0
		for _, f := range fs[i:j] {
			idw = max(idw, len(f.RuleID))
		}
		for _, f := range fs[i:j] {
			line := ""
			if f.Location.Line > 0 {
				line = fmt.Sprintf(":%d", f.Location.Line)
			}
			sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
			ew.printf("  %s %-*s %-6s %s\n", p.paint(f.Severity, sev), idw, f.RuleID, line, f.Message)
			if f.Note != "" {
				ew.printf("  %8s %-*s %-6s note: %s\n", "", idw, "", "", f.Note)
			}
			if len(f.Related) > 0 {
				ew.printf("  %8s %-*s %-6s also: %s\n", "", idw, "", "", strings.Join(f.Related, ", "))
			}
			if f.Platform {
				ew.printf("  %8s %-*s %-6s platform: a Kubernetes default object (shown by --include-system)\n", "", idw, "", "")
			}
		}
		ew.printf("\n")
		i = j
	}
}

func loc(l api.Location) string {
	if l.File == "" {
		return ""
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// errWriter remembers the first write error so printers stay linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
