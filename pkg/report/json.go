package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"io"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"sigs.k8s.io/yaml"
)

type jsonPrinter struct{ o Options }

// Print writes the result as indented JSON. Findings are encoded one at a
// time, so a report of 100,000 findings never exists twice in memory (as
// encoding/json's whole-document indenting would hold it).
func (p *jsonPrinter) Print(w io.Writer, res *engine.Result) error {
	d := document(res, p.o)
	bw := bufio.NewWriterSize(w, 64<<10)
	ew := &errWriter{w: bw}
	ew.printf("{\n  \"schemaVersion\": %s,\n  \"tool\": %s,\n  \"summary\": %s", enc(d.SchemaVersion, ""), enc(d.Tool, ""), enc(d.Summary, "  "))
	ew.printf(",\n  \"findings\": ")
	writeFindings(ew, d.Findings)
	if len(d.Suppressed) > 0 {
		ew.printf(",\n  \"suppressed\": ")
		writeFindings(ew, d.Suppressed)
	}
	if len(d.Problems) > 0 {
		ew.printf(",\n  \"problems\": ")
		writeArray(ew, len(d.Problems), func(i int) any { return d.Problems[i] })
	}
	if len(d.Skipped) > 0 {
		ew.printf(",\n  \"skipped\": %s", enc(d.Skipped, "  "))
	}
	ew.printf("\n}\n")
	if ew.err != nil {
		return ew.err
	}
	return bw.Flush()
}

// writeFindings writes an array of findings with the hand encoder, in
// pieces of about 64 KiB.
func writeFindings(ew *errWriter, fs []api.Finding) {
	if len(fs) == 0 {
		ew.printf("[]")
		return
	}
	ew.printf("[")
	b := make([]byte, 0, 80<<10)
	for i := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		var err error
		if b, err = appendFinding(b, &fs[i]); err != nil && ew.err == nil {
			ew.err = err
		}
		if len(b) >= 64<<10 || i == len(fs)-1 {
			if ew.err == nil {
				_, ew.err = ew.w.Write(b)
			}
			b = b[:0]
		}
	}
	ew.printf("\n  ]")
}

func writeArray(ew *errWriter, n int, item func(int) any) {
	if n == 0 {
		ew.printf("[]")
		return
	}
	// One encoder and buffer for the whole array: a report of 100,000
	// findings does not allocate an encoder per finding.
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("    ", "  ")
	ew.printf("[")
	for i := 0; i < n; i++ {
		buf.Reset()
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n    ")
		if err := e.Encode(item(i)); err != nil {
			ew.err = err
			return
		}
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if ew.err == nil {
			_, ew.err = ew.w.Write(b)
		}
	}
	ew.printf("\n  ]")
}

// enc encodes v as indented JSON whose continuation lines start with prefix,
// without HTML escaping, as json.Encoder with SetIndent would.
func enc(v any, prefix string) string {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent(prefix, "  ")
	if err := e.Encode(v); err != nil {
		return "null"
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
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
