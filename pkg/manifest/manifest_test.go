package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func loadString(t *testing.T, s string) *Result {
	t.Helper()
	return NewLoader(WithStdin(strings.NewReader(s))).Load([]string{"-"})
}

const multi = `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContex:
          privileged: true
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: 3
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: svc
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
    - name: c
      image: busybox
`

func TestLoadMultiDocumentTypedUnstructuredAndList(t *testing.T) {
	r := loadString(t, multi)
	var kinds []string
	for _, o := range r.Objects {
		kinds = append(kinds, o.GVK.Kind)
	}
	if got := strings.Join(kinds, ","); got != "ConfigMap,Deployment,Widget,Service,Pod" {
		t.Fatalf("kinds = %s", got)
	}
	if _, ok := r.Objects[1].Obj.(*appsv1.Deployment); !ok {
		t.Errorf("Deployment decoded as %T", r.Objects[1].Obj)
	}
	if _, ok := r.Objects[2].Obj.(*unstructured.Unstructured); !ok {
		t.Errorf("CRD decoded as %T", r.Objects[2].Obj)
	}
	if _, ok := r.Objects[4].Obj.(*corev1.Pod); !ok {
		t.Errorf("List item decoded as %T", r.Objects[4].Obj)
	}
	wantLines := []int{2, 9, 22, 32, 36}
	for i, o := range r.Objects {
		if o.Source.Line != wantLines[i] {
			t.Errorf("%s at line %d, want %d", o.GVK.Kind, o.Source.Line, wantLines[i])
		}
	}
	d := r.Objects[1]
	if l := d.LocationOf("spec.template.spec.containers[0].image").Line; l != 18 {
		t.Errorf("image line = %d, want 18", l)
	}
	if l := d.LocationOf("spec.template.spec.containers[0].securityContext.privileged").Line; l != 17 {
		t.Errorf("missing field falls back to container line, got %d want 17", l)
	}
	if l := r.Objects[4].LocationOf("spec.containers[0].image").Line; l != 43 {
		t.Errorf("list item image line = %d, want 43", l)
	}
	if len(r.Problems) != 1 || !r.Problems[0].Warning || r.Problems[0].Location.Line != 19 ||
		!strings.Contains(r.Problems[0].Message, `unknown field "spec.template.spec.containers[0].securityContex"`) {
		t.Errorf("problems = %v", r.Problems)
	}
}

func TestBadDocumentDoesNotStopOthers(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata: [unclosed\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n"
	r := loadString(t, in)
	if len(r.Objects) != 2 {
		t.Fatalf("objects = %d, want 2", len(r.Objects))
	}
	if r.Errors() != 1 {
		t.Fatalf("problems = %v", r.Problems)
	}
	p := r.Problems[0]
	if p.Location.File != "-" || p.Location.Line != 8 || !strings.Contains(p.Message, "invalid YAML") {
		t.Errorf("problem = %v", p)
	}
}

// TestTypeMismatchIsAFieldError: a field that does not fit its type is an
// error at that field, and the rest of the object is still decoded (so
// still judged): one bad field used to keep every workload rule off it.
func TestTypeMismatchIsAFieldError(t *testing.T) {
	r := loadString(t, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers: notalist\n")
	if len(r.Objects) != 1 {
		t.Fatalf("objects = %d", len(r.Objects))
	}
	pod, ok := r.Objects[0].Obj.(*corev1.Pod)
	if !ok || !pod.Spec.HostNetwork || pod.Spec.Containers != nil {
		t.Errorf("mismatched Pod decoded as %T %+v", r.Objects[0].Obj, r.Objects[0].Obj)
	}
	if r.Errors() != 1 || !strings.Contains(r.Problems[0].Error(), "Pod/p") || r.Problems[0].Field != "spec.containers" ||
		!strings.Contains(r.Problems[0].Hint, "the rest of the object is checked") {
		t.Errorf("problems = %v", r.Problems)
	}
}

func TestRefusesBombsAndDeepNesting(t *testing.T) {
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		bomb += "x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9) + "*a" + string(rune('0'+i-1)) + "]\n"
	}
	r := loadString(t, bomb)
	if r.Errors() != 1 || !strings.Contains(r.Problems[0].Message, "alias bomb") {
		t.Fatalf("bomb: %v", r.Problems)
	}
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + strings.Repeat("[", 500) + strings.Repeat("]", 500) + "\n"
	r = loadString(t, deep)
	if r.Errors() != 1 {
		t.Fatalf("deep: %v", r.Problems)
	}
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  k: " + strings.Repeat("a", 200) + "\n"
	r = NewLoader(WithStdin(strings.NewReader(big)), WithLimits(Limits{MaxFileBytes: 1 << 20, MaxDocumentBytes: 100, MaxDepth: 10, MaxNodes: 100})).Load([]string{"-"})
	if r.Errors() != 1 || !strings.Contains(r.Problems[0].Message, "byte limit") {
		t.Fatalf("big: %v", r.Problems)
	}
}

func TestDirectoryWalkAndMissingPath(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub", ".git"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "a.json"), []byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}]}`), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", ".git", "c.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "README.md"), []byte("# no"), 0o644))
	r := NewLoader().Load([]string{dir, filepath.Join(dir, "missing.yaml")})
	if len(r.Objects) != 2 || r.Objects[0].Name() != "b" || r.Objects[1].Name() != "a" {
		t.Fatalf("objects = %v", r.Objects)
	}
	if r.Errors() != 1 || !strings.Contains(r.Problems[0].Error(), "missing.yaml: cannot read") {
		t.Fatalf("problems = %v", r.Problems)
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	cases := map[string]int{
		"apiVersion: v1\nkind: Pod\nc: d: e\n":   3,
		"apiVersion: v1\nkind: [1, 2\nc: 3\n":    2,
		"apiVersion: v1\nkind: Pod\nb:\n\t- x\n": 4,
		// go-yaml names the start of the enclosing mapping for this one.
		"apiVersion: v1\nkind:\n  - x\n - y\n":    1,
		"apiVersion: v1\nkind: Pod\na: 1\na: 2\n": 4,
	}
	for in, want := range cases {
		r := loadString(t, "# pad\n---\n"+in)
		if r.Errors() != 1 {
			t.Errorf("%q: problems %v", in, r.Problems)
			continue
		}
		if got := r.Problems[0].Location.Line; got != want+2 {
			t.Errorf("%q: line %d, want %d (%s)", in, got, want+2, r.Problems[0].Message)
		}
	}
}

func TestSplitMarkers(t *testing.T) {
	in := "---\na: 1\n--- # c\nb: 2\n...\n---\n\n# only comment\n---\nc: |\n  x\n  ---\n"
	chs := split([]byte(in))
	if len(chs) != 3 {
		t.Fatalf("chunks = %d: %v", len(chs), chs)
	}
	if chs[0].line != 1 || chs[1].line != 3 || chs[2].line != 9 {
		t.Errorf("lines = %d %d %d", chs[0].line, chs[1].line, chs[2].line)
	}
}

func TestLoneCarriageReturnsAreLineBreaks(t *testing.T) {
	r := loadString(t, "apiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: mac\r---\r[not, a, mapping]\r")
	if len(r.Objects) != 1 || r.Objects[0].Name() != "mac" {
		t.Fatalf("objects = %v", r.Objects)
	}
	if r.Errors() != 1 || r.Problems[0].Location.Line != 6 {
		t.Fatalf("problems = %v", r.Problems)
	}
}
