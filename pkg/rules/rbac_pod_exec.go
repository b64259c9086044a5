package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-pod-exec", Title: "Role can exec, attach or port-forward into pods", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "pods/exec, pods/attach and pods/portforward run commands in, or open connections to, any pod of the scope, with that pod's service account token and network position.",
			Remediation: "Remove these subresources from roles of workloads and day-to-day users; grant them just in time for debugging.",
			Example:     "rules:\n- apiGroups: [\"\"]\n  resources: [pods, pods/log]\n  verbs: [get, list, watch]",
			References:  []api.Reference{cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"), mitreExec},
		},
	}, []grant{{verbs: []string{"create", "get"}, group: "", resources: []string{"pods/exec", "pods/attach", "pods/portforward"}}}, "runs commands in or connects to pods")
}
