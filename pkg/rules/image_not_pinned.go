package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "image-not-pinned", Title: "Image not pinned by digest", Severity: api.SeverityLow, Category: api.CategorySupplyChain,
			Rationale:   "Tags can be moved by anyone who can push to the registry; only a digest guarantees that the image that runs is the one that was scanned and signed.",
			Remediation: "Reference the image by digest (name:tag@sha256:...), updated by your CI or a tool such as Renovate.",
			Example:     "image: registry.example.com/web:1.4.2@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
			References:  []api.Reference{nsa("Pod security: building secure container images"), mitreImplant},
		},
		Scope:    ScopeWorkload,
		Subsumes: []string{"image-pull-policy"}, // a digest never moves: the pull policy matters only for a tag
		Check: func(in *Input) []Violation {
			var out []Violation
			for i := range in.Workload.Containers {
				c := &in.Workload.Containers[i]
				if d := parseImage(c.C.Image).digest; !strings.HasPrefix(d, "sha256:") && !strings.HasPrefix(d, "sha512:") {
					out = append(out, containerViolation(c, "image", "image", "image %q is not pinned by digest", c.C.Image))
				}
			}
			return out
		},
	})
}
