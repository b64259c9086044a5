package secrets

import "strings"

// SafeText redacts, inside text that names things (a field path, a key in a
// warning), every token that is itself credential-shaped: a known token
// format or a long random string. Names such as "password" stay: they say
// where a value is, not what it is. Error and warning messages pass the
// names they quote through it, so a token used as a map key is never
// printed.
func SafeText(text string) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		tok := text[start:end]
		if len(tok) >= 12 && (len(scanWith(patterns, "", tok)) > 0 || Entropy(tok) >= 3.5 && len(tok) >= 20) {
			b.WriteString(Redact(tok))
		} else {
			b.WriteString(tok)
		}
		start = -1
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		word := c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		switch {
		case word && start < 0:
			start = i
		case !word:
			flush(i)
			b.WriteByte(c)
		}
	}
	flush(len(text))
	return b.String()
}
