package rbac

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
)

// SubjectGrant is a subject that may make a request, and one grant that
// allows it.
type SubjectGrant struct {
	// Subject is as the binding names it; a ServiceAccount subject's
	// namespace is resolved.
	Subject rbacv1.Subject `json:"subject"`
	// Scope is the namespace the grant applies in, "" for cluster-wide.
	Scope string `json:"scope"`
	Grant Grant  `json:"grant"`
}

// WhoCan lists the subjects bound to a role that allows the request, with
// the binding, role and rule of each. With a.Namespace set, RoleBindings of
// that namespace count; with it empty, a namespaced request is answered for
// every namespace (each RoleBinding's grant carries its namespace as
// Scope). Members of system:masters can do everything and are listed as
// that group.
func (p *Policy) WhoCan(a Attributes) []SubjectGrant {
	out := []SubjectGrant{{Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}, Grant: Grant{Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}}}}
	seen := map[string]bool{}
	add := func(s rbacv1.Subject, scope string, g Grant) {
		k := s.Kind + "/" + s.Namespace + "/" + s.Name + "@" + scope
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, SubjectGrant{Subject: s, Scope: scope, Grant: g})
	}
	for _, b := range p.clusterRoleBindings {
		rules, ok := p.roleRules(b.RoleRef, "")
		if !ok {
			continue
		}
		for i := range rules {
			if !ruleAllows(&rules[i], a) {
				continue
			}
			for _, s := range b.Subjects {
				add(s, "", Grant{BindingKind: "ClusterRoleBinding", BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: rules[i]})
			}
			break
		}
	}
	if !a.NonResource {
		for _, b := range p.roleBindings {
			if a.Namespace != "" && b.Namespace != a.Namespace {
				continue
			}
			rules, ok := p.roleRules(b.RoleRef, b.Namespace)
			if !ok {
				continue
			}
			for i := range rules {
				if !ruleAllows(&rules[i], a) {
					continue
				}
				for _, s := range b.Subjects {
					if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
						s.Namespace = b.Namespace
					}
					add(s, b.Namespace, Grant{BindingKind: "RoleBinding", BindingNamespace: b.Namespace, BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: rules[i]})
				}
				break
			}
		}
	}
	sort.SliceStable(out[1:], func(i, j int) bool {
		x, y := out[1+i], out[1+j]
		if x.Subject.Kind != y.Subject.Kind {
			return x.Subject.Kind < y.Subject.Kind
		}
		if x.Subject.Namespace+"/"+x.Subject.Name != y.Subject.Namespace+"/"+y.Subject.Name {
			return x.Subject.Namespace+"/"+x.Subject.Name < y.Subject.Namespace+"/"+y.Subject.Name
		}
		return x.Scope < y.Scope
	})
	return out
}

// Permission is one rule a user holds, where, and through which binding.
type Permission struct {
	// Scope is the namespace, "" for cluster-wide.
	Scope string            `json:"scope"`
	Rule  rbacv1.PolicyRule `json:"rule"`
	Grant Grant             `json:"grant"`
}

// Permissions lists every rule that applies to u, cluster-wide rules first.
func (p *Policy) Permissions(u User) []Permission {
	var out []Permission
	for _, b := range p.clusterRoleBindings {
		rules, ok := p.roleRules(b.RoleRef, "")
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			if !appliesTo(u, s, "") {
				continue
			}
			for i, r := range rules {
				out = append(out, Permission{Rule: r, Grant: Grant{BindingKind: "ClusterRoleBinding", BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: r}})
			}
			break
		}
	}
	for _, b := range p.roleBindings {
		rules, ok := p.roleRules(b.RoleRef, b.Namespace)
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			if !appliesTo(u, s, b.Namespace) {
				continue
			}
			for i, r := range rules {
				if len(r.NonResourceURLs) > 0 {
					continue // a RoleBinding cannot grant non-resource URLs
				}
				out = append(out, Permission{Scope: b.Namespace, Rule: r, Grant: Grant{BindingKind: "RoleBinding", BindingNamespace: b.Namespace, BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: r}})
			}
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out
}

// Bindings returns every binding, for analyses that walk them.
func (p *Policy) Bindings() ([]*rbacv1.RoleBinding, []*rbacv1.ClusterRoleBinding) {
	return p.roleBindings, p.clusterRoleBindings
}
