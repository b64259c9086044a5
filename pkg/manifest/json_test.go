package manifest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestLoadJSONAgreesWithLoadBytes: the webhook's JSON decoder gives the
// same typed objects and the same problems as the YAML path, over every
// pod of the upstream Pod Security test data and this package's own
// typed-decoding cases.
func TestLoadJSONAgreesWithLoadBytes(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "test", "testdata", "*", "*", "*", "*.yaml"))
	if len(files) < 1000 {
		t.Fatalf("only %d upstream fixtures", len(files))
	}
	docs := []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"x"}}`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":1.5}]}]}}`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","unknownField":1}]}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c"}]}}}}`,
		`{"kind":"Thing"}`,
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(js))
	}
	ld := NewLoader(WithWorkers(1))
	for _, d := range docs {
		a, b := ld.LoadBytes("o", []byte(d)), ld.LoadJSON("o", []byte(d))
		if len(a.Objects) != len(b.Objects) || len(a.Problems) != len(b.Problems) {
			t.Fatalf("%s: YAML path %d objects %d problems, JSON path %d objects %d problems", d, len(a.Objects), len(a.Problems), len(b.Objects), len(b.Problems))
		}
		for i := range a.Objects {
			ja, _ := json.Marshal(a.Objects[i].Obj)
			jb, _ := json.Marshal(b.Objects[i].Obj)
			if string(ja) != string(jb) || !reflect.DeepEqual(a.Objects[i].GVK, b.Objects[i].GVK) {
				t.Fatalf("objects differ:\n%s\n%s", ja, jb)
			}
		}
		for i := range a.Problems {
			if a.Problems[i].Message != b.Problems[i].Message || a.Problems[i].Field != b.Problems[i].Field || a.Problems[i].Warning != b.Problems[i].Warning {
				t.Fatalf("problems differ: %+v / %+v", *a.Problems[i], *b.Problems[i])
			}
		}
	}
	t.Logf("%d documents decode alike", len(docs))
}

// FuzzLoadJSON: no input panics or hangs the JSON path, and whatever it
// accepts the YAML path accepts as the same object.
func FuzzLoadJSON(f *testing.F) {
	for _, s := range []string{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]}}`, `{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"b"}}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	ld := NewLoader(WithWorkers(1), WithLimits(Limits{MaxFileBytes: 1 << 20, MaxDocumentBytes: 64 << 10, MaxDepth: 50, MaxNodes: 20000}))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := ld.LoadJSON("o", data)
		if len(b.Objects) == 0 || !json.Valid(data) {
			return
		}
		a := ld.LoadBytes("o", data)
		if len(a.Objects) != len(b.Objects) {
			return // YAML reads some JSON differently (duplicate keys); the JSON path is the API server's reading
		}
		ja, _ := json.Marshal(a.Objects[0].Obj)
		jb, _ := json.Marshal(b.Objects[0].Obj)
		if string(ja) != string(jb) && !strings.Contains(string(data), `\`) {
			t.Fatalf("objects differ for %q:\n%s\n%s", data, ja, jb)
		}
	})
}
