package secrets

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Match is one detected secret.
type Match struct {
	// Detector is the stable name of what matched ("aws-access-key-id").
	Detector string
	// Description says what was found, for messages ("AWS access key ID").
	Description string
	// Redacted is the value with all but a short prefix masked.
	Redacted string
	// Line is the 0-based line within a multi-line text (ScanText only).
	Line int
	// More counts the further lines of a multi-line text that matched too;
	// ScanText reports one match per text.
	More int
}

// Weak reports whether the match rests on entropy alone: a random-looking
// string with no known format and no secret-like name. Rules grade such
// evidence below high.
func (m Match) Weak() bool { return m.Detector == "high-entropy" }

// strength orders matches: a known format, then a secret-like name, then entropy.
func (m Match) strength() int {
	switch m.Detector {
	case "high-entropy":
		return 0
	case "secret-name":
		return 1
	}
	return 2
}

type pattern struct {
	name, desc string
	// anchors are literal substrings one of which every match contains; the
	// regular expression runs only when one is present, which keeps the
	// common case (no secret) a few substring searches.
	anchors []string
	re      *regexp.Regexp
	// keep, if set, must accept the matched text.
	keep func(string) bool
}

var patterns = []pattern{
	{name: "private-key", anchors: []string{"PRIVATE KEY"}, desc: "private key", re: regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----`)},
	{name: "aws-access-key-id", anchors: []string{"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"}, desc: "AWS access key ID", re: regexp.MustCompile(`\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}\b`),
		keep: func(s string) bool { return !strings.Contains(s, "EXAMPLE") }},
	{name: "gcp-service-account", anchors: []string{"service_account"}, desc: "GCP service account key", re: regexp.MustCompile(`"type"\s*:\s*"service_account"`)},
	{name: "google-api-key", anchors: []string{"AIza"}, desc: "Google API key", re: regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
	{name: "github-token", anchors: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, desc: "GitHub token", re: regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b`)},
	{name: "gitlab-token", anchors: []string{"glpat-"}, desc: "GitLab token", re: regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`)},
	{name: "slack-token", anchors: []string{"xox"}, desc: "Slack token", re: regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`)},
	{name: "slack-webhook", anchors: []string{"hooks.slack.com"}, desc: "Slack webhook URL", re: regexp.MustCompile(`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+`)},
	{name: "stripe-key", anchors: []string{"k_live_"}, desc: "Stripe live key", re: regexp.MustCompile(`\b[rs]k_live_[0-9a-zA-Z]{24,}\b`)},
	{name: "azure-storage-key", anchors: []string{"AccountKey="}, desc: "Azure storage account key", re: regexp.MustCompile(`AccountKey=[A-Za-z0-9+/=]{60,}`)},
	{name: "npm-token", anchors: []string{"npm_"}, desc: "npm token", re: regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{name: "sendgrid-key", anchors: []string{"SG."}, desc: "SendGrid API key", re: regexp.MustCompile(`\bSG\.[\w-]{22}\.[\w-]{43}\b`)},
	{name: "jwt", anchors: []string{"eyJ"}, desc: "JSON Web Token", re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)},
	{name: "basic-auth-url", anchors: []string{"://"}, desc: "URL with embedded password", re: regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]+:([^/\s@'"]+)@[^\s/'"]+`),
		keep: func(s string) bool {
			i := strings.Index(s, "://")
			cred := s[i+3 : strings.LastIndexByte(s, '@')]
			pw := cred[strings.IndexByte(cred, ':')+1:]
			return !placeholder(pw)
		}},
}

// secretWords are name parts under which credentials are stored; a key
// names a secret when, lower-cased with separators removed, it ends with one
// (DB_PASSWORD, apiKey, client-secret) or starts with one (password_db).
var secretWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "accesskey", "privatekey",
	"clientsecret", "credential", "credentials", "authkey", "signingkey", "encryptionkey", "connectionstring", "connstring", "dsn"}

// notSecretSuffixes are name endings that mention a secret without holding one.
var notSecretSuffixes = []string{"file", "path", "dir", "name", "ref", "keyid", "ttl", "expiry", "expires", "timeout",
	"length", "size", "type", "url", "enabled", "mode", "header", "version", "secretname", "keyref"}

