package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is one access question against resources.
type Request struct {
	Verb        string
	Group       string // "" is the core group
	Resource    string // plural, without subresource
	Subresource string
	Name        string // "" for requests without a name (list, create, ...)
}

// VerbMatches reports whether rule covers verb ("*" covers every verb).
func VerbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

// GroupMatches reports whether rule covers the API group.
func GroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// ResourceMatches reports whether rule covers resource/subresource, the way
// the RBAC authorizer decides it: "*" covers everything, "*/sub" covers the
// subresource sub of any resource, and anything else must equal
// "resource" or "resource/subresource" literally ("pods" does not cover
// "pods/exec", and "pods/*" is no wildcard).
func ResourceMatches(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined = resource + "/" + subresource
	}
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if subresource != "" && len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && r[2:] == subresource {
			return true
		}
	}
	return false
}

// NameMatches reports whether rule covers the object name. A rule with
// resourceNames never covers a request without a name.
func NameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// Allows reports whether rule grants req.
func Allows(rule *rbacv1.PolicyRule, req Request) bool {
	return VerbMatches(rule, req.Verb) && GroupMatches(rule, req.Group) &&
		ResourceMatches(rule, req.Resource, req.Subresource) && NameMatches(rule, req.Name)
}

// AllowsSomeName is like Allows but ignores resourceNames: it answers "can
// this rule grant req on at least one object", which is what a static risk
// review asks.
func AllowsSomeName(rule *rbacv1.PolicyRule, req Request) bool {
	return VerbMatches(rule, req.Verb) && GroupMatches(rule, req.Group) &&
		ResourceMatches(rule, req.Resource, req.Subresource)
}

// NonResourceURLMatches reports whether rule grants verb on a non-resource
// path: "*" matches every path, and a trailing "*" matches by prefix
// ("/apis/*" matches "/apis/" and deeper, but not "/apis").
func NonResourceURLMatches(rule *rbacv1.PolicyRule, verb, path string) bool {
	if !VerbMatches(rule, verb) {
		return false
	}
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")) {
			return true
		}
	}
	return false
}
