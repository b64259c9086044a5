package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "sa-token-automount", Title: "Service account token mounted automatically", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "Every pod gets an API token unless told otherwise. A compromised application that never calls the API still hands its token, and the token's RBAC permissions, to the attacker.",
			Remediation: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the Kubernetes API; mount a projected token where it does.",
			Example:     "spec:\n  automountServiceAccountToken: false",
			References:  []api.Reference{cis("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"), nsa("Pod security: protecting Pod service account tokens"), mitreContainerAPI},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Check:       checkTokenAutomount,
	})
}

func checkTokenAutomount(in *Input) []Violation {
	w := in.Workload
	if a := w.Spec.AutomountServiceAccountToken; a != nil {
		if *a {
			return []Violation{{Message: "automountServiceAccountToken is true", Field: w.Field("automountServiceAccountToken")}}
		}
		return nil
	}
	sa := serviceAccountName(w.Spec)
	// The pod inherits its ServiceAccount's setting when it sets none.
	for _, o := range in.Inventory.ByKind(kindServiceAccount) {
		if o.Name() != sa || o.Namespace() != in.Object.Namespace() {
			continue
		}
		if s, ok := o.Obj.(*corev1.ServiceAccount); ok && s.AutomountServiceAccountToken != nil && !*s.AutomountServiceAccountToken {
			return nil
		}
	}
	return []Violation{{Message: "the service account token is mounted automatically (automountServiceAccountToken is not false on the pod or on ServiceAccount " + quote(sa) + ")",
		Field: w.Field("automountServiceAccountToken")}}
}

// serviceAccountName returns the pod's service account, defaulting the way
// the API server does.
func serviceAccountName(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}
