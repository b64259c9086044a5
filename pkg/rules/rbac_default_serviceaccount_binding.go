package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-default-serviceaccount-binding", Title: "Binding grants permissions to a default service account", Severity: api.SeverityMedium, Category: api.CategoryRBAC,
			Rationale:   "Every pod that sets no serviceAccountName runs as its namespace's default service account, so a role bound to it is held by every such pod, including ones added later by anyone who may create pods there.",
			Remediation: "Create a dedicated service account for the workload that needs the role, bind the role to it, and set serviceAccountName on that workload only.",
			Example:     "subjects:\n- kind: ServiceAccount\n  name: billing-reader   # not default\n  namespace: shop",
			References:  []api.Reference{cis("5.1.5", "Ensure that default service accounts are not actively used"), mitreValidAcct},
		},
		Scope: ScopeObject,
		Kinds: bindingKinds,
		Check: func(in *Input) []Violation {
			ref, subjects, ok := bindingOf(in.Object)
			if !ok {
				return nil
			}
			var out []Violation
			for i, s := range subjects {
				ns := s.Namespace
				if ns == "" && in.Object.GVK.Kind == "RoleBinding" {
					ns = in.Object.Namespace() // a RoleBinding's service account defaults to its own namespace
				}
				if s.Kind != "ServiceAccount" || s.Name != "default" {
					continue
				}
				out = append(out, Violation{Message: "binds " + ref.Kind + " " + ref.Name + " to the default service account of namespace " + quote(ns) +
					": every pod there that sets no serviceAccountName holds it", Field: "subjects[" + itoa(i) + "]", Key: "default/" + ns})
			}
			return out
		},
	})
}
