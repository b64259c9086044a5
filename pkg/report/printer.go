package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

// Printer writes a result in one format.
type Printer interface {
	Print(w io.Writer, res *engine.Result) error
}

// Options tune the printers.
type Options struct {
	// Color enables ANSI colour in the table printer.
	Color bool
	// ShowSuppressed includes excepted and baselined findings, with their reasons.
	ShowSuppressed bool
	// Version is the Guardrail version, recorded in SARIF and JSON.
	Version string
}

// Formats lists the output formats by name.
var Formats = map[string]func(Options) Printer{
	"table":    func(o Options) Printer { return &tablePrinter{o} },
	"json":     func(o Options) Printer { return &jsonPrinter{o} },
	"yaml":     func(o Options) Printer { return &yamlPrinter{o} },
	"sarif":    func(o Options) Printer { return &sarifPrinter{o} },
	"junit":    func(o Options) Printer { return &junitPrinter{o} },
	"markdown": func(o Options) Printer { return &markdownPrinter{o} },
	"html":     func(o Options) Printer { return &htmlPrinter{o: o} },
}

// FormatNames returns the format names, sorted.
func FormatNames() []string {
	var out []string
	for k := range Formats {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New returns the printer for format.
func New(format string, o Options) (Printer, error) {
	f, ok := Formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(FormatNames(), ", "))
	}
	return f(o), nil
}
