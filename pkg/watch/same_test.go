package watch

import (
	"reflect"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// TestSameFindingComparesEveryField changes each field of a finding in
// turn, down into the object reference, location and suppression: each
// change must make the finding differ, or a pass would publish a stale one.
func TestSameFindingComparesEveryField(t *testing.T) {
	base := func() api.Finding {
		return api.Finding{RuleID: "r", Title: "t", Severity: api.SeverityHigh, Category: "c", Message: "m",
			Object: api.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "n", Name: "p", UID: "u"}, Container: "c",
			Field: "f", Location: api.Location{File: "x", Line: 1}, Fingerprint: "fp", Note: "n", Related: []string{"a"},
			Suppressed: &api.Suppression{Source: "config", Reason: "r", Expires: "2030-01-01"}}
	}
	a, b := base(), base()
	if !sameFinding(&a, &b) {
		t.Fatal("equal findings differ")
	}
	var walk func(v reflect.Value, path string)
	checked := 0
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
			return
		case reflect.Pointer:
			walk(v.Elem(), path)
			mutate := base()
			orig := base()
			reflect.ValueOf(&mutate).Elem().FieldByName(path[1:]).Set(reflect.Zero(v.Type()))
			if sameFinding(&orig, &mutate) {
				t.Errorf("%s set to nil: still the same", path)
			}
			return
		}
		// Change this leaf in a fresh copy, found by the same path.
		mutate := base()
		leaf := reflect.ValueOf(&mutate).Elem()
		for _, name := range splitPath(path) {
			if leaf.Kind() == reflect.Pointer {
				leaf = leaf.Elem()
			}
			leaf = leaf.FieldByName(name)
		}
		switch leaf.Kind() {
		case reflect.String:
			leaf.SetString(leaf.String() + "x")
		case reflect.Int, reflect.Int64, reflect.Int32:
			leaf.SetInt(leaf.Int() + 1)
		case reflect.Bool:
			leaf.SetBool(!leaf.Bool())
		case reflect.Slice:
			leaf.Set(reflect.Append(leaf, reflect.ValueOf("b")))
		default:
			t.Fatalf("%s: kind %s not handled by this test", path, leaf.Kind())
		}
		checked++
		orig := base()
		if sameFinding(&orig, &mutate) {
			t.Errorf("%s changed: still the same", path)
		}
	}
	walk(reflect.ValueOf(a), "")
	if checked < 20 {
		t.Fatalf("only %d fields checked", checked)
	}
}

func splitPath(p string) []string {
	var out []string
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
