package report

import (
	"encoding/json"
	"io"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"sigs.k8s.io/yaml"
)

type jsonPrinter struct{ o Options }

// Print writes the result as indented JSON.
func (p *jsonPrinter) Print(w io.Writer, res *engine.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(document(res, p.o))
}

type yamlPrinter struct{ o Options }

// Print writes the result as YAML, with the same fields as JSON.
func (p *yamlPrinter) Print(w io.Writer, res *engine.Result) error {
	b, err := yaml.Marshal(document(res, p.o))
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
