package secrets

import "strings"

// assignment splits a config-file line written as "key = value",
// "key: value" or "\"key\": \"value\"," into key and value.
func assignment(line string) (key, value string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' || t[0] == ';' {
		return "", "", false
	}
	i := strings.IndexAny(t, ":=")
	if i <= 0 {
		return "", "", false
	}
	key = strings.Trim(strings.TrimSpace(t[:i]), `"'`)
	for _, c := range key {
		if !(c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", "", false
		}
	}
	value = strings.TrimSpace(t[i+1:])
	value = strings.TrimSuffix(value, ",")
	if c := strings.Index(value, " #"); c >= 0 {
		value = strings.TrimSpace(value[:c])
	}
	value = strings.Trim(value, `"'`)
	if key == "" || value == "" {
		return "", "", false
	}
	return key, value, true
}

// ScanText checks a multi-line value, such as a config file in a ConfigMap:
// each line as an assignment, or as a bare value. Public PEM blocks
// (certificates, public keys) are skipped. It returns one match at most,
// the strongest and then the first, with More counting the other lines that
// matched: a value is one finding, never one per line of a PEM block.
func ScanText(key, text string) []Match {
	if !strings.Contains(text, "\n") {
		return Scan(key, text)
	}
	if strings.Contains(text, "-----BEGIN ") {
		if Public(text) {
			return nil
		}
		text = blankPEM(text)
	}
	var best *Match
	lines := 0
	// Test each pattern's anchors once on the whole text; lines are then
	// checked only against the patterns that can match somewhere.
	active := activePatterns(text)
	for i, line := range strings.Split(text, "\n") {
		var ms []Match
		if k, v, ok := assignment(line); ok {
			ms = scanWith(active, k, v)
		} else {
			ms = scanWith(active, "", line)
		}
		if len(ms) == 0 {
			continue
		}
		lines++
		for _, m := range ms {
			if best == nil || m.strength() > best.strength() {
				m.Line = i
				best = &m
			}
		}
	}
	if best == nil {
		return nil
	}
	best.More = lines - 1
	return []Match{*best}
}
