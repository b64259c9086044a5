package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-cluster-admin-binding", Title: "Binding to cluster-admin", Severity: api.SeverityCritical, Category: api.CategoryRBAC,
			Rationale:   "cluster-admin can do anything in the cluster; every subject bound to it is a full cluster compromise waiting to happen.",
			Remediation: "Bind a role with only the permissions needed; keep cluster-admin for break-glass access.",
			Example:     "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: deployer   # a role with only what the subject needs",
			References:  []api.Reference{cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), mitreValidAcct},
		},
		Scope: ScopeObject,
		Kinds: bindingKinds,
		Check: func(in *Input) []Violation {
			ref, subjects, ok := bindingOf(in.Object)
			if !ok || ref.Kind != "ClusterRole" || ref.Name != "cluster-admin" {
				return nil
			}
			return []Violation{{Message: "binds ClusterRole cluster-admin to " + subjectList(subjects), Field: "roleRef"}}
		},
	})
}
