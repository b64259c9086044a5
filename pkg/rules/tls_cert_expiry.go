package rules

import (
	"fmt"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// certRenewWindow is how long before expiry a certificate is reported.
const certRenewWindow = 30 * 24 * time.Hour

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "tls-cert-expiry", Title: "TLS certificate expired or expiring", Severity: api.SeverityHigh, Category: api.CategoryExposure,
			Rationale:   "An expired certificate breaks clients or, worse, trains them to skip verification; one expiring within 30 days is an outage on the calendar.",
			Remediation: "Renew the certificate, and automate renewal (cert-manager) so it happens well before expiry.",
			Example:     "apiVersion: cert-manager.io/v1\nkind: Certificate\nspec:\n  secretName: web-tls\n  renewBefore: 720h",
			References:  []api.Reference{nsa("Network separation and hardening"), mitre("T1557", "Adversary-in-the-Middle")},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindSecret},
		Check: func(in *Input) []Violation {
			c, ok := leafCertificate(in)
			if !ok {
				return nil
			}
			now := in.Settings.Now
			switch {
			case now.After(c.NotAfter):
				return []Violation{{Message: fmt.Sprintf("certificate %s expired on %s", certName(c), c.NotAfter.UTC().Format("2006-01-02")), Field: "data[tls.crt]"}}
			case c.NotAfter.Sub(now) < certRenewWindow:
				return []Violation{{Message: fmt.Sprintf("certificate %s expires on %s, in %d days", certName(c), c.NotAfter.UTC().Format("2006-01-02"), int(c.NotAfter.Sub(now).Hours()/24)), Field: "data[tls.crt]"}}
			}
			return nil
		},
	})
}
