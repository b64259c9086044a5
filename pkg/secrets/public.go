package secrets

import (
	"encoding/base64"
	"regexp"
	"strings"
)

// Public material is not a secret: certificates and CA bundles are handed
// to every client (kube-root-ca.crt is published into every namespace),
// public keys are meant to be shared, and digests, checksums and UUIDs
// identify things without authenticating anyone. They look random, so an
// entropy detector must be told.

// pemBlock matches one PEM block and captures its type.
var pemBlock = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]+)-----.*?-----END ([A-Z0-9 ]+)-----`)

// publicPEM reports whether a PEM block type holds only public material.
func publicPEM(typ string) bool {
	switch typ {
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CRL", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST",
		"PUBLIC KEY", "RSA PUBLIC KEY", "EC PARAMETERS", "PGP PUBLIC KEY BLOCK", "SSH2 PUBLIC KEY", "DH PARAMETERS":
		return true
	}
	return false
}

var (
	uuidRe   = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	digestRe = regexp.MustCompile(`^(?i)(sha(1|224|256|384|512)|md5|blake2b|xxh64)[:-][0-9a-z+/=_-]{16,}$`)
	sshPubRe = regexp.MustCompile(`^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA[0-9A-Za-z+/=]+( .*)?$`)
)

// Public reports whether v is public material: PEM certificates, CRLs,
// requests and public keys (as text or base64-encoded, as in caBundle),
// SSH public keys, digests and checksums, UUIDs. A value that holds any
// private key block is never public.
func Public(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" || strings.Contains(t, "PRIVATE KEY") {
		return false
	}
	if strings.Contains(t, "-----BEGIN ") {
		return onlyPublicPEM(t)
	}
	// Cheap tests first: this runs on every value a secret rule reads.
	switch {
	case len(t) < 16:
		return false
	case len(t) == 36 && t[8] == '-' && uuidRe.MatchString(t):
		return true
	case (strings.HasPrefix(t, "ssh-") || strings.HasPrefix(t, "ecdsa-") || strings.HasPrefix(t, "sk-")) && sshPubRe.MatchString(t):
		return true
	case strings.IndexAny(t[:min(len(t), 8)], ":-") > 0 && digestRe.MatchString(t):
		return true
	}
	// base64 of "-----BEGIN": caBundle, client-certificate-data.
	if strings.HasPrefix(t, "LS0tLS1CRUdJT") {
		if dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(t), "")); err == nil {
			d := string(dec)
			return !strings.Contains(d, "PRIVATE KEY") && onlyPublicPEM(d)
		}
	}
	return false
}

// onlyPublicPEM reports whether t is made of public PEM blocks and white
// space or comments between them.
func onlyPublicPEM(t string) bool {
	blocks := pemBlock.FindAllStringSubmatchIndex(t, -1)
	if len(blocks) == 0 {
		return false
	}
	rest := t
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		if typ := t[b[2]:b[3]]; !publicPEM(typ) || typ != t[b[4]:b[5]] {
			return false
		}
		rest = rest[:b[0]] + rest[b[1]:]
	}
	for _, line := range strings.Split(rest, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// blankPEM replaces the body lines of every PEM block in text with empty
// lines, keeping the line count, so that a line-by-line scan neither flags
// a certificate's base64 lines nor reports a private key once per line. A
// private key block keeps its BEGIN line, which the private-key pattern
// reports once.
func blankPEM(text string) string {
	if !strings.Contains(text, "-----BEGIN ") {
		return text
	}
	return pemBlock.ReplaceAllStringFunc(text, func(b string) string {
		m := pemBlock.FindStringSubmatch(b)
		blank := strings.Repeat("\n", strings.Count(b, "\n"))
		if publicPEM(m[1]) && m[1] == m[2] {
			return blank
		}
		return "-----BEGIN " + m[1] + "-----" + blank
	})
}
