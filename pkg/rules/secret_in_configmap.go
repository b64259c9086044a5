package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-in-configmap", Title: "Secret in a ConfigMap", Severity: api.SeverityHigh, Category: api.CategorySecrets,
			Rationale:   "ConfigMaps are not treated as sensitive: they are readable by far more subjects than Secrets, are not encrypted at rest by default and are printed freely by tools.",
			Remediation: "Move the credential to a Secret managed outside Git and reference it; rotate the exposed credential.",
			Example:     "env:\n- name: DB_PASSWORD_FILE\n  value: /var/run/secrets/db/password   # read from a Secret volume",
			References:  []api.Reference{nsa("Network separation and hardening: secrets"), mitreCredsFiles},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindConfigMap},
		Check: checkSecretInConfigMap,
	})
}

func checkSecretInConfigMap(in *Input) []Violation {
	cm, ok := in.Object.Obj.(*corev1.ConfigMap)
	if !ok {
		return nil
	}
	var out []Violation
	for _, k := range sortedKeys(cm.Data) {
		for _, m := range secrets.ScanText(k, cm.Data[k]) {
			what, sev := evidence(m)
			msg := "data[" + k + "] holds a " + what
			if m.Line > 0 {
				msg = "data[" + k + "] line " + itoa(m.Line+1) + " holds a " + what
			}
			// One finding per key, whatever its line: the key is what a fix touches.
			out = append(out, Violation{Message: msg, Field: "data[" + k + "]", Key: "data/" + k, Severity: sev})
		}
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		for _, m := range secrets.ScanText(k, string(cm.BinaryData[k])) {
			what, sev := evidence(m)
			out = append(out, Violation{Message: "binaryData[" + k + "] holds a " + what,
				Field: "binaryData[" + k + "]", Key: "binaryData/" + k, Severity: sev})
		}
	}
	return out
}
