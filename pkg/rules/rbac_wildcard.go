package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-wildcard", Title: "Role uses wildcards", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "A \"*\" in verbs, resources or apiGroups grants everything that exists now and everything added later (new CRDs, new subresources such as pods/exec): least privilege cannot be reviewed.",
			Remediation: "List the verbs, API groups and resources the subject needs explicitly.",
			Example:     "rules:\n- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [get, list, watch]",
			References:  []api.Reference{cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"), nsa("Authentication and authorization"), mitreValidAcct},
		},
		Scope: ScopeObject,
		Kinds: roleKinds,
		Check: func(in *Input) []Violation {
			prs, ok := policyRules(in.Object)
			if !ok {
				return nil
			}
			var out []Violation
			for i := range prs {
				pr := &prs[i]
				var where []string
				for _, f := range []struct {
					name string
					vals []string
				}{{"verbs", pr.Verbs}, {"apiGroups", pr.APIGroups}, {"resources", pr.Resources}, {"nonResourceURLs", pr.NonResourceURLs}} {
					for _, v := range f.vals {
						if v == "*" {
							where = append(where, f.name)
							break
						}
					}
				}
				if len(where) > 0 {
					out = append(out, Violation{Message: "rules[" + itoa(i) + "] uses \"*\" in " + strings.Join(where, ", "),
						Field: "rules[" + itoa(i) + "]", Key: "rule/" + ruleKey(pr)})
				}
			}
			return out
		},
	})
}
