package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-anonymous-auth", Title: "API server accepts anonymous requests", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "With anonymous auth on, every unauthenticated request is served as system:anonymous; one permissive binding to it exposes the cluster to anyone who can reach the API.",
			Remediation: "Set --anonymous-auth=false, or restrict anonymous access to health endpoints with an AuthenticationConfiguration.",
			Example:     "- --anonymous-auth=false",
			References:  []api.Reference{cis("1.2.1", "Ensure that the --anonymous-auth argument is set to false"), mitreValidAcct},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if cf.values["anonymous-auth"] == "false" {
					return "", "", false
				}
				return "does not set --anonymous-auth=false (anonymous requests are served)", "anonymous-auth", true
			})
		},
	})
}
