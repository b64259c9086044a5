package rules_test

import (
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"k8s.io/pod-security-admission/policy"
)

// TestEveryPSSCheckIsMapped fails when k8s.io/pod-security-admission gains a
// check that has no Guardrail rule yet, so upgrades cannot drop coverage.
func TestEveryPSSCheckIsMapped(t *testing.T) {
	ids := rules.PSSRuleIDs()
	for _, c := range policy.DefaultChecks() {
		id, ok := ids[c.ID]
		if !ok {
			t.Errorf("upstream check %s has no Guardrail rule: add it to pssChecks", c.ID)
			continue
		}
		if r, ok := rules.Get(id); !ok || r.PSSLevel != c.Level {
			t.Errorf("check %s: rule %s missing or at the wrong level", c.ID, id)
		}
	}
}
