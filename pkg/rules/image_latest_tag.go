package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "image-latest-tag", Title: "Image without a tag or with :latest", Severity: api.SeverityMedium, Category: api.CategorySupplyChain,
			Rationale:   "An untagged or :latest image changes under you: what runs is not what was reviewed, rollbacks are impossible, and a poisoned push is picked up on the next pull.",
			Remediation: "Use an immutable version tag, or better a digest (image@sha256:...).",
			Example:     "image: registry.example.com/web:1.4.2@sha256:<digest>",
			References:  []api.Reference{nsa("Pod security: building secure container images"), mitreImplant},
		},
		Scope:    ScopeWorkload,
		Subsumes: []string{"image-not-pinned", "image-pull-policy"},
		Check: func(in *Input) []Violation {
			var out []Violation
			for i := range in.Workload.Containers {
				c := &in.Workload.Containers[i]
				ref := parseImage(c.C.Image)
				if ref.digest != "" {
					continue
				}
				switch ref.tag {
				case "":
					out = append(out, containerViolation(c, "image", "image", "image %q has no tag, so :latest is pulled", c.C.Image))
				case "latest":
					out = append(out, containerViolation(c, "image", "image", "image %q uses the mutable :latest tag", c.C.Image))
				}
			}
			return out
		},
	})
}

// imageRef is a parsed image reference.
type imageRef struct {
	name, tag, digest string
}

// parseImage splits "registry:5000/ns/name:tag@sha256:..." into its parts;
// a registry port is not mistaken for a tag.
func parseImage(image string) imageRef {
	var r imageRef
	rest := strings.TrimSpace(image)
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.digest = rest[i+1:]
		rest = rest[:i]
	}
	slash := strings.LastIndexByte(rest, '/')
	if i := strings.LastIndexByte(rest, ':'); i > slash {
		r.tag = rest[i+1:]
		rest = rest[:i]
	}
	r.name = rest
	return r
}
