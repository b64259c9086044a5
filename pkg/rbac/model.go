package rbac

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Policy is an RBAC configuration: roles, cluster roles and bindings. Build
// it with NewPolicy; it is read-only afterwards.
type Policy struct {
	roles        map[string]*rbacv1.Role        // "ns/name"
	clusterRoles map[string]*rbacv1.ClusterRole // name
	// effective holds each cluster role's rules after aggregation.
	effective           map[string][]rbacv1.PolicyRule
	roleBindings        []*rbacv1.RoleBinding
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
	bindingsByNS        map[string][]*rbacv1.RoleBinding
}

// NewPolicy indexes the objects and computes aggregated cluster roles.
func NewPolicy(roles []*rbacv1.Role, clusterRoles []*rbacv1.ClusterRole, rbs []*rbacv1.RoleBinding, crbs []*rbacv1.ClusterRoleBinding) *Policy {
	p := &Policy{
		roles:               map[string]*rbacv1.Role{},
		clusterRoles:        map[string]*rbacv1.ClusterRole{},
		roleBindings:        rbs,
		clusterRoleBindings: crbs,
		bindingsByNS:        map[string][]*rbacv1.RoleBinding{},
	}
	for _, r := range roles {
		p.roles[r.Namespace+"/"+r.Name] = r
	}
	for _, r := range clusterRoles {
		p.clusterRoles[r.Name] = r
	}
	for _, b := range rbs {
		p.bindingsByNS[b.Namespace] = append(p.bindingsByNS[b.Namespace], b)
	}
	p.effective = aggregate(clusterRoles)
	return p
}

// ClusterRoleRules returns a cluster role's effective rules (aggregated
// ones included) and whether the role exists.
func (p *Policy) ClusterRoleRules(name string) ([]rbacv1.PolicyRule, bool) {
	r, ok := p.effective[name]
	return r, ok
}

// roleRules resolves a binding's roleRef in namespace ns ("" for a
// ClusterRoleBinding). A missing role grants nothing.
func (p *Policy) roleRules(ref rbacv1.RoleRef, ns string) ([]rbacv1.PolicyRule, bool) {
	switch ref.Kind {
	case "ClusterRole":
		return p.ClusterRoleRules(ref.Name)
	case "Role":
		if r, ok := p.roles[ns+"/"+ref.Name]; ok {
			return r.Rules, true
		}
	}
	return nil, false
}

// aggregate computes every cluster role's effective rules. A role with an
// aggregationRule gets the rules of every cluster role its selectors
// match, computed to a fixpoint so aggregates of aggregates settle, the
// way the clusterrole-aggregation controller converges. Rules are
// deduplicated and kept in a stable order.
func aggregate(roles []*rbacv1.ClusterRole) map[string][]rbacv1.PolicyRule {
	out := make(map[string][]rbacv1.PolicyRule, len(roles))
	var aggregated []*rbacv1.ClusterRole
	for _, r := range roles {
		out[r.Name] = r.Rules
		if r.AggregationRule != nil {
			out[r.Name] = nil
			aggregated = append(aggregated, r)
		}
	}
	roles = append([]*rbacv1.ClusterRole(nil), roles...)
	sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	for changed, rounds := true, 0; changed && rounds <= len(roles)+1; rounds++ {
		changed = false
		for _, agg := range aggregated {
			var rules []rbacv1.PolicyRule
			seen := map[string]bool{}
			for _, sel := range agg.AggregationRule.ClusterRoleSelectors {
				s, err := metav1.LabelSelectorAsSelector(&sel)
				if err != nil {
					continue
				}
				for _, r := range roles {
					if r.Name == agg.Name || !s.Matches(labels.Set(r.Labels)) {
						continue
					}
					for _, rule := range out[r.Name] {
						k := ruleKey(&rule)
						if !seen[k] {
							seen[k] = true
							rules = append(rules, rule)
						}
					}
				}
			}
			if !sameRules(out[agg.Name], rules) {
				out[agg.Name] = rules
				changed = true
			}
		}
	}
	return out
}

func ruleKey(r *rbacv1.PolicyRule) string {
	return join(r.Verbs) + "|" + join(r.APIGroups) + "|" + join(r.Resources) + "|" + join(r.ResourceNames) + "|" + join(r.NonResourceURLs)
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

func sameRules(a, b []rbacv1.PolicyRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if ruleKey(&a[i]) != ruleKey(&b[i]) {
			return false
		}
	}
	return true
}
