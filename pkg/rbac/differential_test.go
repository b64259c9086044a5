package rbac_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// gen draws a reproducible RBAC configuration and questions from a seed.
type gen struct {
	r      *rand.Rand
	prefix string
	ns     []string
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *gen) some(n int, s ...string) []string {
	out := []string{}
	seen := map[string]bool{}
	for i := 0; i < 1+g.r.IntN(n); i++ {
		v := g.pick(s...)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

var (
	verbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
	groups    = []string{"", "apps", "batch", "rbac.authorization.k8s.io"}
	resources = []string{"pods", "pods/exec", "pods/log", "deployments", "deployments/scale", "secrets", "configmaps", "roles", "clusterroles", "jobs", "users"}
	paths     = []string{"/healthz", "/healthz/ping", "/apis", "/apis/apps", "/api", "/metrics", "/version", "/logs/x"}
	names     = []string{"a", "b", "c"}
)

func (g *gen) rule(nonResource bool) rbacv1.PolicyRule {
	r := rbacv1.PolicyRule{Verbs: g.some(3, append(verbs, "*")...)}
	if nonResource {
		r.Verbs = g.some(2, "get", "post", "*")
		r.NonResourceURLs = g.some(2, "/healthz", "/apis/*", "/api", "*", "/metrics", "/logs/*")
		return r
	}
	r.APIGroups = g.some(2, append(groups, "*")...)
	r.Resources = g.some(3, append(resources, "*", "*/scale", "pods/*", "*/exec")...)
	if g.r.IntN(5) == 0 {
		r.ResourceNames = g.some(2, names...)
	}
	return r
}

func (g *gen) subject(bindingNS string) rbacv1.Subject {
	switch g.r.IntN(5) {
	case 0, 1:
		return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: g.prefix + "u" + strconv.Itoa(g.r.IntN(4))}
	case 2:
		n := g.prefix + "g" + strconv.Itoa(g.r.IntN(3))
		if g.r.IntN(8) == 0 {
			n = g.pick("system:authenticated", "system:serviceaccounts", "system:serviceaccounts:"+g.ns[0])
		}
		return rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: n}
	default:
		s := rbacv1.Subject{Kind: "ServiceAccount", Name: "sa" + strconv.Itoa(g.r.IntN(3)), Namespace: g.pick(g.ns...)}
		if bindingNS != "" && g.r.IntN(2) == 0 {
			s.Namespace = "" // takes the RoleBinding's namespace
		}
		return s
	}
}

// create writes a random configuration into the cluster.
func (g *gen) create(t *testing.T, c *kubernetes.Clientset) {
	ctx := context.Background()
	ok := func(err error) {
		if err != nil {
			t.Fatalf("seed %s: %v", g.prefix, err)
		}
	}
	for _, ns := range g.ns {
		_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		ok(err)
		for i := 0; i < 4; i++ {
			role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r" + strconv.Itoa(i)}}
			for j := 0; j < 1+g.r.IntN(3); j++ {
				role.Rules = append(role.Rules, g.rule(false))
			}
			_, err := c.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{})
			ok(err)
		}
	}
	// Cluster roles: plain ones labelled for aggregation, and aggregates of
	// them, one of which is itself aggregated (nesting).
	for i := 0; i < 6; i++ {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: g.prefix + "cr" + strconv.Itoa(i),
			Labels: map[string]string{g.prefix + "agg": g.pick("x", "y", "none")}}}
		for j := 0; j < 1+g.r.IntN(3); j++ {
			cr.Rules = append(cr.Rules, g.rule(g.r.IntN(4) == 0))
		}
		_, err := c.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		ok(err)
	}
	aggX := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: g.prefix + "agg-x", Labels: map[string]string{g.prefix + "agg": "y"}},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{g.prefix + "agg": "x"}}}}}
	aggY := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: g.prefix + "agg-y"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{g.prefix + "agg": "y"}}}}}
	for _, cr := range []*rbacv1.ClusterRole{aggX, aggY} {
		_, err := c.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		ok(err)
	}
	clusterRoleNames := []string{g.prefix + "agg-x", g.prefix + "agg-y", g.prefix + "missing", "view", "edit"}
	for i := 0; i < 6; i++ {
		clusterRoleNames = append(clusterRoleNames, g.prefix+"cr"+strconv.Itoa(i))
	}
	for _, ns := range g.ns {
		for i := 0; i < 5; i++ {
			b := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b" + strconv.Itoa(i)}}
			if g.r.IntN(2) == 0 {
				b.RoleRef = rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: g.pick("r0", "r1", "r2", "r3", "gone")}
			} else {
				b.RoleRef = rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: g.pick(clusterRoleNames...)}
			}
			for j := 0; j < 1+g.r.IntN(3); j++ {
				b.Subjects = append(b.Subjects, g.subject(ns))
			}
			_, err := c.RbacV1().RoleBindings(ns).Create(ctx, b, metav1.CreateOptions{})
			ok(err)
		}
	}
	for i := 0; i < 4; i++ {
		b := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: g.prefix + "crb" + strconv.Itoa(i)},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: g.pick(clusterRoleNames...)}}
		for j := 0; j < 1+g.r.IntN(2); j++ {
			s := g.subject("")
			if s.Kind == "ServiceAccount" && s.Namespace == "" {
				s.Namespace = g.ns[0]
			}
			b.Subjects = append(b.Subjects, s)
		}
		_, err := c.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{})
		ok(err)
	}
}

