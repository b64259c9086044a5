package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

// evidence says what a secret match rests on and grades it: a known
// credential format or a secret-like name keeps the rule's severity; a
// random-looking string alone is low, since random identifiers, hashes and
// generated names look the same (the message says so).
func evidence(m secrets.Match) (what string, sev *api.Severity) {
	what = m.Description + " (" + m.Redacted + ")"
	if m.More > 0 {
		what += ", and " + itoa(m.More) + " more matching line"
		if m.More > 1 {
			what += "s"
		}
	}
	if m.Weak() {
		return what + "; evidence: entropy only", severity(api.SeverityLow)
	}
	return what, nil
}
