package secrets

import (
	"fmt"
	"strings"
)

// Redact masks a secret value for display. Values of 12 characters or more
// keep a 3-character prefix (enough to recognise a key type such as "AKI");
// shorter ones are fully masked. The length is shown so that two redacted
// values can be told apart without revealing either.
func Redact(v string) string {
	if strings.HasPrefix(v, "-----BEGIN") {
		if i := strings.Index(v[5:], "-----"); i >= 0 {
			return v[:i+10] + fmt.Sprintf("…(%d chars)", len(v))
		}
	}
	n := len([]rune(v))
	if n >= 12 {
		return string([]rune(v)[:3]) + fmt.Sprintf("…(%d chars)", n)
	}
	return fmt.Sprintf("****(%d chars)", n)
}
