package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestResourceSemantics(t *testing.T) {
	rule := func(res ...string) *rbacv1.PolicyRule {
		return &rbacv1.PolicyRule{Verbs: []string{"get", "create"}, APIGroups: []string{""}, Resources: res}
	}
	cases := []struct {
		rule     *rbacv1.PolicyRule
		res, sub string
		want     bool
	}{
		{rule("*"), "pods", "exec", true},
		{rule("*"), "pods", "", true},
		{rule("*/scale"), "deployments", "scale", true},
		{rule("*/scale"), "deployments", "", false},
		{rule("pods/*"), "pods", "exec", false},
		{rule("pods"), "pods", "exec", false},
		{rule("pods"), "pods", "log", false},
		{rule("pods/exec"), "pods", "exec", true},
		{rule("pods/exec"), "pods", "", false},
	}
	for _, c := range cases {
		if got := ResourceMatches(c.rule, c.res, c.sub); got != c.want {
			t.Errorf("%v on %s/%s = %v, want %v", c.rule.Resources, c.res, c.sub, got, c.want)
		}
	}
}

func TestResourceNamesNeverMatchNamelessRequests(t *testing.T) {
	r := &rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"a"}}
	if Allows(r, Request{Verb: "list", Resource: "secrets"}) {
		t.Error("list without a name must not match resourceNames")
	}
	if Allows(r, Request{Verb: "create", Resource: "secrets"}) {
		t.Error("create must not match resourceNames")
	}
	if !Allows(r, Request{Verb: "get", Resource: "secrets", Name: "a"}) {
		t.Error("get a must match")
	}
	if !AllowsSomeName(r, Request{Verb: "get", Resource: "secrets"}) {
		t.Error("AllowsSomeName ignores names")
	}
}

func TestNonResourceURLs(t *testing.T) {
	r := &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*", "/healthz"}}
	cases := map[string]bool{"/apis": false, "/apis/": true, "/apis/apps/v1": true, "/healthz": true, "/healthz/ping": false}
	for p, want := range cases {
		if got := NonResourceURLMatches(r, "get", p); got != want {
			t.Errorf("%s = %v, want %v", p, got, want)
		}
	}
	if NonResourceURLMatches(r, "post", "/healthz") {
		t.Error("verb must match")
	}
}
