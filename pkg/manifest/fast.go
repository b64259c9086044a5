package manifest

import (
	"bytes"
	"errors"
	"strings"
	"unsafe"

	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
)

// The fast path parses the block-YAML subset that manifests are written in
// straight into generic values and the line index, without building a
// yaml.Node tree. Whatever it does not fully understand (anchors, aliases,
// tags, merge keys, multi-line plain or quoted scalars, complex keys, flow
// collections over several lines, tabs) makes it give up with errFallback,
// and the document is decoded by the yaml.v3 path instead, so the fast path
// never has to be right about YAML's corners: it only has to agree with the
// yaml.v3 path on what it accepts, which a differential fuzz test checks.

var errFallback = errors.New("fast path declined")

type fline struct {
	text   string // without the line break and trailing \r
	indent int    // leading spaces; -1 for a blank or comment-only line
}

type fastParser struct {
	lines   []fline
	lineOff int // file line of lines[0] minus 1
	limits  Limits
	nodes   int
	b       *fieldpath.Builder
	// unterminated is true when the last line has no line break.
	unterminated bool
}

// fastParse parses a whole document whose root is a block mapping.
// It returns the root mapping and the file line it starts on.
func fastParse(data []byte, lineOff int, limits Limits, b *fieldpath.Builder) (map[string]any, int, error) {
	if !printable(data) {
		return nil, 0, errFallback // yaml.v3 reports the offending character
	}
	p := &fastParser{lineOff: lineOff, limits: limits, b: b, unterminated: len(data) > 0 && data[len(data)-1] != '\n'}
	// The text is read in place (no copy): every string that outlives the
	// parse is interned by the typed decoder or cloned for unstructured objects.
	text := unsafe.String(unsafe.SliceData(data), len(data))
	p.lines = make([]fline, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(text) > 0 {
		nl := strings.IndexByte(text, '\n')
		var l string
		if nl < 0 {
			l, text = text, ""
		} else {
			l, text = text[:nl], text[nl+1:]
		}
		l = strings.TrimSuffix(l, "\r")
		p.lines = append(p.lines, fline{text: l, indent: indentOf(l)})
	}
	if b != nil {
		b.Grow(len(p.lines)) // about one field per line
	}
	i := p.skip(0)
	if i < len(p.lines) && strings.HasPrefix(p.lines[i].text, "---") {
		rest := strings.TrimSpace(p.lines[i].text[3:])
		if rest != "" && rest[0] != '#' {
			return nil, 0, errFallback
		}
		i = p.skip(i + 1)
	}
	if i >= len(p.lines) {
		return nil, 0, errFallback
	}
	ind := p.lines[i].indent
	if ind < 0 {
		return nil, 0, errFallback
	}
	rootLine := p.line(i)
	m, next, err := p.mapping(i, ind, fieldpath.Root, 0)
	if err != nil {
		return nil, 0, err
	}
	if p.skip(next) < len(p.lines) {
		return nil, 0, errFallback // content that does not belong to the root mapping
	}
	return m, rootLine, nil
}

// indentOf counts leading spaces; -1 for blank and comment-only lines, -2
// when a tab precedes content (YAML forbids tabs in indentation).
func indentOf(l string) int {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	if n == len(l) || l[n] == '#' {
		return -1
	}
	if l[n] == '\t' || (l[n] == '\r' && n+1 == len(l)) {
		return -2 // tabs and stray carriage returns: leave to yaml.v3
	}
	return n
}

func (p *fastParser) skip(i int) int {
	for i < len(p.lines) && p.lines[i].indent == -1 {
		i++
	}
	return i
}

func (p *fastParser) line(i int) int { return i + 1 + p.lineOff }

func (p *fastParser) count(depth int) error {
	p.nodes++
	if p.nodes > p.limits.MaxNodes || depth > p.limits.MaxDepth {
		return errFallback // the yaml.v3 path reports the limit with its line
	}
	return nil
}

// mapping parses a block mapping whose first key starts at column col of
// line i (a sequence item puts it mid-line); later keys sit at column col.
func (p *fastParser) mapping(i, col int, h fieldpath.Hash, depth int) (map[string]any, int, error) {
	if err := p.count(depth); err != nil {
		return nil, 0, err
	}
	out := map[string]any{}
	first := true
	for {
		if !first {
			i = p.skip(i)
			if i >= len(p.lines) || p.lines[i].indent != col {
				if i < len(p.lines) && p.lines[i].indent > col {
					return nil, 0, errFallback
				}
				return out, i, nil
			}
		}
		text := p.lines[i].text[col:]
		if !first && (text == "-" || strings.HasPrefix(text, "- ")) {
			return out, i, nil // a sequence at the parent key's column ends this mapping
		}
		first = false
		key, rest, ok := splitKey(text)
		if !ok {
			return nil, 0, errFallback
		}
		if _, dup := out[key]; dup {
			return nil, 0, errFallback
		}
		kh := h.Key(key)
		p.b.Add(kh, p.line(i))
		v, next, err := p.value(i, col, rest, kh, depth+1, false)
		if err != nil {
			return nil, 0, err
		}
		out[key] = v
		i = next
	}
}

// sequence parses a block sequence whose dashes sit at column col.
func (p *fastParser) sequence(i, col int, h fieldpath.Hash, depth int) ([]any, int, error) {
	if err := p.count(depth); err != nil {
		return nil, 0, err
	}
	out := []any{}
	for {
		i = p.skip(i)
		if i >= len(p.lines) || p.lines[i].indent != col {
			if i < len(p.lines) && p.lines[i].indent > col {
				return nil, 0, errFallback
			}
			return out, i, nil
		}
		text := p.lines[i].text[col:]
		if text != "-" && !strings.HasPrefix(text, "- ") {
			return out, i, nil
		}
		ih := h.Index(len(out))
		rest := strings.TrimLeft(text[1:], " ")
		restCol := col + len(text) - len(rest)
		var v any
		var next int
		var err error
		if rest == "" || rest[0] == '#' {
			j := p.skip(i + 1)
			if j >= len(p.lines) || p.lines[j].indent <= col {
				return nil, 0, errFallback // an empty item; rare enough to leave to yaml.v3
			}
			p.b.Add(ih, p.line(j))
			v, next, err = p.block(j, p.lines[j].indent, ih, depth+1)
		} else {
			p.b.Add(ih, p.line(i))
			if _, _, ok := splitKey(rest); ok {
				v, next, err = p.mapping(i, restCol, ih, depth+1)
			} else {
				v, next, err = p.value(i, col, rest, ih, depth+1, true)
			}
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
		i = next
	}
}

// block parses the node starting at line i, column col.
func (p *fastParser) block(i, col int, h fieldpath.Hash, depth int) (any, int, error) {
	text := p.lines[i].text[col:]
	if text == "-" || strings.HasPrefix(text, "- ") {
		return p.sequence(i, col, h, depth)
	}
	if _, _, ok := splitKey(text); ok {
		return p.mapping(i, col, h, depth)
	}
	return nil, 0, errFallback
}

// value parses what follows "key:" or "- " on line i: a nested block on the
// next lines, a block scalar, a flow collection or a one-line scalar. parent
// is the column of the key or dash.
func (p *fastParser) value(i, parent int, rest string, h fieldpath.Hash, depth int, inSeq bool) (any, int, error) {
	if rest == "" || rest[0] == '#' {
		j := p.skip(i + 1)
		if j < len(p.lines) {
			ind := p.lines[j].indent
			if ind == -2 {
				return nil, 0, errFallback
			}
			if ind > parent {
				return p.block(j, ind, h, depth)
			}
			if ind == parent && !inSeq {
				t := p.lines[j].text[ind:]
				if t == "-" || strings.HasPrefix(t, "- ") {
					return p.sequence(j, ind, h, depth)
				}
			}
		}
		return nil, i + 1, p.count(depth)
	}
	if err := p.count(depth); err != nil {
		return nil, 0, err
	}
	var v any
	var err error
	switch rest[0] {
	case '|', '>':
		return p.blockScalar(i, parent, rest)
	case '&', '*', '!', '%', '@', '`', '?', ',', ']', '}':
		return nil, 0, errFallback
	case '[', '{':
		var tail string
		fp := flowParser{s: rest, line: p.line(i), h: h, b: p.b, depth: depth, limits: p.limits, nodes: &p.nodes}
		v, err = fp.node(h, depth)
		if err != nil {
			return nil, 0, err
		}
		tail = strings.TrimSpace(fp.s[fp.pos:])
		if tail != "" && tail[0] != '#' {
			return nil, 0, errFallback
		}
	case '"', '\'':
		s, n, ok := quoted(rest)
		if !ok {
			return nil, 0, errFallback
		}
		if tail := strings.TrimSpace(rest[n:]); tail != "" && tail[0] != '#' {
			return nil, 0, errFallback
		}
		v = s
	default:
		s, ok := plainInBlock(rest)
		if !ok {
			return nil, 0, errFallback
		}
		v, err = resolvePlain(s)
		if err != nil {
			return nil, 0, errFallback
		}
	}
	// A more indented line after a one-line scalar would continue it: leave
	// multi-line scalars to yaml.v3.
	if j := p.skip(i + 1); j < len(p.lines) && p.lines[j].indent > parent {
		return nil, 0, errFallback
	}
	return v, i + 1, nil
}

// splitKey splits "key: rest" (or "key:" at the end of the line) into the
// key and what follows it. Only plain keys and one-line quoted keys are
// accepted.
func splitKey(text string) (key, rest string, ok bool) {
	if text == "" {
		return "", "", false
	}
	switch text[0] {
	case '"', '\'':
		k, n, ok := quoted(text)
		if !ok || n > 1000 || n >= len(text) || text[n] != ':' || (n+1 < len(text) && text[n+1] != ' ') {
			return "", "", false
		}
		return k, strings.TrimLeft(text[n+1:], " "), true
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		if text[0] != '-' || len(text) < 2 || text[1] == ' ' {
			return "", "", false
		}
	}
	for k := 0; k < len(text) && k < 1000; k++ { // YAML caps implicit keys at 1024 characters
		switch text[k] {
		case ':':
			if k+1 == len(text) || text[k+1] == ' ' {
				key := strings.TrimRight(text[:k], " ")
				if key == "" || key == "<<" {
					return "", "", false
				}
				return key, strings.TrimLeft(text[k+1:], " "), true
			}
		case '#':
			if k > 0 && text[k-1] == ' ' {
				return "", "", false
			}
		case '\t':
			return "", "", false
		}
	}
	return "", "", false
}
