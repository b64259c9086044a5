package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-tls", Title: "API server allows weak TLS", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "TLS 1.0/1.1 and cipher suites with RC4, 3DES or CBC-SHA1 are broken or deprecated; allowing them lets a network attacker downgrade connections.",
			Remediation: "Set --tls-min-version=VersionTLS12 (or 13) and list only AEAD cipher suites in --tls-cipher-suites.",
			Example:     "- --tls-min-version=VersionTLS12\n- --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
			References:  []api.Reference{cis("1.2.29", "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"), mitre("T1557", "Adversary-in-the-Middle")},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if v := cf.values["tls-min-version"]; v == "VersionTLS10" || v == "VersionTLS11" {
					return "allows --tls-min-version=" + v, "tls-min-version", true
				}
				for _, s := range listFlag(cf.values["tls-cipher-suites"]) {
					if strings.Contains(s, "RC4") || strings.Contains(s, "3DES") || strings.HasSuffix(s, "_CBC_SHA") {
						return "allows the weak cipher suite " + s, "tls-cipher-suites", true
					}
				}
				return "", "", false
			})
		},
	})
}