// question draws an identity and a request.
func (g *gen) question() (rbac.User, rbac.Attributes) {
	var u rbac.User
	switch g.r.IntN(3) {
	case 0:
		u = rbac.ServiceAccountUser(g.pick(g.ns...), "sa"+strconv.Itoa(g.r.IntN(3)))
	default:
		u = rbac.User{Name: g.prefix + "u" + strconv.Itoa(g.r.IntN(5)), Groups: []string{rbac.GroupAuthenticated}}
		for i := 0; i < 3; i++ {
			if g.r.IntN(3) == 0 {
				u.Groups = append(u.Groups, g.prefix+"g"+strconv.Itoa(i))
			}
		}
	}
	if g.r.IntN(6) == 0 {
		return u, rbac.Attributes{NonResource: true, Verb: g.pick("get", "post"), Path: g.pick(paths...)}
	}
	res, sub := rbac.ParseResource(g.pick(resources...))
	a := rbac.Attributes{Verb: g.pick(verbs...), Group: g.pick(groups...), Resource: res, Subresource: sub}
	if g.r.IntN(4) > 0 {
		a.Namespace = g.pick(append(g.ns, "elsewhere")...)
	}
	if g.r.IntN(2) == 0 {
		a.Name = g.pick(names...)
	}
	return u, a
}

func sar(ctx context.Context, c *kubernetes.Clientset, u rbac.User, a rbac.Attributes) (bool, string, error) {
	spec := authzv1.SubjectAccessReviewSpec{User: u.Name, Groups: u.Groups}
	if a.NonResource {
		spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	} else {
		spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.Group,
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	}
	r, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason, nil
}

// livePolicy reads the cluster's RBAC into a Policy.
func livePolicy(t *testing.T, c *kubernetes.Clientset) *rbac.Policy {
	ctx := context.Background()
	roles, err := c.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crs, err := c.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rbs, err := c.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var r []*rbacv1.Role
	for i := range roles.Items {
		r = append(r, &roles.Items[i])
	}
	var cr []*rbacv1.ClusterRole
	for i := range crs.Items {
		cr = append(cr, &crs.Items[i])
	}
	var rb []*rbacv1.RoleBinding
	for i := range rbs.Items {
		rb = append(rb, &rbs.Items[i])
	}
	var crb []*rbacv1.ClusterRoleBinding
	for i := range crbs.Items {
		crb = append(crb, &crbs.Items[i])
	}
	return rbac.NewPolicy(r, cr, rb, crb)
}

