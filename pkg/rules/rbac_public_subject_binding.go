package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	rbacv1 "k8s.io/api/rbac/v1"
)

// publicSubjects are identities that every caller, or every anonymous
// caller, holds.
var publicSubjects = map[string]string{
	"User/system:anonymous":        "every anonymous request",
	"Group/system:unauthenticated": "every anonymous request",
	"Group/system:authenticated":   "every authenticated identity, including every service account",
	"Group/system:serviceaccounts": "every service account of the cluster",
}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-public-subject-binding", Title: "Binding to anonymous or all users", Severity: api.SeverityCritical, Category: api.CategoryRBAC,
			Rationale:   "Binding system:anonymous, system:unauthenticated or system:authenticated grants the role to everyone who can reach the API server (on managed clusters, system:authenticated can include any cloud account).",
			Remediation: "Bind named users, groups or service accounts instead.",
			Example:     "subjects:\n- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: platform-team",
			References:  []api.Reference{cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), nsa("Authentication and authorization"), mitreValidAcct},
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
				if who, ok := publicSubjects[s.Kind+"/"+s.Name]; ok {
					out = append(out, Violation{Message: "subjects[" + itoa(i) + "] " + s.Kind + " " + s.Name + " gives " + ref.Kind + " " + ref.Name + " to " + who,
						Field: "subjects[" + itoa(i) + "]", Key: "subject/" + s.Kind + "/" + s.Name})
				}
			}
			return out
		},
	})
}

// subjectList formats subjects for messages: "User alice, ServiceAccount ci/deployer".
func subjectList(subjects []rbacv1.Subject) string {
	if len(subjects) == 0 {
		return "no subjects"
	}
	parts := make([]string, len(subjects))
	for i, s := range subjects {
		name := s.Name
		if s.Kind == rbacv1.ServiceAccountKind && s.Namespace != "" {
			name = s.Namespace + "/" + s.Name
		}
		parts[i] = s.Kind + " " + name
	}
	return strings.Join(parts, ", ")
}
