package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "apiserver-admission-plugins", Title: "Security admission plugins missing", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "NodeRestriction stops a kubelet from modifying other nodes and their pods; PodSecurity enforces the namespace Pod Security labels. Without them a compromised node or a privileged pod is unchecked.",
			Remediation: "Add NodeRestriction to --enable-admission-plugins and never list PodSecurity in --disable-admission-plugins.",
			Example:     "- --enable-admission-plugins=NodeRestriction",
			References:  []api.Reference{cis("1.2.15", "Ensure that the admission control plugin NodeRestriction is set"), mitreImpairDef},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		Check: func(in *Input) []Violation {
			return controlPlaneCheck(in, "kube-apiserver", func(cf *componentFlags) (string, string, bool) {
				if contains(listFlag(cf.values["disable-admission-plugins"]), "PodSecurity") {
					return "disables the PodSecurity admission plugin", "disable-admission-plugins", true
				}
				if !contains(listFlag(cf.values["enable-admission-plugins"]), "NodeRestriction") {
					return "does not enable the NodeRestriction admission plugin", "enable-admission-plugins", true
				}
				return "", "", false
			})
		},
	})
}
