package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepeatedWarningsAreCounted: 5,000 documents that are not Kubernetes
// objects give MaxRepeatedWarnings warnings, the last counting the rest.
func TestRepeatedWarningsAreCounted(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		b.WriteString("a: 1\n---\n")
	}
	res := NewLoader(WithStdin(strings.NewReader(b.String()))).Load([]string{"-"})
	if len(res.Problems) != MaxRepeatedWarnings {
		t.Fatalf("%d problems, want %d", len(res.Problems), MaxRepeatedWarnings)
	}
	last := res.Problems[len(res.Problems)-1]
	if last.More != 5000-MaxRepeatedWarnings || !strings.Contains(last.Hint, "and 4980 more like this") {
		t.Errorf("last warning %+v", *last)
	}
}

// TestTopLevelJSONArray: a JSON array of objects is read like a List.
func TestTopLevelJSONArray(t *testing.T) {
	in := `[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]`
	res := NewLoader(WithStdin(strings.NewReader(in))).Load([]string{"-"})
	if len(res.Objects) != 2 || len(res.Problems) != 0 || res.Objects[1].Source.Line != 2 {
		t.Fatalf("%d objects, problems %v", len(res.Objects), res.Problems)
	}
}

// TestInvalidUTF8AtItsLine: a byte that is not UTF-8 is reported at its line.
func TestInvalidUTF8AtItsLine(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"\xff\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
	res := NewLoader(WithStdin(strings.NewReader(in))).Load([]string{"-"})
	if len(res.Problems) != 1 || res.Problems[0].Location.Line != 6 || len(res.Objects) != 1 {
		t.Fatalf("objects %d, problems %v", len(res.Objects), res.Problems)
	}
}

// TestExclude: --exclude leaves out directories and files by relative
// path or by name.
func TestExclude(t *testing.T) {
	dir := t.TempDir()
	cm := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n")
	}
	for _, p := range []string{"app/a.yaml", "vendor/x/b.yaml", "app/testdata/c.yaml", "app/d.tmpl.yaml"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, cm(strings.TrimSuffix(filepath.Base(p), ".yaml")), 0o644)
	}
	res := NewLoader(WithExclude([]string{"vendor", "testdata", "*.tmpl.yaml"})).Load([]string{dir})
	if len(res.Objects) != 1 || res.Objects[0].Name() != "a" {
		var names []string
		for _, o := range res.Objects {
			names = append(names, o.Name())
		}
		t.Errorf("objects %v, want only a", names)
	}
	if res := NewLoader(WithExclude([]string{"app/*"})).Load([]string{dir}); len(res.Objects) != 1 || res.Objects[0].Name() != "b" {
		t.Errorf("app/*: %d objects", len(res.Objects))
	}
}

// TestWarningCapKeepsTheFirstInInputOrder: with many decoders finishing in
// any order, the warnings kept are the first ones in the input, in order,
// and errors are all kept in place among them.
func TestWarningCapKeepsTheFirstInInputOrder(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		if i == 7 || i == 2500 {
			b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: [\n---\n") // an error, 4 lines
			continue
		}
		b.WriteString("a: 1\n---\n")
	}
	for run := 0; run < 5; run++ {
		res := NewLoader(WithWorkers(8), WithStdin(strings.NewReader(b.String()))).Load([]string{"-"})
		if len(res.Problems) != MaxRepeatedWarnings+2 {
			t.Fatalf("%d problems", len(res.Problems))
		}
		prev, warnings := 0, 0
		for _, p := range res.Problems {
			if p.Location.Line <= prev {
				t.Fatalf("problems out of input order: line %d after %d", p.Location.Line, prev)
			}
			prev = p.Location.Line
			if p.Warning {
				warnings++
				// Documents 0..6 are 2 lines each, document 7 the 4-line
				// error, then 2 lines each again.
				want := 2*(warnings-1) + 1
				if warnings > 7 {
					want = 2*warnings + 3
				}
				if p.Location.Line != want {
					t.Fatalf("warning %d at line %d, want %d (the first ones in the input)", warnings, p.Location.Line, want)
				}
			}
		}
		if last := res.Problems[len(res.Problems)-2]; last.More != 3000-2-MaxRepeatedWarnings {
			t.Errorf("the last kept warning counts %d more", last.More)
		}
	}
}
