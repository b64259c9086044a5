package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Well-known groups.
const (
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	saUserPrefix         = "system:serviceaccount:"
)

// User is an identity as the authorizer sees it.
type User struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups,omitempty"`
}

// ServiceAccountUser returns the identity of a service account, with the
// groups the API server gives it (its namespace's, all service accounts',
// and system:authenticated).
func ServiceAccountUser(namespace, name string) User {
	return User{Name: saUserPrefix + namespace + ":" + name,
		Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + namespace, GroupAuthenticated}}
}

// Attributes is one access question.
type Attributes struct {
	Verb string `json:"verb"`
	// Namespace is "" for cluster-scoped requests.
	Namespace string `json:"namespace,omitempty"`
	// Resource requests set these.
	Group       string `json:"group,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	// NonResource requests set Path instead.
	NonResource bool   `json:"nonResource,omitempty"`
	Path        string `json:"path,omitempty"`
}

// Grant explains one way a request is allowed: the binding, the role and
// the rule (subject → binding → role → rule).
type Grant struct {
	// BindingKind is RoleBinding or ClusterRoleBinding; empty for system:masters.
	BindingKind      string `json:"bindingKind,omitempty"`
	BindingNamespace string `json:"bindingNamespace,omitempty"`
	BindingName      string `json:"bindingName,omitempty"`
	// Subject is the binding subject that matched the user.
	Subject rbacv1.Subject `json:"subject"`
	// RoleKind and RoleName name the bound role.
	RoleKind string `json:"roleKind,omitempty"`
	RoleName string `json:"roleName,omitempty"`
	// RuleIndex is the rule's position in the role's effective rules.
	RuleIndex int               `json:"ruleIndex"`
	Rule      rbacv1.PolicyRule `json:"rule"`
}

// Authorize answers like the API server configured with
// --authorization-mode=RBAC: members of system:masters may do anything;
// otherwise a ClusterRoleBinding, or a RoleBinding in the request's
// namespace, must bind the user to a role with a matching rule. It returns
// the first grant found, or ok=false.
func (p *Policy) Authorize(u User, a Attributes) (Grant, bool) {
	var found Grant
	ok := false
	p.visit(u, a, func(g Grant) bool {
		found, ok = g, true
		return false
	})
	return found, ok
}

// Grants returns every grant that allows the request.
func (p *Policy) Grants(u User, a Attributes) []Grant {
	var out []Grant
	p.visit(u, a, func(g Grant) bool {
		out = append(out, g)
		return true
	})
	return out
}

func (p *Policy) visit(u User, a Attributes, yield func(Grant) bool) {
	for _, g := range u.Groups {
		if g == GroupMasters {
			if !yield(Grant{Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}}) {
				return
			}
		}
	}
	for _, b := range p.clusterRoleBindings {
		rules, ok := p.roleRules(b.RoleRef, "")
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			if !appliesTo(u, s, "") {
				continue
			}
			for i := range rules {
				if ruleAllows(&rules[i], a) {
					if !yield(Grant{BindingKind: "ClusterRoleBinding", BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: rules[i]}) {
						return
					}
				}
			}
		}
	}
	if a.Namespace == "" || a.NonResource {
		return
	}
	for _, b := range p.bindingsByNS[a.Namespace] {
		rules, ok := p.roleRules(b.RoleRef, b.Namespace)
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			if !appliesTo(u, s, b.Namespace) {
				continue
			}
			for i := range rules {
				if ruleAllows(&rules[i], a) {
					if !yield(Grant{BindingKind: "RoleBinding", BindingNamespace: b.Namespace, BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, RuleIndex: i, Rule: rules[i]}) {
						return
					}
				}
			}
		}
	}
}

// appliesTo reports whether binding subject s names user u. A
// ServiceAccount subject without a namespace takes the binding's
// namespace (bindingNS is "" for ClusterRoleBindings).
func appliesTo(u User, s rbacv1.Subject, bindingNS string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return u.Name == s.Name
	case rbacv1.GroupKind:
		for _, g := range u.Groups {
			if g == s.Name {
				return true
			}
		}
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return ns != "" && u.Name == saUserPrefix+ns+":"+s.Name
	}
	return false
}

// ruleAllows matches one rule against the request.
func ruleAllows(r *rbacv1.PolicyRule, a Attributes) bool {
	if a.NonResource {
		return NonResourceURLMatches(r, a.Verb, a.Path)
	}
	return Allows(r, Request{Verb: a.Verb, Group: a.Group, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name})
}

// ParseResource splits "pods/exec" into resource and subresource.
func ParseResource(s string) (resource, subresource string) {
	resource, subresource, _ = strings.Cut(s, "/")
	return resource, subresource
}
