package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "kubelet-read-only-port", Title: "Kubelet serves the read-only port", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "The read-only port (10255) serves pod specs, environment and metrics with no authentication at all.",
			Remediation: "Set readOnlyPort: 0 (the v1beta1 default) and scrape metrics from the authenticated port.",
			Example:     "readOnlyPort: 0",
			References:  []api.Reference{cis("4.2.4", "Verify that the --read-only-port argument is set to 0"), mitreDiscovery},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindKubeletConfig},
		Check: func(in *Input) []Violation {
			p, found, _ := unstructured.NestedFieldNoCopy(kubeletConfig(in), "readOnlyPort")
			port, _ := p.(int64)
			if f, ok := p.(float64); ok {
				port = int64(f)
			}
			if !found || port <= 0 {
				return nil
			}
			return []Violation{{Message: kubeletName(in) + fmt.Sprintf("readOnlyPort is %d: pod data is served without authentication", port), Field: "readOnlyPort"}}
		},
	})
}
