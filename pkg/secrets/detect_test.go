package secrets

import "testing"

func TestSecretObjectRef(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ref        bool
	}{
		{"ca-secret", "guardrail-webhook-ca", true},
		{"--tls-secret", "ingress/default-tls", true},
		{"imagePullSecret", "regcred", true},
		{"ca-secret", "aGVsbG8gd29ybGQK+/=", false},
		{"client-secret", "guardrail-webhook-ca", false},
		{"webhook-secret", "s3cr3t-value", false},
	} {
		if got := SecretObjectRef(tc.key, tc.value); got != tc.ref {
			t.Errorf("SecretObjectRef(%q, %q) = %v", tc.key, tc.value, got)
		}
	}
	if len(Scan("ca-secret", "guardrail-webhook-ca")) != 0 || len(Scan("client-secret", "guardrail-webhook-ca")) == 0 {
		t.Error("a Secret's name under a key naming its role is a reference; under client-secret it is a value")
	}
}
