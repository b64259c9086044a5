package rules

import (
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var roleKinds = []schema.GroupKind{kindRole, kindClusterRole}
var bindingKinds = []schema.GroupKind{kindRoleBinding, kindClusterRoleBinding}

// policyRules returns the rules of a Role or ClusterRole. Kubernetes' own
// bootstrap roles are judged like any other; the engine marks their
// findings as platform findings (package platform).
func policyRules(o *inventory.Object) ([]rbacv1.PolicyRule, bool) {
	switch r := o.Obj.(type) {
	case *rbacv1.Role:
		return r.Rules, true
	case *rbacv1.ClusterRole:
		return r.Rules, true
	}
	return nil, false
}

// grant is one permission a risk rule looks for.
type grant struct {
	verbs     []string
	group     string
	resources []string // "resource" or "resource/subresource"
}

// grantViolations reports, per policy rule, which of the wanted permissions
// it grants, in the authorizer's semantics (wildcards included).
func grantViolations(in *Input, wanted []grant, what string) []Violation {
	prs, ok := policyRules(in.Object)
	if !ok {
		return nil
	}
	var out []Violation
	for i := range prs {
		pr := &prs[i]
		got := map[string]map[string]bool{}
		for _, g := range wanted {
			for _, res := range g.resources {
				r, sub, _ := strings.Cut(res, "/")
				for _, v := range g.verbs {
					if rbac.AllowsSomeName(pr, rbac.Request{Verb: v, Group: g.group, Resource: r, Subresource: sub}) {
						if got[res] == nil {
							got[res] = map[string]bool{}
						}
						got[res][v] = true
					}
				}
			}
		}
		if len(got) == 0 {
			continue
		}
		var parts []string
		for _, res := range sortedKeys(got) {
			parts = append(parts, strings.Join(sortedSet(got[res]), "/")+" "+res)
		}
		msg := "rules[" + itoa(i) + "] grants " + strings.Join(parts, ", ")
		if len(pr.ResourceNames) > 0 {
			msg += " (resourceNames: " + strings.Join(pr.ResourceNames, ", ") + ")"
		}
		out = append(out, Violation{Message: msg + ": " + what, Field: "rules[" + itoa(i) + "]", Key: "rule/" + ruleKey(pr)})
	}
	return out
}

// ruleKey identifies a policy rule by content, so reordering rules keeps
// findings' identity.
func ruleKey(pr *rbacv1.PolicyRule) string {
	return strings.Join(pr.APIGroups, ",") + "|" + strings.Join(pr.Resources, ",") + "|" + strings.Join(pr.Verbs, ",") + "|" + strings.Join(pr.ResourceNames, ",") + "|" + strings.Join(pr.NonResourceURLs, ",")
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// bindingOf returns the roleRef and subjects of a RoleBinding or ClusterRoleBinding.
func bindingOf(o *inventory.Object) (rbacv1.RoleRef, []rbacv1.Subject, bool) {
	switch b := o.Obj.(type) {
	case *rbacv1.RoleBinding:
		return b.RoleRef, b.Subjects, true
	case *rbacv1.ClusterRoleBinding:
		return b.RoleRef, b.Subjects, true
	}
	return rbacv1.RoleRef{}, nil, false
}

// registerGrantRule registers a role rule that looks for wanted permissions.
func registerGrantRule(r Rule, wanted []grant, what string) {
	r.Scope = ScopeObject
	r.Kinds = roleKinds
	r.Check = func(in *Input) []Violation { return grantViolations(in, wanted, what) }
	register(r)
}

// subjectRef is a subject of a binding with the binding that names it.
type subjectRef struct {
	binding *inventory.Object
	index   int
}

// serviceAccountBindings indexes, once per inventory, the bindings that
// name each service account ("ns/name"). A ServiceAccount subject without a
// namespace in a RoleBinding takes the binding's namespace.
func serviceAccountBindings(inv *inventory.Inventory) map[string][]subjectRef {
	return inv.Memo("rules/sa-bindings", func(inv *inventory.Inventory) any {
		out := map[string][]subjectRef{}
		for _, gk := range bindingKinds {
			for _, b := range inv.ByKind(gk) {
				_, subjects, ok := bindingOf(b)
				if !ok {
					continue
				}
				for i, s := range subjects {
					if s.Kind != rbacv1.ServiceAccountKind {
						continue
					}
					ns := s.Namespace
					if ns == "" {
						ns = b.Namespace()
					}
					out[ns+"/"+s.Name] = append(out[ns+"/"+s.Name], subjectRef{binding: b, index: i})
				}
			}
		}
		return out
	}).(map[string][]subjectRef)
}

// subjectNamespace resolves a ServiceAccount subject's namespace.
func subjectNamespace(s rbacv1.Subject, binding *inventory.Object) string {
	if s.Namespace != "" {
		return s.Namespace
	}
	return binding.Namespace()
}
