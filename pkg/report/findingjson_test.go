package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// stdFinding is the reference: encoding/json as the report used it.
func stdFinding(t testing.TB, f *api.Finding) []byte {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("    ", "  ")
	if err := e.Encode(f); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var nasty = []string{"", "plain", `quo"te`, `back\slash`, "tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f", "<html> & 'amp'",
	"ünïcödé ✓ 漢字", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🔐", "/slash/", "a\u00a0b", "\x1b[31mred"}

func randomFinding(r *rand.Rand) *api.Finding {
	s := func() string { return nasty[r.IntN(len(nasty))] }
	f := &api.Finding{RuleID: s(), Title: s(), Severity: api.Severity(r.IntN(5)), Category: api.Category(s()), Message: s(),
		Object:    api.ObjectRef{APIVersion: s(), Kind: s(), Namespace: s(), Name: s(), UID: s()},
		Container: s(), Field: s(), Location: api.Location{File: s()}, Fingerprint: s(), Note: s()}
	if r.IntN(2) == 0 {
		f.Location.Line = r.IntN(100000) - 10
	}
	for range r.IntN(3) {
		f.Related = append(f.Related, s())
	}
	f.Platform = r.IntN(2) == 0
	if r.IntN(3) == 0 {
		f.Suppressed = &api.Suppression{Source: s(), Reason: s(), Expires: s()}
	}
	return f
}

// TestAppendFindingMatchesEncodingJSON: the hand encoder gives exactly the
// bytes encoding/json gives, on random findings with every kind of
// awkward string and every optional field present or not.
func TestAppendFindingMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		f := randomFinding(r)
		got, err := appendFinding(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdFinding(t, f); !bytes.Equal(got, want) {
			t.Fatalf("finding %+v:\ngot:\n%s\nwant:\n%s", f, got, want)
		}
	}
	if _, err := appendFinding(nil, &api.Finding{Severity: 42}); err == nil {
		t.Error("an invalid severity must fail as encoding/json fails")
	}
}

// FuzzAppendFinding: any strings encode as encoding/json encodes them.
func FuzzAppendFinding(f *testing.F) {
	for _, s := range nasty {
		f.Add(s, s, 3)
	}
	f.Fuzz(func(t *testing.T, a, b string, line int) {
		fd := &api.Finding{RuleID: a, Title: b, Severity: api.SeverityHigh, Message: a + b, Object: api.ObjectRef{Kind: b, Name: a, Namespace: b},
			Field: a, Location: api.Location{File: b, Line: line}, Fingerprint: a, Suppressed: &api.Suppression{Source: a, Reason: b}}
		got, err := appendFinding(nil, fd)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdFinding(t, fd); !bytes.Equal(got, want) {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	})
}
