package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-encryption-at-rest", Title: "Secrets not encrypted at rest", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "Without an encryption provider Secrets are stored in etcd in clear: anyone with etcd access or a backup reads every credential.",
			Remediation: "Set --encryption-provider-config with a KMS or aescbc/secretbox provider for secrets.",
			Example:     "- --encryption-provider-config=/etc/kubernetes/encryption-config.yaml",
			References:  []api.Reference{cis("1.2.27", "Ensure that the --encryption-provider-config argument is set as appropriate"), mitreCredsFiles},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if cf.values["encryption-provider-config"] != "" {
					return "", "", false
				}
				return "stores Secrets unencrypted in etcd (no --encryption-provider-config)", "encryption-provider-config", true
			})
		},
	})
}
