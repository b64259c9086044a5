package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "control-plane-profiling", Title: "Control plane profiling enabled", Severity: api.SeverityLow, Category: api.CategoryHardening,
			Rationale:   "The /debug/pprof endpoints reveal internals and can be used to exhaust the component; profiling is on unless --profiling=false.",
			Remediation: "Set --profiling=false on kube-apiserver, kube-controller-manager and kube-scheduler.",
			Example:     "- --profiling=false",
			References:  []api.Reference{cis("1.2.17", "Ensure that the --profiling argument is set to false"), mitreDiscovery},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "", func(cf *componentFlags) (string, string, bool) {
				if cf.values["profiling"] == "false" {
					return "", "", false
				}
				return "does not set --profiling=false", "profiling", true
			})
		},
	})
}
