package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	rbacv1 "k8s.io/api/rbac/v1"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-binding-missing-subject", Title: "Binding to a service account that does not exist", Severity: api.SeverityMedium, Category: api.CategoryRBAC,
			Rationale:   "A binding to a missing service account hands its permissions to whoever can create a service account of that name in that namespace, often far more people than were meant to hold them.",
			Remediation: "Remove the subject from the binding, or recreate the intended service account.",
			Example:     "subjects: []   # or only the service accounts that exist",
			References:  []api.Reference{mitreAcctManip, mitreValidAcct},
		},
		Scope:       ScopeObject,
		Kinds:       bindingKinds,
		CrossObject: true,
		Input:       ClusterOnly,
		Reads:       everywhere(kindServiceAccount),
		Check: func(in *Input) []Violation {
			_, subjects, ok := bindingOf(in.Object)
			if !ok {
				return nil
			}
			var out []Violation
			for i, s := range subjects {
				if s.Kind != rbacv1.ServiceAccountKind {
					continue
				}
				ns := subjectNamespace(s, in.Object)
				if in.Inventory.Get(kindServiceAccount, ns, s.Name) != nil {
					continue
				}
				out = append(out, Violation{Message: "subjects[" + itoa(i) + "] ServiceAccount " + ns + "/" + s.Name + " does not exist: whoever creates it gets the binding's permissions",
					Field: "subjects[" + itoa(i) + "]", Key: "subject/" + ns + "/" + s.Name})
			}
			return out
		},
	})
}
