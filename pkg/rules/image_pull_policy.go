package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "image-pull-policy", Title: "Image pull policy lets a cached tag run", Severity: api.SeverityLow, Category: api.CategorySupplyChain,
			Rationale:   "With IfNotPresent or Never, a node runs whatever image it cached under the tag: a tag moved in the registry is not picked up, and on shared nodes a pod can run a private image without presenting pull credentials.",
			Remediation: "Pin the image by digest, or set imagePullPolicy: Always (and enable the AlwaysPullImages admission plugin on multi-tenant clusters).",
			Example:     "image: registry.example.com/web:1.4.2\nimagePullPolicy: Always",
			References:  []api.Reference{mitreImplant},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			var out []Violation
			for i := range in.Workload.Containers {
				c := &in.Workload.Containers[i]
				ref := parseImage(c.C.Image)
				if ref.digest != "" {
					continue
				}
				policy := c.C.ImagePullPolicy
				if policy == "" {
					// The API server defaults to Always only for :latest and untagged images.
					if ref.tag == "" || ref.tag == "latest" {
						continue
					}
					out = append(out, containerViolation(c, "imagePullPolicy", "pull", "imagePullPolicy defaults to IfNotPresent for tag %q, and the image is not pinned by digest", ref.tag))
					continue
				}
				if policy != corev1.PullAlways {
					out = append(out, containerViolation(c, "imagePullPolicy", "pull", "imagePullPolicy is %s and the image is not pinned by digest", policy))
				}
			}
			return out
		},
	})
}