// waitAggregated waits until Kubernetes' aggregation controller has filled
// every aggregated cluster role of the seed and stopped changing them.
func waitAggregated(t *testing.T, c *kubernetes.Clientset, prefix string) {
	deadline := time.Now().Add(60 * time.Second)
	last, stable := "", 0
	for time.Now().Before(deadline) {
		var sig strings.Builder
		filled := true
		// Wait for rules only where the selectors match something to
		// aggregate; an aggregate of nothing stays empty.
		expect := livePolicy(t, c)
		for _, n := range []string{prefix + "agg-x", prefix + "agg-y"} {
			cr, err := c.RbacV1().ClusterRoles().Get(context.Background(), n, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sig, "%s:%s;", n, cr.ResourceVersion)
			if want, _ := expect.ClusterRoleRules(n); len(want) > 0 && len(cr.Rules) == 0 {
				filled = false
			}
		}
		if sig.String() == last && filled {
			if stable++; stable >= 4 {
				return
			}
		} else {
			last, stable = sig.String(), 0
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("aggregation did not settle for %s", prefix)
}

// TestAuthorizeMatchesTheAPIServer compares Authorize with the real API
// server's SubjectAccessReview on thousands of random questions over random,
// seeded RBAC configurations whose aggregated roles Kubernetes' own
// clusterrole-aggregation controller computes. GUARDRAIL_RBAC_SEEDS=1,2,3
// reproduces specific seeds.
func TestAuthorizeMatchesTheAPIServer(t *testing.T) {
	tc := testcluster.Shared(t)
	if err := tc.StartControllerManager("clusterrole-aggregation"); err != nil {
		t.Fatal(err)
	}
	c, err := tc.Client()
	if err != nil {
		t.Fatal(err)
	}
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("GUARDRAIL_RBAC_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			v, _ := strconv.ParseUint(f, 10, 64)
			seeds = append(seeds, v)
		}
	}
	ctx := context.Background()
	total, allowed := 0, 0
	for _, seed := range seeds {
		g := &gen{r: rand.New(rand.NewPCG(seed, seed*7919)), prefix: fmt.Sprintf("s%d-", seed)}
		g.ns = []string{g.prefix + "a", g.prefix + "b"}
		g.create(t, c)
		waitAggregated(t, c, g.prefix)
		p := livePolicy(t, c)
		for i := 0; i < 1200; i++ {
			u, a := g.question()
			want, reason, err := sar(ctx, c, u, a)
			if err != nil {
				t.Fatal(err)
			}
			grant, got := p.Authorize(u, a)
			total++
			if want {
				allowed++
			}
			if a.Namespace != "" && got != whoCanIncludes(p.WhoCan(a), u) {
				t.Fatalf("seed %d, question %d: WhoCan and Authorize disagree for %+v on %+v", seed, i, u, a)
			}
			if got != want {
				t.Fatalf("seed %d, question %d: %+v asks %+v\n  API server: allowed=%v (%s)\n  guardrail:  allowed=%v via %+v\n%s",
					seed, i, u, a, want, reason, got, grant, relevant(p, c, u))
			}
		}
	}
	t.Logf("%d questions over %d seeds agree with SubjectAccessReview (%d allowed, %d denied)", total, len(seeds), allowed, total-allowed)
	if allowed < total/20 || allowed > total*19/20 {
		t.Errorf("questions are too one-sided to test anything: %d of %d allowed", allowed, total)
	}
}

// relevant prints the bindings that name the user: the minimal part of the
// configuration a differing answer can come from.
func relevant(p *rbac.Policy, c *kubernetes.Clientset, u rbac.User) string {
	var b strings.Builder
	rbs, _ := c.RbacV1().RoleBindings("").List(context.Background(), metav1.ListOptions{})
	crbs, _ := c.RbacV1().ClusterRoleBindings().List(context.Background(), metav1.ListOptions{})
	mention := func(subjects []rbacv1.Subject) bool {
		for _, s := range subjects {
			if s.Name == u.Name || strings.HasSuffix(u.Name, ":"+s.Name) {
				return true
			}
			for _, gr := range u.Groups {
				if s.Name == gr {
					return true
				}
			}
		}
		return false
	}
	for _, x := range rbs.Items {
		if mention(x.Subjects) {
			fmt.Fprintf(&b, "  RoleBinding %s/%s -> %s %s %v\n", x.Namespace, x.Name, x.RoleRef.Kind, x.RoleRef.Name, x.Subjects)
		}
	}
	for _, x := range crbs.Items {
		if mention(x.Subjects) {
			rules, _ := p.ClusterRoleRules(x.RoleRef.Name)
			fmt.Fprintf(&b, "  ClusterRoleBinding %s -> %s %v rules=%v\n", x.Name, x.RoleRef.Name, x.Subjects, rules)
		}
	}
	return b.String()
}

// whoCanIncludes reports whether a subject WhoCan lists names u.
func whoCanIncludes(list []rbac.SubjectGrant, u rbac.User) bool {
	for _, sg := range list {
		s := sg.Subject
		switch s.Kind {
		case "User":
			if s.Name == u.Name {
				return true
			}
		case "Group":
			for _, g := range u.Groups {
				if g == s.Name {
					return true
				}
			}
		case "ServiceAccount":
			if u.Name == "system:serviceaccount:"+s.Namespace+":"+s.Name {
				return true
			}
		}
	}
	return false
}
