package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-serviceaccount-token", Title: "Role can mint service account tokens", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "create on serviceaccounts/token issues tokens for any service account of the scope, taking over its permissions without touching a pod.",
			Remediation: "Remove create on serviceaccounts/token, or restrict it to named service accounts with resourceNames.",
			Example:     "rules:\n- apiGroups: [\"\"]\n  resources: [serviceaccounts/token]\n  resourceNames: [metrics-reader]\n  verbs: [create]",
			References:  []api.Reference{mitreStealToken, mitreValidAcct},
		},
	}, []grant{{verbs: []string{"create"}, group: "", resources: []string{"serviceaccounts/token"}}}, "issues tokens for other service accounts")
}
