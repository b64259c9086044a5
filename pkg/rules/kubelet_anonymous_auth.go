package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "kubelet-anonymous-auth", Title: "Kubelet accepts anonymous requests", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "An anonymous kubelet API lets anyone who reaches port 10250 list pods and, with a permissive authorization mode, run commands in them.",
			Remediation: "Set authentication.anonymous.enabled: false in the kubelet configuration (the v1beta1 default) and keep webhook authentication on.",
			Example:     "authentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true",
			References:  []api.Reference{cis("4.2.1", "Ensure that the --anonymous-auth argument is set to false"), mitreExec},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindKubeletConfig},
		Check: func(in *Input) []Violation {
			if on, found, _ := unstructured.NestedBool(kubeletConfig(in), "authentication", "anonymous", "enabled"); found && on {
				return []Violation{{Message: kubeletName(in) + "authentication.anonymous.enabled is true", Field: "authentication.anonymous.enabled"}}
			}
			return nil
		},
	})
}
