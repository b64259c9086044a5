package secrets

import (
	"regexp"
	"strings"
)

// assignment finds "key = value", "key: value" and "\"key\": \"value\"" on a line.
var assignment = regexp.MustCompile(`^\s*["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*["']?([^"'#\s][^"'#]*?)["']?\s*,?\s*$`)

// ScanText checks a multi-line value, such as a config file in a ConfigMap:
// first the whole value under its key, then each line as an assignment.
// A multi-line pattern (a private key) is reported once, on its first line.
func ScanText(key, text string) []Match {
	if !strings.Contains(text, "\n") {
		return Scan(key, text)
	}
	var out []Match
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		var ms []Match
		if m := assignment.FindStringSubmatch(line); m != nil {
			ms = Scan(m[1], m[2])
		} else {
			ms = Scan("", line)
		}
		for _, m := range ms {
			if m.Detector == "private-key" && seen["private-key"] {
				continue
			}
			seen[m.Detector] = true
			m.Line = i
			out = append(out, m)
		}
	}
	return out
}
