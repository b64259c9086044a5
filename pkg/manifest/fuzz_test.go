package manifest

import (
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes through the whole decoder. It must never
// panic or hang, every problem must name a line inside the input, and
// every object must have a kind and a line.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		multi,
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}",
		"a: &x [1, *x]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  <<: {a: b}\n  k: |\n    multi\n    line\n",
		"--- !tag\napiVersion: v1\nkind: Pod\n...\n---\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: notanint}\n",
		"\xef\xbb\xbfapiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: !!binary aGVsbG8=}\n",
	} {
		f.Add([]byte(seed))
	}
	limits := Limits{MaxFileBytes: 1 << 20, MaxDocumentBytes: 64 << 10, MaxDepth: 50, MaxNodes: 20000}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewLoader(WithStdin(strings.NewReader(string(data))), WithLimits(limits), WithWorkers(2)).Load([]string{"-"})
		// Lines as YAML counts them: LF, CRLF and a lone CR each end one.
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(string(data), "\r\n", ""), "\r") + 1
		for _, p := range r.Problems {
			if p.Location.Line < 0 || p.Location.Line > lines || p.Message == "" {
				t.Fatalf("bad problem %+v for %d-line input", p, lines)
			}
		}
		for _, o := range r.Objects {
			if o.GVK.Kind == "" || o.Source.Line < 1 || o.Source.Line > lines {
				t.Fatalf("bad object %v at line %d", o.GVK, o.Source.Line)
			}
		}
	})
}
