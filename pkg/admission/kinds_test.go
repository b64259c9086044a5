package admission

import (
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestKindsDeriveEverything: every kind a registered rule reads is one the
// live scan lists (or one the cluster loader makes itself), and every kind
// an admission rule reads is registered with the webhook, in the scope the
// API server has it in. A rule whose kind one of them lacks would
// silently never run there. (The shipped ClusterRole grants what the scan
// lists: pkg/cluster's TestScannerRoleIsExactlyWhatTheScanLists.)
func TestKindsDeriveEverything(t *testing.T) {
	listed := map[schema.GroupKind]bool{cluster.InfoKind.GroupKind(): true, cluster.KubeletConfigKind.GroupKind(): true}
	for _, r := range cluster.Resources {
		listed[r.GVK.GroupKind()] = true
	}
	all := rules.All()
	registered := map[string]bool{}
	for _, scope := range []admissionregv1.ScopeType{admissionregv1.NamespacedScope, admissionregv1.ClusterScope} {
		for _, rw := range RuleWithOperations(all, scope) {
			for _, res := range rw.Resources {
				registered[rw.APIGroups[0]+"/"+res] = true
			}
		}
	}
	admissible := map[*rules.Rule]bool{}
	for _, r := range AdmissionRules(all) {
		admissible[r] = true
	}
	for _, r := range all {
		for _, gk := range r.Kinds {
			if r.Input != rules.ManifestsOnly && !listed[gk] {
				t.Errorf("rule %s reads %s, which the live scan does not list (pkg/cluster/resources.go)", r.ID, gk)
			}
			if !admissible[r] || gk == cluster.InfoKind.GroupKind() || gk == cluster.KubeletConfigKind.GroupKind() {
				continue
			}
			res, ok := resourceFor(gk)
			if !ok || !registered[res.GVR.Group+"/"+res.GVR.Resource] {
				t.Errorf("admission rule %s reads %s, which the webhook does not register", r.ID, gk)
			}
		}
	}
	if !registered["/pods/ephemeralcontainers"] || !registered["apps/deployments"] || !registered["rbac.authorization.k8s.io/clusterrolebindings"] {
		t.Errorf("registered: %v", registered)
	}
}
