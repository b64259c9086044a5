package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "default-service-account", Title: "Runs as the default service account", Severity: api.SeverityLow, Category: api.CategoryHardening,
			Rationale:   "The default service account is shared by every pod of the namespace that names none, so permissions granted to one workload leak to all of them and audit logs cannot tell them apart.",
			Remediation: "Create a ServiceAccount per workload and set serviceAccountName.",
			Example:     "spec:\n  serviceAccountName: web",
			References:  []api.Reference{cis("5.1.5", "Ensure that default service accounts are not actively used"), mitreValidAcct},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			w := in.Workload
			if serviceAccountName(w.Spec) != "default" {
				return nil
			}
			msg := "no serviceAccountName is set, so the pod runs as the default service account"
			if w.Spec.ServiceAccountName == "default" {
				msg = "serviceAccountName is \"default\""
			}
			return []Violation{{Message: msg, Field: w.Field("serviceAccountName")}}
		},
	})
}
