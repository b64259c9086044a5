package secrets

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestScanDetectors(t *testing.T) {
	cases := []struct {
		key, value, want string
	}{
		{"", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----", "private-key"},
		{"AWS_KEY", "AKIAZ2Q3R4S5T6U7V2X3", "aws-access-key-id"},
		{"", `{"type": "service_account", "private_key": "x"}`, "gcp-service-account"},
		{"", "ghp_" + strings.Repeat("a1B2", 9), "github-token"},
		{"", "glpat-abcdefghij0123456789", "gitlab-token"},
		{"", "xoxb-1234567890-abcdefghij", "slack-token"},
		{"", "sk_live_" + strings.Repeat("a1", 12), "stripe-key"},
		{"", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"},
		{"DATABASE_URL", "postgres://app:s3cr3tP4ss@db:5432/app", "basic-auth-url"},
		{"DB_PASSWORD", "hunter2hunter2", "secret-name"},
		{"api_key", "Zm9vYmFy1234", "secret-name"},
		{"", "Xk9mQ2pL7vN4rT8wZ1yB5cF3hJ6gD0sA", "high-entropy"},
	}
	for _, tc := range cases {
		ms := Scan(tc.key, tc.value)
		if len(ms) == 0 || ms[0].Detector != tc.want {
			t.Errorf("Scan(%q, %q) = %+v, want %s", tc.key, tc.value, ms, tc.want)
			continue
		}
		if strings.Contains(ms[0].Redacted, tc.value) || (len(tc.value) > 12 && strings.Contains(ms[0].Redacted, tc.value[3:])) {
			t.Errorf("redaction leaks %q: %q", tc.value, ms[0].Redacted)
		}
	}
}

func TestScanIgnoresNonSecrets(t *testing.T) {
	cases := [][2]string{
		{"PASSWORD_FILE", "/run/secrets/pw"},
		{"DB_PASSWORD", "${DB_PASSWORD}"},
		{"TOKEN_TTL", "3600"},
		{"SECRET_NAME", "db-credentials"},
		{"LOG_LEVEL", "info"},
		{"DATABASE_URL", "postgres://db:5432/app"},
		{"DATABASE_URL", "postgres://app:$(DB_PASSWORD)@db:5432/app"},
		{"IMAGE_DIGEST", "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"},
		{"REQUEST_ID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
		{"AWS_KEY", "AKIAIOSFODNN7EXAMPLE"},
		{"ENABLE_AUTH_TOKEN", "true"},
	}
	for _, c := range cases {
		if ms := Scan(c[0], c[1]); len(ms) != 0 {
			t.Errorf("Scan(%q, %q) = %+v, want nothing", c[0], c[1], ms)
		}
	}
}

func TestScanTextFindsAssignmentsByLine(t *testing.T) {
	text := "server.port=8080\nspring.datasource.password=Sup3rS3cret!\n# comment\nredis:\n  token: \"abcd1234efgh\"\n"
	ms := ScanText("application.properties", text)
	// One finding per value: the first, strongest line, and a count of the rest.
	if len(ms) != 1 || ms[0].Line != 1 || ms[0].More != 1 {
		t.Fatalf("ScanText = %+v", ms)
	}
}

// testCert is a real self-signed certificate (CN=test), public by nature.
const testCert = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUQm2dcAHHq0Yyv7W4I3fN5ZTRvVEwCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEdGVzdDAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBa
MA8xDTALBgNVBAMMBHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT5Kd3H
pQ8c1mYwQmQ2m6c2vXk4l8zJr3aQpXgR0nY7m9Xo5HqQb2cV8d3nZ6sL0u4wK2rT
yF7j9hE1aPq3mN6Xo1MwUTAdBgNVHQ4EFgQU3q7Yz0Wc4aP8s9Xb1tQ2mL5vJk4w
HwYDVR0jBBgwFoAU3q7Yz0Wc4aP8s9Xb1tQ2mL5vJk4wDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNIADBFAiEAz8Yb3Kp2WcN4mQx7T1vR5sL9uJ0aE6hD2fG8
-----END CERTIFICATE-----
`

// TestPublicMaterialIsNotSecret: certificates, CA bundles (as PEM and
// base64), public keys, digests and UUIDs give no finding; a private key
// next to a certificate still does, once.
func TestPublicMaterialIsNotSecret(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(testCert))
	for _, c := range [][2]string{
		{"ca.crt", testCert},
		{"client-ca-file", testCert + testCert},
		{"caBundle", b64},
		{"tls.crt", "# cluster CA\n" + testCert},
		{"id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx9Q2pL7vN4rT8wZ1yB5cF3hJ6gD0sAXk9mQ2pL7vN4 user@host"},
		{"digest", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"checksum", "sha512-Xk9mQ2pL7vN4rT8wZ1yB5cF3hJ6gD0sAXk9mQ2pL7vN4rT8wZ1yB5cF3hJ6gD0sA"},
		{"clusterID", "3F2504E0-4F89-11D3-9A0C-0305E82C3301"},
		{"public.pem", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+Snd\nx9Q2pL7vN4rT8wZ1yB5cF3hJ6gD0sAXk9mQ2pL7v\n-----END PUBLIC KEY-----\n"},
	} {
		if ms := ScanText(c[0], c[1]); len(ms) != 0 {
			t.Errorf("ScanText(%q) = %+v, want nothing: public material", c[0], ms)
		}
	}
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oJ0FmDnQyJ3VoAoGCCqGSM49\nAwEHoUQDQgAE+Snd\n-----END EC PRIVATE KEY-----\n"
	ms := ScanText("tls.pem", testCert+key)
	if len(ms) != 1 || ms[0].Detector != "private-key" || ms[0].Line != 9 {
		t.Errorf("certificate + private key: %+v, want one private-key match on line 10", ms)
	}
	if Public(testCert+key) || Public(base64.StdEncoding.EncodeToString([]byte(key))) {
		t.Error("a value holding a private key is never public")
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("short"); got != "****(5 chars)" {
		t.Errorf("Redact(short) = %q", got)
	}
	if got := Redact("AKIAZ2Q3R4S5T6U7V2X3"); got != "AKI…(20 chars)" {
		t.Errorf("Redact(key) = %q", got)
	}
	if got := Redact("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"); !strings.HasPrefix(got, "-----BEGIN RSA PRIVATE KEY-----…") || strings.Contains(got, "abc") {
		t.Errorf("Redact(pem) = %q", got)
	}
}