// normalizeKey lower-cases k and drops separators: "DB_PASSWORD" -> "dbpassword".
func normalizeKey(k string) string {
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == '_' || c == '-' || c == '.' || c == ' ':
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Scan checks one named value: the name of a key (an env var, a ConfigMap
// key, a flag) and the value stored under it.
func Scan(key, value string) []Match {
	return scanWith(patterns, key, value)
}

// activePatterns returns the patterns whose anchors occur in text.
func activePatterns(text string) []pattern {
	var out []pattern
	for _, p := range patterns {
		if containsAny(text, p.anchors) {
			out = append(out, p)
		}
	}
	return out
}

// scanWith is Scan restricted to the given patterns.
func scanWith(ps []pattern, key, value string) []Match {
	var out []Match
	for _, p := range ps {
		if !containsAny(value, p.anchors) {
			continue
		}
		if loc := p.re.FindStringIndex(value); loc != nil {
			m := value[loc[0]:loc[1]]
			if p.keep != nil && !p.keep(m) {
				continue
			}
			out = append(out, Match{Detector: p.name, Description: p.desc, Redacted: Redact(m)})
		}
	}
	// Public material (a certificate, a digest) is tested only when a
	// detector fired: this path runs on every value a secret rule reads.
	if len(out) > 0 {
		if Public(value) {
			return nil
		}
		return out
	}
	if key != "" && SecretName(key) && !SecretObjectRef(key, value) && plausibleSecret(value) && !Public(value) {
		return []Match{{Detector: "secret-name", Description: "value stored under secret-like name " + strconv.Quote(key), Redacted: Redact(value)}}
	}
	if highEntropy(value) && !Public(value) {
		return []Match{{Detector: "high-entropy", Description: "high-entropy string", Redacted: Redact(value)}}
	}
	return nil
}

// SecretName reports whether a key name suggests it holds a credential.
func SecretName(key string) bool {
	k := normalizeKey(key)
	for _, suf := range notSecretSuffixes {
		if strings.HasSuffix(k, suf) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.HasSuffix(k, w) || strings.HasPrefix(k, w) {
			return true
		}
	}
	return false
}

// secretObjectKeys name a Secret object rather than hold a credential
// ("--tls-secret=ingress-tls", "caSecret: webhook-ca"), normalized.
var secretObjectKeys = []string{"tlssecret", "casecret", "certsecret", "certificatesecret", "kubeconfigsecret",
	"pullsecret", "imagepullsecret", "registrysecret", "dockersecret", "keystoresecret", "truststoresecret"}

// SecretObjectRef reports whether value under key names a Kubernetes
// Secret (a DNS-1123 name, or namespace/name) rather than holding a
// credential: the key names the Secret's role (tls, ca, pull...) and the
// value has an object name's shape.
func SecretObjectRef(key, value string) bool {
	k := normalizeKey(key)
	if !slices.ContainsFunc(secretObjectKeys, func(s string) bool { return strings.HasSuffix(k, s) }) {
		return false
	}
	ns, name, ok := strings.Cut(value, "/")
	if !ok {
		name, ns = value, ""
	}
	return (ns == "" || len(validation.IsDNS1123Label(ns)) == 0) && len(validation.IsDNS1123Subdomain(name)) == 0
}

// plausibleSecret rejects values that are clearly not credentials: empty,
// placeholders and references, booleans, numbers, paths and short words.
func plausibleSecret(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 6 || placeholder(v) {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "null", "none", "enabled", "disabled":
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return false
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "file:") {
		return false
	}
	if strings.ContainsAny(v, " \t") && len(strings.Fields(v)) > 3 {
		return false // prose, not a credential
	}
	return true
}

// placeholder reports values that stand for a secret supplied elsewhere.
func placeholder(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	switch {
	case l == "", strings.HasPrefix(l, "${"), strings.HasPrefix(l, "$("), strings.HasPrefix(l, "{{"),
		strings.HasPrefix(l, "<") && strings.HasSuffix(l, ">"), strings.HasPrefix(l, "%"),
		strings.Trim(l, "*x.") == "", l == "redacted", l == "replace_me", l == "replaceme", l == "todo", l == "tbd",
		strings.HasPrefix(l, "vault:"), strings.HasPrefix(l, "ref+"), strings.HasPrefix(l, "arn:aws:secretsmanager"):
		return true
	}
	return false
}

// highEntropy flags long random-looking tokens that mix cases and digits.
// Hex digests and UUIDs are excluded: they identify things, they do not
// authenticate.
func highEntropy(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 32 || len(v) > 1024 || strings.ContainsAny(v, " \t\n") {
		return false
	}
	var upper, lower, digit, other bool
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r == '+' || r == '/' || r == '=' || r == '-' || r == '_':
		default:
			other = true
		}
	}
	if other || !(upper && lower && digit) {
		return false
	}
	return Entropy(v) >= 4.5
}

// Entropy is the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
