package manifest

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
)

// flowParser reads a flow collection ("[a, b]", "{k: v}") that ends on
// the line it starts on.
type flowParser struct {
	s      string
	pos    int
	line   int
	h      fieldpath.Hash
	b      *fieldpath.Builder
	depth  int
	limits Limits
	nodes  *int
}

func (f *flowParser) ws() {
	for f.pos < len(f.s) && f.s[f.pos] == ' ' {
		f.pos++
	}
}

func (f *flowParser) node(h fieldpath.Hash, depth int) (any, error) {
	*f.nodes++
	if *f.nodes > f.limits.MaxNodes || depth > f.limits.MaxDepth {
		return nil, errFallback
	}
	f.ws()
	if f.pos >= len(f.s) {
		return nil, errFallback
	}
	switch f.s[f.pos] {
	case '[':
		f.pos++
		out := []any{}
		for {
			f.ws()
			if f.pos >= len(f.s) {
				return nil, errFallback
			}
			if f.s[f.pos] == ']' {
				f.pos++
				return out, nil
			}
			ih := h.Index(len(out))
			f.b.Add(ih, f.line)
			v, err := f.node(ih, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			if !f.sep(']') {
				return nil, errFallback
			}
		}
	case '{':
		f.pos++
		out := map[string]any{}
		for {
			f.ws()
			if f.pos >= len(f.s) {
				return nil, errFallback
			}
			if f.s[f.pos] == '}' {
				f.pos++
				return out, nil
			}
			keyStart := f.pos
			key, err := f.scalarText(true)
			if err != nil {
				return nil, err
			}
			if f.pos-keyStart > 1000 {
				return nil, errFallback // YAML caps implicit keys at 1024 characters
			}
			f.ws()
			if f.pos >= len(f.s) || f.s[f.pos] != ':' {
				return nil, errFallback
			}
			f.pos++
			if _, dup := out[key]; dup {
				return nil, errFallback
			}
			kh := h.Key(key)
			f.b.Add(kh, f.line)
			f.ws()
			var v any
			if f.pos < len(f.s) && (f.s[f.pos] == ',' || f.s[f.pos] == '}') {
				v = nil
			} else if v, err = f.node(kh, depth+1); err != nil {
				return nil, err
			}
			out[key] = v
			if !f.sep('}') {
				return nil, errFallback
			}
		}
	case '"', '\'':
		s, n, ok := quoted(f.s[f.pos:])
		if !ok {
			return nil, errFallback
		}
		f.pos += n
		return s, nil
	}
	s, err := f.scalarText(false)
	if err != nil {
		return nil, err
	}
	v, err := resolvePlain(s)
	if err != nil {
		return nil, errFallback
	}
	return v, nil
}

// sep consumes "," or stops before the closing bracket.
func (f *flowParser) sep(closing byte) bool {
	f.ws()
	if f.pos >= len(f.s) {
		return false
	}
	switch f.s[f.pos] {
	case ',':
		f.pos++
		return true
	case closing:
		return true
	}
	return false
}

// scalarText reads a plain (or, for keys, quoted) scalar inside a flow collection.
func (f *flowParser) scalarText(key bool) (string, error) {
	f.ws()
	if f.pos < len(f.s) && (f.s[f.pos] == '"' || f.s[f.pos] == '\'') {
		if !key {
			return "", errFallback
		}
		s, n, ok := quoted(f.s[f.pos:])
		if !ok {
			return "", errFallback
		}
		f.pos += n
		return s, nil
	}
	start := f.pos
	for f.pos < len(f.s) {
		c := f.s[f.pos]
		if c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '#' || c == '&' || c == '*' || c == '!' || c == '\t' {
			break
		}
		if c == ':' {
			if f.pos+1 == len(f.s) || f.s[f.pos+1] == ' ' {
				break
			}
			if n := f.s[f.pos+1]; n == ',' || n == '}' || n == ']' {
				return "", errFallback // libyaml's reading of "a:}" is its own
			}
		}
		f.pos++
	}
	s := strings.TrimRight(f.s[start:f.pos], " ")
	if s == "" && !key {
		return "", errFallback
	}
	if f.pos < len(f.s) {
		switch f.s[f.pos] {
		case '[', '{', '#', '&', '*', '!', '\t':
			return "", errFallback
		}
	}
	if s == "" || s[0] == ':' || s[0] == '-' && (len(s) == 1 || s[1] == ' ') || s[0] == '?' || s[0] == '|' || s[0] == '>' || s[0] == '%' || s[0] == '@' || s[0] == '`' {
		return "", errFallback
	}
	return s, nil
}
