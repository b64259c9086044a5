package rules

import (
	"encoding/base64"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-committed", Title: "Secret manifest with real data", Severity: api.SeverityHigh, Category: api.CategorySecrets,
			Rationale:   "base64 is an encoding, not encryption: a Secret manifest with data in a repository gives the credential to everyone who can read the repository and its history.",
			Remediation: "Keep only encrypted or external references in Git (SealedSecret, SOPS, ExternalSecret) and rotate the exposed credential.",
			Example:     "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret   # or an ExternalSecret, or SOPS-encrypted data\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK...",
			References:  []api.Reference{nsa("Network separation and hardening: secrets"), mitreCredsFiles},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindSecret},
		Input: ManifestsOnly,
		Check: checkSecretCommitted,
	})
}

func checkSecretCommitted(in *Input) []Violation {
	s, ok := in.Object.Obj.(*corev1.Secret)
	if !ok {
		return nil
	}
	// A token Secret's data is filled in by the token controller.
	if s.Type == corev1.SecretTypeServiceAccountToken {
		return nil
	}
	var out []Violation
	report := func(field, key, value string) {
		if isPlaceholderSecret(value) || secrets.Public(value) {
			return
		}
		v := Violation{Field: field + "[" + key + "]", Key: field + "/" + key}
		// High where a credential is recognised (a known format, or a value
		// under a secret-like name); a Secret that carries configuration in
		// which nothing is recognised is still data in Git, but low.
		ms := secrets.ScanText(key, value)
		if len(ms) == 0 && secrets.SecretName(key) {
			ms = []secrets.Match{{Detector: "secret-name", Description: "value under secret-like name " + quote(key), Redacted: secrets.Redact(value)}}
		}
		if len(ms) > 0 && !ms[0].Weak() {
			what, _ := evidence(ms[0])
			at := ""
			if ms[0].Line > 0 {
				at = " line " + itoa(ms[0].Line+1)
			}
			v.Message = field + "[" + key + "]" + at + " holds a " + what
		} else {
			v.Message = field + "[" + key + "] holds data in which no credential was recognised (" + secrets.Redact(value) + "); keep it out of Git or encrypt it all the same"
			v.Severity = severity(api.SeverityLow)
		}
		out = append(out, v)
	}
	for _, k := range sortedKeys(s.Data) {
		report("data", k, string(s.Data[k]))
	}
	for _, k := range sortedKeys(s.StringData) {
		report("stringData", k, s.StringData[k])
	}
	return out
}

// isPlaceholderSecret reports values that template tools fill in later.
func isPlaceholderSecret(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" {
		return true
	}
	// Some manifests double-encode a placeholder.
	if dec, err := base64.StdEncoding.DecodeString(t); err == nil && len(dec) > 0 && strings.TrimSpace(string(dec)) != t {
		if isPlaceholderSecret(string(dec)) {
			return true
		}
	}
	l := strings.ToLower(t)
	return strings.HasPrefix(l, "${") || strings.HasPrefix(l, "{{") || strings.HasPrefix(l, "$(") ||
		(strings.HasPrefix(l, "<") && strings.HasSuffix(l, ">")) || l == "replace_me" || l == "replaceme" ||
		l == "changeme-in-overlay" || strings.Trim(l, "x*.") == ""
}
