package admission

import (
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// AdmissionRules filters rs to the rules that can judge a single object at
// admission: rules that read the rest of the inventory (namespace-wide and
// cross-object rules) would see an empty world here and are left to scans.
func AdmissionRules(rs []*rules.Rule) []*rules.Rule {
	var out []*rules.Rule
	for _, r := range rs {
		if r.CrossObject || r.Scope == rules.ScopeNamespace || r.Input == rules.ClusterOnly || r.Input == rules.ManifestsOnly {
			continue
		}
		out = append(out, r)
	}
	return out
}

// MaxFindingsPerRule bounds the findings one rule reports on one reviewed
// object: a denial names five, and a pod with thousands of offending
// containers must cost bounded memory.
const MaxFindingsPerRule = 20

// NewEngine is the engine a webhook judges with: the options given (rules,
// settings, exceptions) and the admission bounds.
func NewEngine(opts ...engine.Option) *engine.Engine {
	return engine.New(append(opts, engine.WithMaxFindingsPerRule(MaxFindingsPerRule))...)
}
