package workload

import (
	"sync"

	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// levelDropped marks a slim workload whose level was not kept.
const levelDropped psaapi.Level = "(dropped)"

var (
	evaluator     policy.Evaluator
	evaluatorOnce sync.Once
)

// PSSLevel returns the strictest Pod Security Standards level the pod meets
// at the latest version (restricted, baseline or privileged), as the
// official k8s.io/pod-security-admission evaluator judges it. It is
// computed once and kept when the workload is slimmed.
func (w *Workload) PSSLevel() psaapi.Level {
	if w.pss == levelDropped {
		panic("workload: PSSLevel of a workload slimmed without it; the rule must set NeedsPodSecurityLevel")
	}
	w.pssOnce.Do(func() {
		if w.pss != "" {
			return // carried over by Slim
		}
		evaluatorOnce.Do(func() {
			e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
			if err != nil {
				panic(err) // the upstream checks are valid by construction
			}
			evaluator = e
		})
		w.pss = psaapi.LevelPrivileged
		for _, l := range []psaapi.Level{psaapi.LevelRestricted, psaapi.LevelBaseline} {
			r := policy.AggregateCheckResults(evaluator.EvaluatePod(psaapi.LevelVersion{Level: l, Version: psaapi.LatestVersion()}, w.Meta, w.Spec))
			if r.Allowed {
				w.pss = l
				return
			}
		}
	})
	return w.pss
}
