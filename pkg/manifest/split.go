package manifest

import "bytes"

// chunk is one YAML document of a file.
type chunk struct {
	data []byte
	line int // 1-based line of data's first byte in the file
}

// split cuts a YAML stream into documents at "---" and "..." marker lines.
// A marker at column 0 always ends a document in YAML (it cannot occur
// inside a scalar), so a line scan is exact and far cheaper than parsing.
func split(data []byte) []chunk {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = normalizeBreaks(data)
	// Sized once: regrowing a million chunks allocated five times their size.
	out := make([]chunk, 0, bytes.Count(data, []byte("\n---"))+1)
	start, startLine, line := 0, 1, 1
	flush := func(end int) {
		if end > start && !blank(data[start:end]) {
			out = append(out, chunk{data: data[start:end], line: startLine})
		}
	}
	for pos := 0; pos < len(data); {
		nl := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if nl >= 0 {
			end = pos + nl + 1
		}
		l := data[pos:end]
		switch {
		case isMarker(l, "---"):
			// The marker line starts the new document (it may carry content).
			flush(pos)
			start, startLine = pos, line
		case isMarker(l, "..."):
			flush(pos)
			start, startLine = end, line+1
		}
		pos = end
		line++
	}
	flush(len(data))
	return out
}

func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	rest := l[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// blank reports whether a document holds nothing but blank lines, comments,
// directives and markers.
func blank(d []byte) bool {
	for len(d) > 0 {
		nl := bytes.IndexByte(d, '\n')
		var l []byte
		if nl < 0 {
			l, d = d, nil
		} else {
			l, d = d[:nl], d[nl+1:]
		}
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' || t[0] == '%' {
			continue
		}
		if bytes.HasPrefix(t, []byte("---")) {
			rest := bytes.TrimSpace(t[3:])
			if len(rest) == 0 || rest[0] == '#' {
				continue
			}
		}
		return false
	}
	return true
}

// normalizeBreaks turns lone carriage returns (classic Mac line ends),
// which YAML counts as line breaks, into line feeds, so that every line
// number Guardrail reports counts lines the way YAML and editors do.
// CRLF is left alone.
func normalizeBreaks(data []byte) []byte {
	i := bytes.IndexByte(data, '\r')
	for i >= 0 && i+1 < len(data) && data[i+1] == '\n' {
		next := bytes.IndexByte(data[i+1:], '\r')
		if next < 0 {
			return data
		}
		i += 1 + next
	}
	if i < 0 {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	for k := i; k < len(out); k++ {
		if out[k] == '\r' && (k+1 == len(out) || out[k+1] != '\n') {
			out[k] = '\n'
		}
	}
	return out
}
