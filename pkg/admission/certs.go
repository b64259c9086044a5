package admission

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"sync"
	"time"
)

// CertAuthority is the webhook's own CA: it issues the ECDSA P-256 serving
// certificate and rotates both before expiry. During a rotation the bundle
// holds the old and the new CA, so an API server with either trusts the
// webhook.
type CertAuthority struct {
	mu      sync.RWMutex
	caCerts []*x509.Certificate // newest first; at most two
	caKey   *ecdsa.PrivateKey
	serving *tls.Certificate
	hosts   []string
	// Validity is the lifetime of issued certificates (default one year).
	Validity time.Duration
	now      func() time.Time
}

// NewCertAuthority creates a CA and a serving certificate for hosts (DNS
// names or IP addresses).
func NewCertAuthority(hosts []string, validity time.Duration) (*CertAuthority, error) {
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	ca := &CertAuthority{hosts: hosts, Validity: validity, now: time.Now}
	if err := ca.Rotate(); err != nil {
		return nil, err
	}
	return ca, nil
}

// Rotate issues a new CA and serving certificate, keeping the previous CA
// in the bundle until the next rotation.
func (ca *CertAuthority) Rotate() error {
	caCert, key, err := generateCA(ca.now(), ca.Validity)
	if err != nil {
		return err
	}
	ca.mu.RLock()
	certs := append([]*x509.Certificate{caCert}, ca.caCerts...)
	ca.mu.RUnlock()
	if len(certs) > 2 {
		certs = certs[:2]
	}
	return ca.adopt(certs, key)
}

// adopt makes certs (newest first, key for the newest) the CA and issues a
// serving certificate from the newest.
func (ca *CertAuthority) adopt(certs []*x509.Certificate, key *ecdsa.PrivateKey) error {
	now := ca.now()
	validity := ca.Validity
	if left := certs[0].NotAfter.Sub(now); left < validity {
		validity = left
	}
	serving, err := issueServing(certs[0], key, ca.hosts, now, validity)
	if err != nil {
		return err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.caCerts, ca.caKey, ca.serving = certs, key, serving
	return nil
}

func generateCA(now time.Time, validity time.Duration) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "guardrail-webhook-ca"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(validity), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

// RotateIfExpiring rotates when the serving certificate has less than a
// third of its validity left, and reports whether it did.
func (ca *CertAuthority) RotateIfExpiring() (bool, error) {
	ca.mu.RLock()
	leaf := ca.serving.Leaf
	ca.mu.RUnlock()
	if leaf.NotAfter.Sub(ca.now()) > ca.Validity/3 {
		return false, nil
	}
	return true, ca.Rotate()
}

// Bundle returns the PEM CA bundle for the webhook configuration's caBundle.
func (ca *CertAuthority) Bundle() []byte {
	ca.mu.RLock()
	defer ca.mu.RUnlock()
	var out []byte
	for _, c := range ca.caCerts {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// GetCertificate serves the current certificate, so rotations take effect
// without restarting the server.
func (ca *CertAuthority) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	ca.mu.RLock()
	defer ca.mu.RUnlock()
	if ca.serving == nil {
		return nil, errors.New("no serving certificate")
	}
	return ca.serving, nil
}

func issueServing(caCert *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time, validity time.Duration) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "guardrail-webhook"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(validity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func (ca *CertAuthority) certs() []*x509.Certificate {
	ca.mu.RLock()
	defer ca.mu.RUnlock()
	return append([]*x509.Certificate(nil), ca.caCerts...)
}

// newestExpiresWithin reports whether the newest CA ends within d.
func (ca *CertAuthority) newestExpiresWithin(d time.Duration) bool {
	ca.mu.RLock()
	defer ca.mu.RUnlock()
	return ca.caCerts[0].NotAfter.Sub(ca.now()) < d
}

// reissueIfExpiring issues a new serving certificate from the current CA
// when a third of its validity is left (a shared CA: only the leader makes
// new CAs).
func (ca *CertAuthority) reissueIfExpiring() (bool, error) {
	ca.mu.RLock()
	leaf, certs, key := ca.serving.Leaf, ca.caCerts, ca.caKey
	ca.mu.RUnlock()
	if leaf.NotAfter.Sub(ca.now()) > leaf.NotAfter.Sub(leaf.NotBefore)/3 {
		return false, nil
	}
	return true, ca.adopt(certs, key)
}
