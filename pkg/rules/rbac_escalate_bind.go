package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-escalate-bind", Title: "Role can escalate or bind", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "escalate lets a subject write roles with permissions it does not hold, and bind lets it bind roles it does not hold: both bypass RBAC's own privilege-escalation guard.",
			Remediation: "Remove the escalate and bind verbs; let a controlled pipeline manage RBAC.",
			Example:     "rules:\n- apiGroups: [rbac.authorization.k8s.io]\n  resources: [roles, rolebindings]\n  verbs: [get, list, watch]",
			References:  []api.Reference{cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"), mitrePrivEsc},
		},
	}, []grant{{verbs: []string{"escalate", "bind"}, group: "rbac.authorization.k8s.io", resources: []string{"roles", "clusterroles"}}}, "bypasses RBAC escalation prevention")
}
