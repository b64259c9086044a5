package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-audit-log", Title: "API server keeps no audit log", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "Without an audit log there is no record of who read Secrets, exec'd into pods or changed RBAC: an intrusion cannot be reconstructed.",
			Remediation: "Set --audit-policy-file and --audit-log-path (or --audit-webhook-config-file), with retention flags.",
			Example:     "- --audit-policy-file=/etc/kubernetes/audit-policy.yaml\n- --audit-log-path=/var/log/kubernetes/audit.log\n- --audit-log-maxage=30",
			References:  []api.Reference{cis("1.2.18", "Ensure that the --audit-log-path argument is set"), mitreImpairDef},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if cf.values["audit-log-path"] != "" || cf.values["audit-webhook-config-file"] != "" {
					return "", "", false
				}
				return "writes no audit log (neither --audit-log-path nor --audit-webhook-config-file)", "audit-log-path", true
			})
		},
	})
}
