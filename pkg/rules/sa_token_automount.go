package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "sa-token-automount", Title: "Service account token mounted automatically", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "Every pod gets an API token unless told otherwise. A compromised application that never calls the API still hands its token, and the token's RBAC permissions, to the attacker. A pod whose service account a binding in the input grants permissions to does call the API, so its finding is low: the token is needed, and only which containers mount it is left to tighten.",
			Remediation: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the Kubernetes API; mount a projected token where it does.",
			Example:     "spec:\n  automountServiceAccountToken: false",
			References:  []api.Reference{cis("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"), nsa("Pod security: protecting Pod service account tokens"), mitreContainerAPI},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(inNamespace(kindServiceAccount), everywhere(kindRoleBinding, kindClusterRoleBinding)),
		Check:       checkTokenAutomount,
	})
}

func checkTokenAutomount(in *Input) []Violation {
	w := in.Workload
	sa := serviceAccountName(w.Spec)
	var v Violation
	if a := w.Spec.AutomountServiceAccountToken; a != nil {
		if !*a {
			return nil
		}
		v = Violation{Message: "automountServiceAccountToken is true", Field: w.Field("automountServiceAccountToken")}
	} else {
		// The pod inherits its ServiceAccount's setting when it sets none.
		for _, o := range in.Inventory.ByKind(kindServiceAccount) {
			if o.Name() != sa || o.Namespace() != in.Object.Namespace() {
				continue
			}
			if s, ok := o.Obj.(*corev1.ServiceAccount); ok && s.AutomountServiceAccountToken != nil && !*s.AutomountServiceAccountToken {
				return nil
			}
		}
		v = Violation{Message: "the service account token is mounted automatically (automountServiceAccountToken is not false on the pod or on ServiceAccount " + quote(sa) + ")",
			Field: w.Field("automountServiceAccountToken")}
	}
	// A service account that a binding in the input grants permissions to
	// is one whose pods call the API: they need the token, so the finding
	// is kept for the record at low. Unbound, the token serves no one but
	// an attacker, which is what the rule is about.
	// A manifest without a namespace lands in kubectl's namespace, most
	// often default, which is what a binding written beside it names.
	refs := serviceAccountBindings(in.Inventory)[in.Object.Namespace()+"/"+sa]
	if in.Object.Namespace() == "" {
		refs = append(refs, serviceAccountBindings(in.Inventory)["default/"+sa]...)
	}
	if len(refs) > 0 {
		v.Message += "; the pods call the API as it (bound by " + refs[0].binding.GVK.Kind + " " + quote(refs[0].binding.Name()) + "), so the token is needed: mount it only in the containers that use it"
		v.Severity = severity(api.SeverityLow)
	}
	return []Violation{v}
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
