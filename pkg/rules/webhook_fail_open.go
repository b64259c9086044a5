package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "webhook-fail-open", Title: "Admission webhook fails open", Severity: api.SeverityMedium, Category: api.CategoryAdmission,
			Rationale:   "With failurePolicy: Ignore, every request is admitted unchecked while the webhook is down, slow or unreachable, and an attacker who can disrupt it disables the policy.",
			Remediation: "Use failurePolicy: Fail for enforcing webhooks, run them highly available, and exclude only the namespaces they need to start.",
			Example:     "webhooks:\n- name: policy.example.com\n  failurePolicy: Fail\n  timeoutSeconds: 5",
			References:  []api.Reference{mitreImpairDef},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindValidatingWebhook, kindMutatingWebhook},
		Check: func(in *Input) []Violation {
			var out []Violation
			add := func(i int, name string, fp *admissionv1.FailurePolicyType) {
				if fp != nil && *fp == admissionv1.Ignore {
					out = append(out, Violation{Message: "webhook " + quote(name) + " has failurePolicy Ignore: requests are admitted unchecked when it is unavailable",
						Field: "webhooks[" + itoa(i) + "].failurePolicy", Key: "webhook/" + name})
				}
			}
			switch o := in.Object.Obj.(type) {
			case *admissionv1.ValidatingWebhookConfiguration:
				for i, w := range o.Webhooks {
					add(i, w.Name, w.FailurePolicy)
				}
			case *admissionv1.MutatingWebhookConfiguration:
				for i, w := range o.Webhooks {
					add(i, w.Name, w.FailurePolicy)
				}
			}
			return out
		},
	})
}
