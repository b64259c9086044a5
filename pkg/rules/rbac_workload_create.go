package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	registerGrantRule(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-workload-create", Title: "Role can create pods or workload controllers", Severity: api.SeverityMedium, Category: api.CategoryRBAC,
			Rationale:   "Whoever creates a pod, directly or through a controller, can mount any Secret and any service account token of the namespace and so inherits all of their permissions.",
			Remediation: "Grant create on workloads only to deployment pipelines, and enforce Pod Security restricted where it is granted.",
			Example:     "rules:\n- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [get, list, watch, patch]",
			References:  []api.Reference{cis("5.1.4", "Minimize access to create pods"), mitreDeploy},
		},
	}, []grant{
		{verbs: []string{"create"}, group: "", resources: []string{"pods", "replicationcontrollers"}},
		{verbs: []string{"create"}, group: "apps", resources: []string{"deployments", "replicasets", "statefulsets", "daemonsets"}},
		{verbs: []string{"create"}, group: "batch", resources: []string{"jobs", "cronjobs"}},
	}, "can run pods with any service account of the namespace")
}
