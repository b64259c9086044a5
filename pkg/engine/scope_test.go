package engine_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// scopeInput has one risky object of each cluster-scoped kind a namespace
// report must decide on, and a namespaced one in each namespace.
const scopeInput = `apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: x}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-bound-in-a}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-bound-in-b}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-unbound}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-aggregated, labels: {agg: "yes"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregator}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {agg: "yes"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: in-a, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-bound-in-a}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: in-b, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-bound-in-b}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everywhere}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregator}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: carol}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: b}
spec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}
`

// objectsWithFindings lists the objects that have at least one finding.
func objectsWithFindings(res *engine.Result) string {
	seen := map[string]bool{}
	for _, f := range res.Findings {
		seen[f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestNamespaceScope: -n a keeps a's objects and the cluster-scoped
// objects that grant or expose into a, and counts what it leaves out.
func TestNamespaceScope(t *testing.T) {
	every := engine.WithRules(rules.All())
	all := scan(t, scopeInput, every)
	scoped := scan(t, scopeInput, every, engine.WithNamespaceScope("a"))
	for _, want := range []string{"ClusterRole//secrets-bound-in-a", "ClusterRole//secrets-aggregated", "Pod/a/p"} {
		if !strings.Contains(objectsWithFindings(all), want) {
			t.Fatalf("the unscoped report has no finding on %s (the rules changed?): %s", want, objectsWithFindings(all))
		}
		if !strings.Contains(objectsWithFindings(scoped), want) {
			t.Errorf("-n a leaves out %s: %s", want, objectsWithFindings(scoped))
		}
	}
	for _, gone := range []string{"ClusterRole//secrets-bound-in-b", "ClusterRole//secrets-unbound", "Pod/b/p", "/b/"} {
		if !strings.Contains(objectsWithFindings(all), strings.TrimSuffix(gone, "/")) {
			t.Fatalf("the unscoped report has no finding on %s: %s", gone, objectsWithFindings(all))
		}
		if strings.Contains(objectsWithFindings(scoped), gone) {
			t.Errorf("-n a keeps %s: %s", gone, objectsWithFindings(scoped))
		}
	}
	if scoped.Summary.OutOfScope == 0 || len(scoped.Findings)+scoped.Summary.OutOfScope != len(all.Findings) {
		t.Errorf("scoped %d + out of scope %d != all %d", len(scoped.Findings), scoped.Summary.OutOfScope, len(all.Findings))
	}
}
