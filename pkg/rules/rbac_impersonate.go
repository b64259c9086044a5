package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-impersonate", Title: "Role can impersonate", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "impersonate lets a subject act as other users, groups or service accounts, including system:masters members: it is as strong as the strongest identity it may assume.",
			Remediation: "Remove impersonate, or restrict it with resourceNames to the specific identities needed.",
			Example:     "rules:\n- apiGroups: [\"\"]\n  resources: [serviceaccounts]\n  resourceNames: [ci-runner]\n  verbs: [impersonate]",
			References:  []api.Reference{cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"), mitreValidAcct},
		},
	}, []grant{
		{verbs: []string{"impersonate"}, group: "", resources: []string{"users", "groups", "serviceaccounts"}},
		{verbs: []string{"impersonate"}, group: "authentication.k8s.io", resources: []string{"uids", "userextras/scopes"}},
	}, "acts as other identities")
}
