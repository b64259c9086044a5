package watch

import (
	"reflect"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// TestDigestCoversWhatBuildReads changes every field of the input and of
// its finding, one at a time: whenever the built report changes, the
// digest must change too, or an unchanged digest would keep a stale
// report on the server.
func TestDigestCoversWhatBuildReads(t *testing.T) {
	in := ReportInput{Namespace: "a", NamespaceUID: "u", Passed: 3, MaxResults: 10, Errors: []string{"e"},
		Findings: []*Tracked{{Finding: &api.Finding{RuleID: "r", Title: "t", Severity: api.SeverityHigh, Category: "c", Message: "m",
			Object: api.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "a", Name: "p", UID: "x"}, Container: "c", Field: "f",
			Fingerprint: "fp", Note: "n", Related: []string{"o"}, Location: api.Location{File: "f", Line: 1},
			Suppressed: &api.Suppression{Source: "config", Reason: "why", Expires: "2030-01-01"}},
			FirstSeen: time.Unix(100, 0), Generation: 2, Manager: "kubectl"}}}
	refKey, refDigest := contentKey(OpenReports.Build(in)), in.digest()
	fields, changed := 0, 0
	probe := func(path string) {
		fields++
		key, digest := contentKey(OpenReports.Build(in)), in.digest()
		if key != refKey {
			changed++
			if digest == refDigest {
				t.Errorf("changing %s changes the report but not the digest", path)
			}
		}
	}
	// walk mutates each leaf of v in place, probes, and restores it.
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		old := reflect.New(v.Type()).Elem()
		old.Set(v)
		defer v.Set(old)
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(time.Time{}) {
				v.Set(reflect.ValueOf(time.Unix(200, 0)))
				probe(path)
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Pointer:
			walk(v.Elem(), path)
			if v.Type() != reflect.TypeOf(&Tracked{}) && v.Type() != reflect.TypeOf(&api.Finding{}) {
				v.Set(reflect.Zero(v.Type()))
				probe(path + "=nil")
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path+"[]")
			}
			if v.Type().Elem().Kind() == reflect.String {
				v.Set(reflect.Append(v, reflect.ValueOf("more")))
				probe(path + "+")
			}
		case reflect.String:
			v.SetString(v.String() + "2")
			probe(path)
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
			probe(path)
		case reflect.Bool:
			v.SetBool(!v.Bool())
			probe(path)
		default:
			t.Fatalf("%s: unhandled kind %s", path, v.Kind())
		}
	}
	walk(reflect.ValueOf(&in).Elem(), "in")
	if changed < 15 || changed == fields {
		t.Errorf("%d of %d field changes changed the report: the walk is not reaching the fields", changed, fields)
	}
	t.Logf("%d of %d field changes change the report", changed, fields)
}
