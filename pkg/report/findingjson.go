package report

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// The JSON report's findings are encoded by hand: with tens of thousands
// of findings, reflection and a second indentation pass were most of the
// time spent printing. The output is byte for byte what encoding/json
// gives with SetEscapeHTML(false) and SetIndent("    ", "  ") (the
// differential test and fuzz target check it).

// appendFinding appends f as an element of the findings array.
func appendFinding(b []byte, f *api.Finding) ([]byte, error) {
	if !f.Severity.Valid() {
		return b, fmt.Errorf("json: error calling MarshalText for type api.Severity: invalid severity %d", int(f.Severity))
	}
	const in1, in2 = "\n      ", "\n        "
	b = append(b, '{')
	b = appendField(b, in1, "ruleID", f.RuleID, true)
	b = appendField(b, in1, "title", f.Title, false)
	b = appendField(b, in1, "severity", f.Severity.String(), false)
	b = appendField(b, in1, "category", string(f.Category), false)
	b = appendField(b, in1, "message", f.Message, false)
	b = append(b, ","+in1+`"object": {`...)
	first := true
	field := func(name, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		b = appendField(b, in2, name, v, first)
		first = false
	}
	field("apiVersion", f.Object.APIVersion, true)
	field("kind", f.Object.Kind, false)
	field("namespace", f.Object.Namespace, true)
	field("name", f.Object.Name, false)
	field("uid", f.Object.UID, true)
	b = append(b, in1+"}"...)
	if f.Container != "" {
		b = appendField(b, in1, "container", f.Container, false)
	}
	if f.Field != "" {
		b = appendField(b, in1, "field", f.Field, false)
	}
	b = append(b, ","+in1+`"location": {`...)
	switch {
	case f.Location.File == "" && f.Location.Line == 0:
		b = append(b, '}')
	default:
		first = true
		field("file", f.Location.File, true)
		if f.Location.Line != 0 {
			if !first {
				b = append(b, ',')
			}
			b = append(b, in2+`"line": `...)
			b = strconv.AppendInt(b, int64(f.Location.Line), 10)
		}
		b = append(b, in1+"}"...)
	}
	b = appendField(b, in1, "fingerprint", f.Fingerprint, false)
	if f.Note != "" {
		b = appendField(b, in1, "note", f.Note, false)
	}
	if len(f.Related) > 0 {
		b = append(b, ","+in1+`"related": [`...)
		for i, id := range f.Related {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, in2...)
			b = appendString(b, id)
		}
		b = append(b, in1+"]"...)
	}
	if f.Platform {
		b = append(b, ","+in1+`"platform": true`...)
	}
	if s := f.Suppressed; s != nil {
		b = append(b, ","+in1+`"suppressed": {`...)
		first = true
		field("source", s.Source, false)
		field("reason", s.Reason, true)
		field("expires", s.Expires, true)
		b = append(b, in1+"}"...)
	}
	return append(b, "\n    }"...), nil
}

// appendField appends `,<indent>"name": "value"` (no comma when first).
func appendField(b []byte, indent, name, v string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, indent...)
	b = appendString(b, name)
	b = append(b, ": "...)
	return appendString(b, v)
}

const hexDigits = "0123456789abcdef"

// appendString quotes s the way encoding/json does without HTML escaping:
// quote and backslash escaped, \b \f \n \r \t by name, other control
// characters as \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
