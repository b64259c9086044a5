package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "kubelet-authorization-always-allow", Title: "Kubelet authorizes every request", Severity: api.SeverityCritical, Category: api.CategoryHardening,
			Rationale:   "With authorization.mode AlwaysAllow any authenticated caller may exec into every pod of the node through the kubelet API.",
			Remediation: "Set authorization.mode: Webhook (the v1beta1 default), so the API server's RBAC decides.",
			Example:     "authorization:\n  mode: Webhook",
			References:  []api.Reference{cis("4.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"), mitreExec},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindKubeletConfig},
		Check: func(in *Input) []Violation {
			if m, _, _ := unstructured.NestedString(kubeletConfig(in), "authorization", "mode"); m == "AlwaysAllow" {
				return []Violation{{Message: kubeletName(in) + "authorization.mode is AlwaysAllow", Field: "authorization.mode"}}
			}
			return nil
		},
	})
}
