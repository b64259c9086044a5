package rbac

import (
	"fmt"
	"runtime"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRiskReportRanksAndExplains(t *testing.T) {
	admin := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin-like"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}}
	reader := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: "shop"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}},
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"db"}},
		{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods"}},
	}}
	p := NewPolicy([]*rbacv1.Role{reader}, []*rbacv1.ClusterRole{admin},
		[]*rbacv1.RoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "rb", Namespace: "shop"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "app"}}}},
		[]*rbacv1.ClusterRoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin-like"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "ops"}}}})
	r := p.RiskReport()
	if len(r) != 2 || r[0].Subject.Name != "ops" || r[1].Subject.Name != "app" || r[1].Subject.Namespace != "shop" {
		t.Fatalf("ranking = %+v", r)
	}
	if len(r[0].Risks) != 1 || r[0].Risks[0].Risk.ID != "cluster-admin" {
		t.Errorf("admin equivalence must be one line, got %d risks", len(r[0].Risks))
	}
	var ids []string
	for _, rg := range r[1].Risks {
		ids = append(ids, fmt.Sprintf("%s@%s via %s/%s rules[%d]", rg.Risk.ID, rg.Scope, rg.Grant.BindingNamespace, rg.Grant.BindingName, rg.Grant.RuleIndex))
	}
	if fmt.Sprint(ids) != "[read-secrets@shop via shop/rb rules[1] relabel@shop via shop/rb rules[2]]" {
		t.Errorf("risks = %v", ids)
	}
}

// bigPolicy builds 5,000 roles and 10,000 bindings over 200 namespaces.
func bigPolicy() *Policy {
	var roles []*rbacv1.Role
	var crs []*rbacv1.ClusterRole
	var rbs []*rbacv1.RoleBinding
	var crbs []*rbacv1.ClusterRoleBinding
	verbs := [][]string{{"get", "list", "watch"}, {"create", "update"}, {"*"}, {"get"}}
	res := [][]string{{"pods", "services"}, {"secrets"}, {"deployments", "replicasets"}, {"pods/exec"}, {"configmaps"}}
	for i := 0; i < 4500; i++ {
		ns := fmt.Sprintf("ns-%d", i%200)
		roles = append(roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r%d", i), Namespace: ns},
			Rules: []rbacv1.PolicyRule{{Verbs: verbs[i%4], APIGroups: []string{"", "apps"}, Resources: res[i%5]}, {Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"events"}}}})
	}
	for i := 0; i < 500; i++ {
		crs = append(crs, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr%d", i), Labels: map[string]string{"agg": fmt.Sprint(i % 10)}},
			Rules: []rbacv1.PolicyRule{{Verbs: verbs[i%4], APIGroups: []string{"*"}, Resources: res[i%5]}}})
	}
	for i := 0; i < 9000; i++ {
		ns := fmt.Sprintf("ns-%d", i%200)
		ref := rbacv1.RoleRef{Kind: "Role", Name: fmt.Sprintf("r%d", (i*7)%4500)}
		if i%3 == 0 {
			ref = rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", i%500)}
		}
		rbs = append(rbs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb%d", i), Namespace: ns}, RoleRef: ref,
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("sa%d", i%50)}, {Kind: "User", Name: fmt.Sprintf("u%d", i%300)}}})
	}
	for i := 0; i < 1000; i++ {
		crbs = append(crbs, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb%d", i)},
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", i%500)},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: fmt.Sprintf("g%d", i%40)}}})
	}
	return NewPolicy(roles, crs, rbs, crbs)
}

// BenchmarkWhoCan: one who-can question over 5,000 roles and 10,000 bindings.
func BenchmarkWhoCan(b *testing.B) {
	p := bigPolicy()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(p.WhoCan(Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns-7"})) == 0 {
			b.Fatal("nobody")
		}
	}
}

// BenchmarkWhoCanAllNamespaces: the same question for every namespace at once.
func BenchmarkWhoCanAllNamespaces(b *testing.B) {
	p := bigPolicy()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.WhoCan(Attributes{Verb: "get", Resource: "secrets"})
	}
}

// BenchmarkRiskReport: the full risk report, with the heap it holds.
func BenchmarkRiskReport(b *testing.B) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	p := bigPolicy()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(p.RiskReport())
	}
	b.StopTimer()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-live")
	b.ReportMetric(float64(n), "subjects")
	runtime.KeepAlive(p)
}
