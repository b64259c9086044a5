package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-nodes-proxy", Title: "Role can use nodes/proxy", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "nodes/proxy reaches the kubelet API, which runs commands in any pod of the node and bypasses admission control and audit of pods/exec.",
			Remediation: "Remove nodes/proxy; monitoring agents need only nodes/metrics and nodes/stats.",
			Example:     "rules:\n- apiGroups: [\"\"]\n  resources: [nodes/metrics, nodes/stats]\n  verbs: [get]",
			References:  []api.Reference{mitreExec, mitreEscape},
		},
	}, []grant{{verbs: []string{"get", "create"}, group: "", resources: []string{"nodes/proxy"}}}, "reaches the kubelet API")
}
