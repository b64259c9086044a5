package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-secret-read", Title: "Role can read Secrets", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "get, list or watch on Secrets reveals every credential and service account token stored in them; list and watch return the values too, not just names.",
			Remediation: "Grant get on named Secrets only (resourceNames), or mount the Secrets the workload needs instead of reading them through the API.",
			Example:     "rules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  resourceNames: [app-config]\n  verbs: [get]",
			References:  []api.Reference{cis("5.1.2", "Minimize access to secrets"), mitre("T1552.007", "Unsecured Credentials: Container API")},
		},
	}, []grant{{verbs: []string{"get", "list", "watch"}, group: "", resources: []string{"secrets"}}}, "reads Secret values")
}
