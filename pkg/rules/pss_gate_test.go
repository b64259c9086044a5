package rules_test

import (
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestDefaultProfileGatesEveryBaselineViolation: a stricter profile never
// gates more weakly. Every upstream Pod Security fixture pod that the
// official evaluator denies at the baseline level (latest) gets a finding
// at or above high, the default gate, from the default profile, which
// judges at restricted where restricted checks replace baseline ones.
func TestDefaultProfileGatesEveryBaselineViolation(t *testing.T) {
	_, files := upstreamFixtures(t)
	official, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New() // zero-trust, restricted level, latest
	denied := 0
	for _, f := range files {
		loaded := manifest.NewLoader().Load([]string{f})
		for _, o := range loaded.Objects {
			pod, ok := o.Obj.(*corev1.Pod)
			if !ok {
				continue
			}
			w := o.Workload
			res := policy.AggregateCheckResults(official.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelBaseline, Version: psaapi.LatestVersion()}, w.Meta, w.Spec))
			if res.Allowed {
				continue
			}
			denied++
			gated := false
			for _, fd := range e.Scan(inventory.New([]*inventory.Object{o})).Findings {
				gated = gated || fd.Severity >= api.SeverityHigh
			}
			if !gated {
				t.Errorf("%s: pod %s breaks baseline (%s) but nothing reaches the default gate", f, pod.Name, res.ForbiddenReason())
			}
		}
	}
	if denied < 500 {
		t.Fatalf("only %d baseline-denied fixture pods found", denied)
	}
	t.Logf("%d baseline-denied upstream fixture pods, each gated at high or above", denied)
}
