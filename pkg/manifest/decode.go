package manifest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// decoded is what one document yields.
type decoded struct {
	objects  []*inventory.Object
	problems []*api.Problem
}

// decodeChunk decodes one YAML (or JSON) document of file.
func decodeChunk(file string, ch chunk, limits Limits) decoded {
	var out decoded
	problem := func(line int, obj, field, msg, hint string, warning bool) {
		out.problems = append(out.problems, &api.Problem{Location: api.Location{File: file, Line: line},
			Object: obj, Field: secrets.SafeText(field), Message: msg, Hint: hint, Warning: warning})
	}
	if len(ch.data) > limits.MaxDocumentBytes {
		problem(ch.line, "", "", fmt.Sprintf("document is %d bytes, over the %d byte limit", len(ch.data), limits.MaxDocumentBytes),
			"split it; the API server refuses objects over about 1.5 MB", false)
		return out
	}
	if !useYAMLv3Only {
		var b fieldpath.Builder
		if m, line, err := fastParse(ch.data, ch.line-1, limits, &b); err == nil && !isList(m) {
			b.Add(fieldpath.Root, line)
			objectFromMap(file, m, line, &b, &out, problem)
			return out
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(ch.data, &root); err != nil {
		l, msg := yamlLine(err)
		if strings.Contains(msg, "UTF-8") {
			// yaml.v3 reports encoding errors without a line.
			if bl := badUTF8Line(ch.data); bl > 0 {
				l = bl
			}
		}
		if last := lastContentLine(ch.data); l > last {
			l = last // errors at end of input point past the last line
		}
		if l > 0 {
			l += ch.line - 1
		} else {
			l = ch.line
		}
		problem(l, "", "", "invalid YAML: "+msg, "fix the syntax; other documents are still scanned", false)
		return out
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = *root.Content[0]
	}
	if root.Kind == 0 || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		return out
	}
	// A top-level sequence of mappings (a JSON array of objects, as
	// `kubectl get -o json | jq .items` prints) is read like a List.
	if root.Kind == yaml.SequenceNode && len(root.Content) > 0 && allMappings(root.Content) {
		for _, item := range root.Content {
			decodeObject(file, item, ch.line-1, limits, &out, problem)
		}
		return out
	}
	if root.Kind != yaml.MappingNode {
		problem(root.Line+ch.line-1, "", "", "document is not a mapping", "a Kubernetes object is a YAML mapping with apiVersion and kind", false)
		return out
	}
	decodeObject(file, &root, ch.line-1, limits, &out, problem)
	return out
}

// badUTF8Line is the 1-based line of the first byte that is not UTF-8, or 0.
func badUTF8Line(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if data[i] == '\n' {
			line++
		}
		i += n
	}
	return 0
}

func allMappings(ns []*yaml.Node) bool {
	for _, n := range ns {
		if n.Kind != yaml.MappingNode {
			return false
		}
	}
	return true
}

type problemFunc func(line int, obj, field, msg, hint string, warning bool)

// decodeObject decodes the mapping n, expanding List kinds into their items.
func decodeObject(file string, n *yaml.Node, lineOff int, limits Limits, out *decoded, problem problemFunc) {
	line := n.Line + lineOff
	apiVersion, kind := scalarField(n, "apiVersion"), scalarField(n, "kind")
	if items := mapField(n, "items"); items != nil && strings.HasSuffix(kind, "List") {
		if items.Kind != yaml.SequenceNode {
			problem(items.Line+lineOff, kind, "items", "items is not a list", "", false)
			return
		}
		for _, it := range items.Content {
			for it.Kind == yaml.AliasNode && it.Alias != nil {
				it = it.Alias
			}
			if it.Kind != yaml.MappingNode {
				problem(it.Line+lineOff, kind, "items", "list item is not a mapping", "", false)
				continue
			}
			decodeObject(file, it, lineOff, limits, out, problem)
		}
		return
	}
	if apiVersion == "" || kind == "" {
		problem(line, "", "", "not a Kubernetes object (no apiVersion or kind); skipped",
			"pass only manifests, or ignore this warning for other YAML files", true)
		return
	}
	c := converter{limits: limits, lineOff: lineOff}
	c.lines.Add(fieldpath.Root, line)
	v, err := c.value(n, fieldpath.Root, 0)
	if err != nil {
		var ce *convError
		if errors.As(err, &ce) {
			problem(ce.line, kind, "", ce.msg, ce.hint, false)
		} else {
			problem(line, kind, "", err.Error(), "", false)
		}
		return
	}
	objectFromMap(file, v.(map[string]any), line, &c.lines, out, problem)
}

