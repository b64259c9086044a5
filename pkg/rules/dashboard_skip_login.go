package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "dashboard-skip-login", Title: "Kubernetes Dashboard allows skipping login", Severity: api.SeverityCritical, Category: api.CategoryExposure,
			Rationale:   "With --enable-skip-login anyone who reaches the Dashboard uses it with the Dashboard's own service account, which is often highly privileged (the Tesla cryptojacking breach began this way).",
			Remediation: "Remove --enable-skip-login and require a bearer token or an authenticating proxy in front of the Dashboard.",
			Example:     "args:\n- --auto-generate-certificates\n- --namespace=kubernetes-dashboard",
			References:  []api.Reference{mitreExternal, mitreValidAcct},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			var out []Violation
			for i := range in.Workload.Containers {
				c := &in.Workload.Containers[i]
				if !strings.Contains(c.C.Image, "dashboard") {
					continue
				}
				for j, a := range append(append([]string{}, c.C.Command...), c.C.Args...) {
					if a == "--enable-skip-login" || a == "--enable-skip-login=true" {
						v := containerViolation(c, "args", "skip-login", "the Dashboard runs with %s", a)
						if j >= len(c.C.Command) {
							v.Field = c.Field("args[" + itoa(j-len(c.C.Command)) + "]")
						}
						out = append(out, v)
					}
				}
			}
			return out
		},
	})
}
