package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-insecure-port", Title: "API server serves an insecure port", Severity: api.SeverityCritical, Category: api.CategoryHardening,
			Rationale:   "The insecure port serves the API over plain HTTP with no authentication or authorization at all.",
			Remediation: "Remove --insecure-port (or set it to 0) and --insecure-bind-address.",
			Example:     "# remove --insecure-port and --insecure-bind-address",
			References:  []api.Reference{cis("1.2.4", "Ensure that the --insecure-port argument is set to 0"), mitreExternal},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if p, ok := cf.values["insecure-port"]; ok && p != "0" {
					return "serves the API without authentication on --insecure-port=" + p, "insecure-port", true
				}
				return "", "", false
			})
		},
	})
}
