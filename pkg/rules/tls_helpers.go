package rules

import (
	"crypto/x509"
	"encoding/pem"

	corev1 "k8s.io/api/core/v1"
)

// leafCertificate parses the first certificate of a TLS Secret's tls.crt.
// Only the public certificate is read; tls.key is never touched.
func leafCertificate(in *Input) (*x509.Certificate, bool) {
	s, ok := in.Object.Obj.(*corev1.Secret)
	if !ok || s.Type != corev1.SecretTypeTLS {
		return nil, false
	}
	block, _ := pem.Decode(s.Data[corev1.TLSCertKey])
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	return cert, err == nil
}

// certName names a certificate for messages without revealing anything secret.
func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return quote(c.Subject.CommonName)
	}
	if len(c.DNSNames) > 0 {
		return quote(c.DNSNames[0])
	}
	return "(no subject)"
}
