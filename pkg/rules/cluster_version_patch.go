package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "cluster-version-patch", Title: "Kubernetes patch release behind", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "Patch releases carry the security fixes of a supported minor version; a control plane behind the latest patch runs known, fixed vulnerabilities.",
			Remediation: "Upgrade to the latest patch release of the minor version (release table as of " + releasesAsOf + ").",
			Example:     "# kubeadm upgrade apply v1.37.2",
			References:  []api.Reference{mitre("T1190", "Exploit Public-Facing Application")},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindClusterInfo},
		Input:          ClusterOnly,
		Check: func(in *Input) []Violation {
			v := serverVersion(in)
			minor, patch, ok := parseVersion(v)
			if !ok {
				return nil
			}
			r, known := releases[minor]
			if !known || patch >= r.latestPatch {
				return nil
			}
			return []Violation{{Message: fmt.Sprintf("API server %s is behind the latest patch v1.%d.%d (table of %s)", v, minor, r.latestPatch, releasesAsOf), Field: "server.gitVersion"}}
		},
	})
}
