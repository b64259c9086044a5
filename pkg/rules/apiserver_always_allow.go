package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-always-allow", Title: "API server authorizes every request", Severity: api.SeverityCritical, Category: api.CategoryHardening,
			Rationale:   "AlwaysAllow in --authorization-mode authorizes every authenticated request: RBAC is not consulted.",
			Remediation: "Set --authorization-mode=Node,RBAC.",
			Example:     "- --authorization-mode=Node,RBAC",
			References:  []api.Reference{cis("1.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"), mitreValidAcct},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				modes := listFlag(cf.values["authorization-mode"])
				if _, set := cf.values["authorization-mode"]; !set || contains(modes, "AlwaysAllow") {
					return "authorizes every request (--authorization-mode includes or defaults to AlwaysAllow)", "authorization-mode", true
				}
				return "", "", false
			})
		},
	})
}
