package manifest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
	yaml "go.yaml.in/yaml/v3"
)

// slowParse is the reference: yaml.v3's node tree through the converter.
func slowParse(data []byte, lineOff int) (map[string]any, *fieldpath.Index, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, nil, false
	}
	n := root.Content[0]
	c := converter{limits: DefaultLimits(), lineOff: lineOff}
	c.lines.Add(fieldpath.Root, n.Line+lineOff)
	v, err := c.value(n, fieldpath.Root, 0)
	if err != nil {
		return nil, nil, false
	}
	return v.(map[string]any), c.lines.Build(), true
}

// agree checks that, when the fast path accepts a document, it yields the
// same values and the same field lines as the yaml.v3 path.
func agree(t *testing.T, name string, data []byte) (accepted bool) {
	t.Helper()
	var b fieldpath.Builder
	fm, line, err := fastParse(data, 10, DefaultLimits(), &b)
	if err != nil {
		return false
	}
	b.Add(fieldpath.Root, line)
	fix := b.Build()
	sm, six, ok := slowParse(data, 10)
	if !ok {
		t.Fatalf("%s: fast path accepted a document yaml.v3 rejects:\n%s", name, data)
	}
	if !reflect.DeepEqual(fm, sm) {
		t.Fatalf("%s: values differ\nfast: %#v\nslow: %#v\ninput:\n%s", name, fm, sm, data)
	}
	if !fix.Equal(six) {
		t.Fatalf("%s: line index differs (%d vs %d fields)\ninput:\n%s", name, fix.Len(), six.Len(), data)
	}
	return true
}

// TestFastPathAgreesOnRepositoryYAML runs every YAML document of the
// repository (fixtures, examples) and a generated corpus through both paths.
func TestFastPathAgreesOnRepositoryYAML(t *testing.T) {
	var docs, fast int
	check := func(name string, data []byte) {
		for _, ch := range split(data) {
			docs++
			if agree(t, name, ch.data) {
				fast++
			}
		}
	}
	eachTestInput(false, 7, 3000, check)
	t.Logf("fast path took %d of %d documents", fast, docs)
	if fast < docs*9/10 {
		t.Errorf("fast path declined too often: %d of %d", fast, docs)
	}
}

// eachTestInput calls check with every manifest of the repository (rules
// fixtures, examples, deploy), optionally the upstream Pod Security test
// data, and a generated corpus of n objects.
func eachTestInput(upstream bool, seed uint64, n int, check func(name string, data []byte)) {
	roots := []string{"../rules/testdata", "../../examples", "../../deploy"}
	if upstream {
		if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output(); err == nil {
			roots = append(roots, filepath.Join(strings.TrimSpace(string(out)), "test", "testdata"))
		}
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && manifestExt(path) {
				data, _ := os.ReadFile(path)
				check(path, data)
			}
			return nil
		})
	}
	var buf bytes.Buffer
	corpus.New(seed).Write(&buf, n)
	check("corpus", buf.Bytes())
}

func TestFastPathCases(t *testing.T) {
	accepted := []string{
		"a: 1\nb: [x, 'y', \"z\\n\", {c: d}]\nc: {}\nd: []\n",
		"a:\n- b: 1\n  c:\n  - 2\n  - 3\n- |\n  lit\n    more\n\n  end\n- >-\n  folded\n  text\n\n  para\n",
		"k: |+\n  keep\n\n\nnext: 1\n",
		"'quoted key': \"v # not a comment\" # comment\nurl: http://x:8080/a#frag\nport: 0755\nneg: -1\nf: 1.5e3\nt: True\nn: ~\ne:\n",
		"a:\n  b:\n    c: d\n  e: f\ng: h\n",
		"- 1\n",
	}
	for _, in := range accepted[:len(accepted)-1] {
		if !agree(t, "case", []byte(in)) {
			t.Errorf("fast path declined:\n%s", in)
		}
	}
	declined := []string{
		"a: &x 1\nb: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: multi\n  line\n", "a: \"multi\n  line\"\n",
		"? complex\n: key\n", "a: [1,\n 2]\n", "a:\n\t- x\n", "a: b: c\n", "- 1\n", "a: |2\n   x\n",
	}
	for _, in := range declined {
		var b fieldpath.Builder
		if _, _, err := fastParse([]byte(in), 0, DefaultLimits(), &b); err == nil {
			t.Errorf("fast path accepted what it should leave to yaml.v3:\n%s", in)
		}
	}
}

// FuzzFastPathAgrees: whatever the fast path accepts, yaml.v3 must read the same.
func FuzzFastPathAgrees(f *testing.F) {
	f.Add([]byte(multi))
	f.Add([]byte("a:\n- b: 1\n  c: [x, {y: z}]\n- |\n  lit\n"))
	f.Add([]byte("k: >\n  a\n  b\n\n  c\nq: 'it''s'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !strings.Contains(string(data), "\x00") {
			agree(t, "fuzz", data)
		}
	})
}
