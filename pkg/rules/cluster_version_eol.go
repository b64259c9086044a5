package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kindClusterInfo is the synthetic object a cluster scan adds for the API server.
var kindClusterInfo = schema.GroupKind{Group: "guardrail.dev", Kind: "ClusterInfo"}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "cluster-version-eol", Title: "Kubernetes version out of support", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "An end-of-life minor version receives no security fixes: every vulnerability published after its end of life stays open in the control plane.",
			Remediation: "Upgrade the control plane to a supported minor version (one minor at a time), then the nodes.",
			Example:     "# kubeadm upgrade plan && kubeadm upgrade apply v1.37.2\n# or your provider's upgrade command",
			References:  []api.Reference{cis("1.1", "Control plane components"), mitre("T1190", "Exploit Public-Facing Application")},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindClusterInfo},
		Input:          ClusterOnly,
		Check: func(in *Input) []Violation {
			v := serverVersion(in)
			minor, _, ok := parseVersion(v)
			if !ok {
				return nil
			}
			if minor < oldestKnownMinor {
				return []Violation{{Message: fmt.Sprintf("API server %s: Kubernetes 1.%d is out of support", v, minor), Field: "server.gitVersion"}}
			}
			if eol, ok := endOfLife(minor); ok && in.Settings.Now.After(eol) {
				return []Violation{{Message: fmt.Sprintf("API server %s: Kubernetes 1.%d reached end of life on %s", v, minor, eol.Format("2006-01-02")), Field: "server.gitVersion"}}
			}
			return nil
		},
	})
}

func serverVersion(in *Input) string {
	u, ok := in.Object.Obj.(*unstructured.Unstructured)
	if !ok {
		return ""
	}
	v, _, _ := unstructured.NestedString(u.Object, "server", "gitVersion")
	return v
}
