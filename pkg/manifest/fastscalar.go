package manifest

import (
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Scalars for the fast path: block scalars, plain and quoted one-line
// scalars, their typing, and the character checks that decide whether the
// fast path may read a document at all.

// blockScalar parses a literal (|) or folded (>) scalar whose header is rest.
func (p *fastParser) blockScalar(i, parent int, rest string) (any, int, error) {
	header := rest
	if k := strings.Index(header, " #"); k >= 0 {
		header = header[:k]
	}
	header = strings.TrimSpace(header)
	style, chomp := header[0], byte(0)
	for _, c := range header[1:] {
		switch c {
		case '-', '+':
			if chomp != 0 {
				return nil, 0, errFallback
			}
			chomp = byte(c)
		default:
			return nil, 0, errFallback // explicit indentation indicators are left to yaml.v3
		}
	}
	// Content lines: every following line more indented than the parent, and
	// blank lines in between.
	j := i + 1
	contentIndent := -1
	var body []string
	for ; j < len(p.lines); j++ {
		l := p.lines[j].text
		if strings.TrimSpace(l) == "" {
			if len(l) > 0 && (contentIndent < 0 || len(l) > contentIndent || strings.ContainsRune(l, '\t')) {
				return nil, 0, errFallback // spaces that may be content
			}
			body = append(body, "")
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if strings.HasPrefix(strings.TrimLeft(l, " "), "\t") {
			return nil, 0, errFallback
		}
		if contentIndent < 0 {
			if n <= parent {
				break
			}
			contentIndent = n
		}
		if n < contentIndent {
			if n > parent {
				return nil, 0, errFallback
			}
			break
		}
		body = append(body, l[contentIndent:])
	}
	// Trailing blank lines belong to the scalar only for chomping; the next
	// node starts after them.
	end := len(body)
	for end > 0 && body[end-1] == "" {
		end--
	}
	if contentIndent < 0 || end == 0 {
		return nil, 0, errFallback
	}
	for _, l := range body[:end] {
		if len(l) != len(strings.TrimLeft(l, " ")) && l != "" {
			if style == '>' {
				return nil, 0, errFallback // folding with more-indented lines
			}
		}
		if strings.ContainsRune(l, '\t') && style == '>' {
			return nil, 0, errFallback
		}
	}
	lines := body[:end]
	var s string
	if style == '|' {
		s = strings.Join(lines, "\n")
	} else {
		// Folding: a break between two text lines becomes a space; each
		// empty line becomes a newline (and swallows the preceding break).
		var b strings.Builder
		prevText := false
		for _, l := range lines {
			if l == "" {
				b.WriteByte('\n')
				prevText = false
				continue
			}
			if prevText {
				b.WriteByte(' ')
			}
			b.WriteString(l)
			prevText = true
		}
		s = b.String()
	}
	trailing := len(body) - end
	if p.unterminated && i+end == len(p.lines)-1 {
		// The last content line ends the file without a line break: there
		// is no final newline to clip or keep.
		return s, i + 1 + len(body), nil
	}
	switch chomp {
	case '-':
	case '+':
		s += "\n" + strings.Repeat("\n", trailing)
	default:
		s += "\n"
	}
	// The scalar ends at the first line that is not part of it.
	return s, i + 1 + len(body), nil
}

// plainInBlock returns a one-line plain scalar without its comment.
func plainInBlock(s string) (string, bool) {
	if s[0] == ':' || (s[0] == '-' && (len(s) == 1 || s[1] == ' ')) {
		return "", false
	}
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case '#':
			if k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
				return strings.TrimRight(s[:k], " \t"), true
			}
		case ':':
			if k+1 == len(s) || s[k+1] == ' ' {
				return "", false // "a: b: c" is an error yaml.v3 reports
			}
		case '\t':
			return "", false
		}
	}
	return strings.TrimRight(s, " "), true
}

// resolvePlain types a plain scalar with yaml.v3's own resolver, so both
// paths agree on what is a number, a boolean or null.
func resolvePlain(s string) (any, error) {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	if decimal(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	if c := s[0]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		// yaml.v3 resolves a plain scalar starting with a letter through its
		// table of exact tokens (true, False, NULL, ...: handled above) and
		// otherwise as a string; "yes", "on" and "off" are strings too.
		return s, nil
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	return (&converter{}).scalar(n)
}

// decimal reports a plain decimal integer without sign or leading zero,
// which yaml.v3 resolves to an int like this.
func decimal(s string) bool {
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoted reads a one-line quoted scalar at the start of s and returns its
// value and the length consumed.
func quoted(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for k := 1; k < len(s); k++ {
		c := s[k]
		if q == '\'' {
			if c == '\'' {
				if k+1 < len(s) && s[k+1] == '\'' {
					b.WriteByte('\'')
					k++
					continue
				}
				return b.String(), k + 1, true
			}
			b.WriteByte(c)
			continue
		}
		switch c {
		case '"':
			return b.String(), k + 1, true
		case '\\':
			if k+1 >= len(s) {
				return "", 0, false
			}
			k++
			switch s[k] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '"', '\\', '/':
				b.WriteByte(s[k])
			case ' ':
				b.WriteByte(' ')
			case 'u', 'U', 'x':
				width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[k]]
				if k+width >= len(s) {
					return "", 0, false
				}
				r, err := strconv.ParseUint(s[k+1:k+1+width], 16, 32)
				if err != nil || !utf8.ValidRune(rune(r)) {
					return "", 0, false
				}
				b.WriteRune(rune(r))
				k += width
			default:
				return "", 0, false
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// printable reports whether data holds only characters YAML allows in a
// stream: tab, line breaks, printable ASCII, and printable Unicode.
func printable(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
				return false // a lone CR is a line break the line splitter does not see
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		// NEL, LS and PS are line breaks to YAML; leave them to yaml.v3 too.
		if !((r >= 0xA0 && r <= 0xD7FF && r != 0x2028 && r != 0x2029) || (r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF) || r >= 0x10000) {
			return false
		}
		i += n
	}
	return true
}
