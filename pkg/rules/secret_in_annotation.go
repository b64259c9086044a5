package rules

import (
	"encoding/json"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-in-annotation", Title: "Secret in an annotation", Severity: api.SeverityHigh, Category: api.CategorySecrets,
			Rationale:   "Annotations are metadata: they are returned by metadata-only reads, copied by tools and logged. kubectl's last-applied-configuration annotation on a Secret repeats the Secret's data in clear text.",
			Remediation: "Remove the credential from the annotation. Apply Secrets with server-side apply (kubectl apply --server-side), which keeps no last-applied copy, and rotate the exposed credential.",
			Example:     "# kubectl apply --server-side keeps no last-applied copy\nmetadata:\n  annotations: {}",
			References:  []api.Reference{nsa("Network separation and hardening: secrets"), mitreCredsFiles},
		},
		Scope: ScopeAny,
		Check: checkSecretInAnnotation,
	})
}

func checkSecretInAnnotation(in *Input) []Violation {
	anns := in.Object.Meta.GetAnnotations()
	var out []Violation
	for _, k := range sortedKeys(anns) {
		v := anns[k]
		field := "metadata.annotations[" + k + "]"
		if k == lastApplied {
			out = append(out, lastAppliedSecrets(v, field)...)
			continue
		}
		for _, m := range secrets.ScanText(k, v) {
			what, sev := evidence(m)
			out = append(out, Violation{Message: "annotation " + k + " holds a " + what,
				Field: field, Key: "annotation/" + k + "/" + m.Detector, Severity: sev})
		}
	}
	// A pod template's annotations are copied onto every pod it makes.
	if w := in.Object.Workload; w != nil && w.MetaPath != "metadata" && w.MetaPath != "" && w.Meta != nil {
		for _, k := range sortedKeys(w.Meta.Annotations) {
			for _, m := range secrets.ScanText(k, w.Meta.Annotations[k]) {
				what, sev := evidence(m)
				out = append(out, Violation{Message: "pod template annotation " + k + " holds a " + what,
					Field: w.MetaPath + ".annotations[" + k + "]", Key: "template-annotation/" + k + "/" + m.Detector, Severity: sev})
			}
		}
	}
	return out
}

// lastAppliedSecrets reports the data a Secret's last-applied annotation
// repeats, and credentials inside any other object's last-applied copy
// (those are reported by the rules for the object's live fields too, but
// the copy outlives fixes to those fields).
func lastAppliedSecrets(v, field string) []Violation {
	var obj struct {
		Kind       string            `json:"kind"`
		Data       map[string]string `json:"data"`
		StringData map[string]string `json:"stringData"`
	}
	if err := json.Unmarshal([]byte(v), &obj); err != nil || obj.Kind != "Secret" {
		return nil
	}
	var keys []string
	for k, val := range obj.Data {
		if val != "" {
			keys = append(keys, "data."+k)
		}
	}
	for k, val := range obj.StringData {
		if val != "" {
			keys = append(keys, "stringData."+k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sortStrings(keys)
	// kubectl writes this copy on every client-side apply, not the user:
	// it is readable by the same people as the data, and a gate at high
	// must not deny a standard workflow. Medium, with the way out.
	medium := api.SeverityMedium
	return []Violation{{Message: "annotation " + lastApplied + " repeats the Secret's " + strings.Join(keys, ", ") +
		" in clear text (kubectl's client-side apply writes it; apply Secrets with --server-side)",
		Field: field, Key: "last-applied", Severity: &medium}}
}
