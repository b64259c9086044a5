package manifest

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// compareDecoders decodes m with the typed decoder and with apimachinery's
// FromUnstructuredWithValidation and fails on any difference in the object,
// in whether decoding failed, or in the unknown fields reported.
func compareDecoders(t *testing.T, name string, m map[string]any) bool {
	t.Helper()
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || kind == "" {
		return false
	}
	gvk := gv.WithKind(kind)
	if !scheme.Scheme.Recognizes(gvk) {
		return false
	}
	ours, _ := scheme.Scheme.New(gvk)
	theirs, _ := scheme.Scheme.New(gvk)
	d := typedDecoder{}
	ourErr := d.decode(m, reflect.ValueOf(ours).Elem())
	if ourErr == nil && len(d.errs) > 0 {
		ourErr = d.errs[0] // a field error: apimachinery refuses the whole object
	}
	theirErr := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(m, theirs, true)
	var strict interface{ Errors() []error }
	var theirUnknown []string
	if errors.As(theirErr, &strict) {
		for _, e := range strict.Errors() {
			msg := e.Error()
			theirUnknown = append(theirUnknown, msg[strings.IndexByte(msg, '"')+1:strings.LastIndexByte(msg, '"')])
		}
		theirErr = nil
	}
	if (ourErr == nil) != (theirErr == nil) {
		t.Fatalf("%s: error differs: ours %v, apimachinery %v", name, ourErr, theirErr)
	}
	if ourErr != nil {
		return true
	}
	if !reflect.DeepEqual(ours, theirs) {
		t.Fatalf("%s: %s decodes differently\nours:   %#v\ntheirs: %#v", name, gvk, ours, theirs)
	}
	sort.Strings(d.unknown)
	sort.Strings(theirUnknown)
	if strings.Join(d.unknown, ",") != strings.Join(theirUnknown, ",") {
		t.Fatalf("%s: unknown fields differ: ours %v, apimachinery %v", name, d.unknown, theirUnknown)
	}
	return true
}

func genericDocs(data []byte) []map[string]any {
	var out []map[string]any
	for _, ch := range split(data) {
		if sm, _, ok := slowParse(ch.data, 0); ok {
			out = append(out, sm)
		}
	}
	return out
}

func TestTypedDecoderMatchesApimachinery(t *testing.T) {
	n := 0
	check := func(name string, data []byte) {
		for _, m := range genericDocs(data) {
			if compareDecoders(t, name, m) {
				n++
			}
		}
	}
	eachTestInput(true, 3, 2000, check)
	// Type mismatches and unknown fields must be judged alike.
	check("mismatch", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: notalist}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2.0, template: {spec: {containers: [{name: c, securityContex: {}}]}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2.5}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: aGk=, b: '', c: '!!notbase64'}\n"))
	if n < 5000 {
		t.Errorf("compared only %d objects", n)
	}
	t.Logf("typed decoder agrees with apimachinery on %d objects", n)
}

// FuzzTypedDecoder: for any document, the typed decoder and apimachinery agree.
func FuzzTypedDecoder(f *testing.F) {
	f.Add([]byte(multi))
	f.Add([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetPort: http}], type: NodePort}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, creationTimestamp: '2024-01-01T00:00:00Z'}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1}}}], overhead: {memory: 1Gi}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range genericDocs(data) {
			compareDecoders(t, "fuzz", m)
		}
	})
}
