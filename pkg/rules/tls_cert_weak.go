package rules

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "tls-cert-weak", Title: "TLS certificate with a weak key or signature", Severity: api.SeverityMedium, Category: api.CategoryExposure,
			Rationale:   "RSA keys under 2048 bits can be factored and SHA-1 (or MD5) signatures forged: the certificate no longer proves who serves it.",
			Remediation: "Reissue the certificate with an ECDSA P-256 or RSA 2048+ key and a SHA-256 signature.",
			Example:     "# cert-manager Certificate\nspec:\n  privateKey:\n    algorithm: ECDSA\n    size: 256",
			References:  []api.Reference{mitre("T1557", "Adversary-in-the-Middle")},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindSecret},
		Check: func(in *Input) []Violation {
			c, ok := leafCertificate(in)
			if !ok {
				return nil
			}
			var out []Violation
			if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
				out = append(out, Violation{Message: fmt.Sprintf("certificate %s has a %d-bit RSA key", certName(c), k.N.BitLen()), Field: "data[tls.crt]", Key: "rsa"})
			}
			switch c.SignatureAlgorithm {
			case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
				out = append(out, Violation{Message: fmt.Sprintf("certificate %s is signed with %s", certName(c), c.SignatureAlgorithm), Field: "data[tls.crt]", Key: "signature"})
			}
			return out
		},
	})
}
