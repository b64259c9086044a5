package rbac_test

import (
	"context"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSemanticsAgainstTheAPIServer checks each RBAC claim Guardrail relies
// on with the real API server: both must give the stated answer.
func TestSemanticsAgainstTheAPIServer(t *testing.T) {
	tc := testcluster.Shared(t)
	c, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ns := "sem"
	_, err = c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(err)
	cr := func(name string, rules ...rbacv1.PolicyRule) {
		_, err := c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must(err)
	}
	crb := func(name, role string, s rbacv1.Subject) {
		_, err := c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}, Subjects: []rbacv1.Subject{s}}, metav1.CreateOptions{})
		must(err)
	}
	rb := func(name, kind, role string, s rbacv1.Subject) {
		_, err := c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: kind, Name: role}, Subjects: []rbacv1.Subject{s}}, metav1.CreateOptions{})
		must(err)
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: n}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: n}
	}
	all := []string{"*"}

	cr("sem-star", rbacv1.PolicyRule{Verbs: all, APIGroups: all, Resources: all})
	crb("sem-star", "sem-star", user("star"))
	cr("sem-scale", rbacv1.PolicyRule{Verbs: all, APIGroups: all, Resources: []string{"*/scale"}})
	crb("sem-scale", "sem-scale", user("scaler"))
	cr("sem-podsub", rbacv1.PolicyRule{Verbs: all, APIGroups: []string{""}, Resources: []string{"pods/*"}})
	crb("sem-podsub", "sem-podsub", user("podsub"))
	cr("sem-pods", rbacv1.PolicyRule{Verbs: all, APIGroups: []string{""}, Resources: []string{"pods"}})
	crb("sem-pods", "sem-pods", user("pods"))
	cr("sem-apps-pods", rbacv1.PolicyRule{Verbs: all, APIGroups: []string{"apps"}, Resources: []string{"pods"}})
	crb("sem-apps-pods", "sem-apps-pods", user("appspods"))
	cr("sem-named", rbacv1.PolicyRule{Verbs: all, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"s1"}})
	crb("sem-named", "sem-named", user("named"))
	cr("sem-nonres", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}})
	crb("sem-nonres", "sem-nonres", user("nonres"))
	cr("sem-ns-reader", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}})
	rb("sem-ns-reader", "ClusterRole", "sem-ns-reader", user("scoped"))
	rb("sem-sa", "ClusterRole", "sem-ns-reader", rbacv1.Subject{Kind: "ServiceAccount", Name: "robot"}) // no namespace: the binding's
	rb("sem-dormant", "Role", "not-yet", user("dormant"))
	crb("sem-authn", "sem-ns-reader", group("system:serviceaccounts:"+ns))

	type q struct {
		claim string
		u     rbac.User
		a     rbac.Attributes
		want  bool
	}
	u := func(n string) rbac.User { return rbac.User{Name: n, Groups: []string{rbac.GroupAuthenticated}} }
	res := func(verb, group, resource, sub, nsName, name string) rbac.Attributes {
		return rbac.Attributes{Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: nsName, Name: name}
	}
	cases := []q{
		{"* covers every resource", u("star"), res("get", "apps", "deployments", "", ns, ""), true},
		{"* covers every subresource", u("star"), res("create", "", "pods", "exec", ns, ""), true},
		{"*/scale matches the scale subresource of any resource", u("scaler"), res("update", "apps", "deployments", "scale", ns, ""), true},
		{"*/scale does not match the resource itself", u("scaler"), res("get", "apps", "deployments", "", ns, ""), false},
		{"pods/* is no wildcard: nothing on pods/exec", u("podsub"), res("create", "", "pods", "exec", ns, ""), false},
		{"pods alone does not cover pods/exec", u("pods"), res("create", "", "pods", "exec", ns, ""), false},
		{"pods alone does not cover pods/log", u("pods"), res("get", "", "pods", "log", ns, ""), false},
		{"pods covers pods", u("pods"), res("delete", "", "pods", "", ns, ""), true},
		{"the core group is \"\", not apps", u("appspods"), res("get", "", "pods", "", ns, ""), false},
		{"resourceNames match get by name", u("named"), res("get", "", "secrets", "", ns, "s1"), true},
		{"resourceNames never match create", u("named"), res("create", "", "secrets", "", ns, ""), false},
		{"resourceNames never match deletecollection", u("named"), res("deletecollection", "", "secrets", "", ns, ""), false},
		{"resourceNames never match list without a name", u("named"), res("list", "", "secrets", "", ns, ""), false},
		{"resourceNames never match watch without a name", u("named"), res("watch", "", "secrets", "", ns, ""), false},
		// Outside system:authenticated: the bootstrap system:discovery role grants /apis to it.
		{"/apis/* matches /apis/apps", rbac.User{Name: "nonres"}, rbac.Attributes{NonResource: true, Verb: "get", Path: "/apis/apps"}, true},
		{"/apis/* does not match /apis", rbac.User{Name: "nonres"}, rbac.Attributes{NonResource: true, Verb: "get", Path: "/apis"}, false},
		{"system:authenticated is granted /apis by system:discovery", u("nonres"), rbac.Attributes{NonResource: true, Verb: "get", Path: "/apis"}, true},
		{"a RoleBinding to a ClusterRole grants in its namespace", u("scoped"), res("get", "", "configmaps", "", ns, ""), true},
		{"a RoleBinding to a ClusterRole grants nothing elsewhere", u("scoped"), res("get", "", "configmaps", "", "default", ""), false},
		{"a ServiceAccount subject without namespace takes the binding's", rbac.ServiceAccountUser(ns, "robot"), res("get", "", "configmaps", "", ns, ""), true},
		{"...and not another namespace's account of that name", rbac.ServiceAccountUser("default", "robot"), res("get", "", "configmaps", "", ns, ""), false},
		{"a binding to a missing role grants nothing", u("dormant"), res("get", "", "configmaps", "", ns, ""), false},
		{"system:masters bypasses RBAC", rbac.User{Name: "root", Groups: []string{rbac.GroupMasters}}, res("delete", "", "nodes", "", "", ""), true},
		{"system:serviceaccounts:NS is a service account's implicit group", rbac.ServiceAccountUser(ns, "anyone"), res("get", "", "configmaps", "", "default", ""), true},
		{"the implicit group is per namespace", rbac.ServiceAccountUser("default", "anyone"), res("get", "", "configmaps", "", "default", ""), false},
	}
	p := livePolicy(t, c)
	for _, tc := range cases {
		api, reason, err := sar(ctx, c, tc.u, tc.a)
		must(err)
		_, ours := p.Authorize(tc.u, tc.a)
		if api != tc.want || ours != tc.want {
			t.Errorf("%s: API server %v (%s), guardrail %v, claimed %v", tc.claim, api, reason, ours, tc.want)
		}
	}
	// A dormant binding comes alive when its role appears.
	_, err = c.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "not-yet"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}, metav1.CreateOptions{})
	must(err)
	a := res("get", "", "configmaps", "", ns, "")
	// The API server's authorizer reads roles through an informer: give its
	// cache up to 10 s to see the new role before asking for the verdict.
	var api bool
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		api, _, err = sar(ctx, c, u("dormant"), a)
		must(err)
		if api || time.Now().After(deadline) {
			break
		}
	}
	if _, ours := livePolicy(t, c).Authorize(u("dormant"), a); !api || !ours {
		t.Errorf("dormant binding after its role appears: API server %v, guardrail %v", api, ours)
	}
}