// useYAMLv3Only disables the fast path; the differential tests flip it.
var useYAMLv3Only = false

// isList reports whether m is a List kind, which the yaml.v3 path expands.
func isList(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	_, items := m["items"]
	return items && strings.HasSuffix(kind, "List")
}

// objectFromMap builds the object of a decoded root mapping that starts at line.
func objectFromMap(file string, m map[string]any, line int, b *fieldpath.Builder, out *decoded, problem problemFunc) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	if apiVersion == "" || kind == "" {
		problem(line, "", "", "not a Kubernetes object (no apiVersion or kind); skipped",
			"pass only manifests, or ignore this warning for other YAML files", true)
		return
	}
	lines := b.Build()
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		problem(line, kind, "apiVersion", fmt.Sprintf("invalid apiVersion %q", apiVersion), "use group/version, for example apps/v1", false)
		return
	}
	// The GVK outlives the document: intern it rather than keep substrings
	// that pin the document's text.
	gvk := schema.GroupVersionKind{Group: intern(gv.Group), Version: intern(gv.Version), Kind: intern(kind)}
	src := api.Location{File: file, Line: line}
	obj, problems := toTyped(gvk, m)
	label := strings.Clone(kind)
	if name := nameOf(m); name != "" {
		label = kind + "/" + name
	}
	for _, p := range problems {
		problem(lines.Line(p.field), label, p.field, p.msg, p.hint, p.warning)
	}
	o, err := inventory.NewObject(gvk, obj, src, lines)
	if err != nil {
		problem(line, label, "metadata", err.Error(), "", false)
		return
	}
	for _, p := range problems {
		if !p.warning {
			o.Undecoded = append(o.Undecoded, secrets.SafeText(p.field))
		}
	}
	out.objects = append(out.objects, o)
}

type fieldProblem struct {
	field, msg, hint string
	warning          bool
}

// toTyped converts m to the typed object of gvk when the scheme knows it.
// A field that does not fit its type is an error at that field; the field
// is left out and the rest of the object is decoded and judged. An object
// that does not fit at all is kept unstructured, so that it is still
// indexed and seen by the rules that read unstructured objects.
func toTyped(gvk schema.GroupVersionKind, m map[string]any) (runtime.Object, []fieldProblem) {
	if !scheme.Scheme.Recognizes(gvk) {
		return &unstructured.Unstructured{Object: own(m).(map[string]any)}, nil
	}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		return &unstructured.Unstructured{Object: own(m).(map[string]any)}, nil
	}
	d := typedDecoder{}
	if err := d.decode(m, reflect.ValueOf(typed).Elem()); err != nil {
		return &unstructured.Unstructured{Object: own(m).(map[string]any)}, []fieldProblem{{field: fieldOf(err), msg: "does not match the " + gvk.Kind + " schema: " + err.Error(),
			hint: "fix the field type; the object is checked only by rules that read raw objects"}}
	}
	var ps []fieldProblem
	for _, err := range d.errs {
		ps = append(ps, fieldProblem{field: fieldOf(err), msg: "does not match the " + gvk.Kind + " schema: " + err.Error(),
			hint: "fix the field type; the rest of the object is checked, this field is not"})
	}
	for _, f := range d.unknown {
		ps = append(ps, fieldProblem{field: f, msg: fmt.Sprintf("unknown field %q: Kubernetes drops or rejects it, so the setting does not apply", secrets.SafeText(f)),
			hint: "check the spelling and indentation against the " + gvk.Kind + " schema", warning: true})
	}
	return typed, ps
}

// own interns every string of a generic value, so that an unstructured
// object does not keep the text it was parsed from alive.
func own(v any) any {
	switch x := v.(type) {
	case string:
		return intern(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[intern(k)] = own(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = own(e)
		}
		return x
	}
	return v
}

// fieldOf extracts the field path that prefixes a decoding error.
func fieldOf(err error) string {
	f, _, _ := strings.Cut(err.Error(), ": ")
	return f
}

func mapField(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

func scalarField(n *yaml.Node, key string) string {
	if v := mapField(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func nameOf(m map[string]any) string {
	if md, ok := m["metadata"].(map[string]any); ok {
		if n, ok := md["name"].(string); ok {
			return n
		}
		if n, ok := md["generateName"].(string); ok {
			return n
		}
	}
	return ""
}

// lastContentLine is the 1-based number of the last non-blank line of d.
func lastContentLine(d []byte) int {
	line, last := 1, 0
	blank := true
	for _, b := range d {
		switch b {
		case '\n':
			if !blank {
				last = line
			}
			line++
			blank = true
		case ' ', '\t', '\r':
		default:
			blank = false
		}
	}
	if !blank {
		last = line
	}
	return last
}
