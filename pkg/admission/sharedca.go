package admission

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Keys of the shared CA Secret.
const (
	// CABundleKey holds every CA still trusted, newest first (PEM).
	CABundleKey = "ca.crt"
	// CAKeyKey holds the newest CA's private key (PEM).
	CAKeyKey = "ca.key"
)

// SharedCA keeps the webhook's CA in a Secret, so that every replica
// serves a certificate that the one caBundle in the webhook configuration
// verifies. Each replica that finds no Secret creates one; the API server
// keeps the first, and the others read it. A Lease elects one replica to
// rotate: it publishes a bundle holding the new CA and the old ones first,
// waits for the API server to see it, and only then writes the new CA
// into the Secret, which the replicas pick up and serve from. No replica
// serves a certificate the published bundle does not hold.
type SharedCA struct {
	Client kubernetes.Interface
	// Namespace and Name locate the Secret; the Lease has the same name.
	Namespace, Name string
	// Identity names this replica in the Lease (the pod name).
	Identity string
	// Hosts are the serving certificate's names.
	Hosts []string
	// Validity is the CA's lifetime (default 90 days); a rotation starts
	// with a third of it left.
	Validity time.Duration
	// Publish writes a bundle into the webhook configuration; it is called
	// with every bundle this replica adopts, and by the leader before a
	// rotation takes effect.
	Publish func(ctx context.Context, bundle []byte) error
	// PollInterval is how often the Secret is read for changes (default 30s).
	PollInterval time.Duration
	// Propagation is how long the leader waits between publishing a new
	// bundle and serving from the new CA (default 10s).
	Propagation time.Duration
	// LeaseDuration, RenewDeadline and RetryPeriod are the Lease's timings
	// (defaults 30 s, 20 s, 5 s, as for controllers).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	Log                                       *slog.Logger

	ca *CertAuthority
	rv string
}

func (s *SharedCA) defaults() {
	if s.Validity <= 0 {
		s.Validity = 90 * 24 * time.Hour
	}
	if s.PollInterval <= 0 {
		s.PollInterval = 30 * time.Second
	}
	if s.Propagation <= 0 {
		s.Propagation = 10 * time.Second
	}
	if s.LeaseDuration <= 0 {
		s.LeaseDuration, s.RenewDeadline, s.RetryPeriod = 30*time.Second, 20*time.Second, 5*time.Second
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Publish == nil {
		s.Publish = func(context.Context, []byte) error { return nil }
	}
}

// Load reads the Secret, or creates it with a new CA when there is none,
// and returns the authority serving from it.
func (s *SharedCA) Load(ctx context.Context) (*CertAuthority, error) {
	s.defaults()
	secrets := s.Client.CoreV1().Secrets(s.Namespace)
	for attempt := 0; attempt < 3; attempt++ {
		sec, err := secrets.Get(ctx, s.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			caCert, key, gerr := generateCA(time.Now(), s.Validity)
			if gerr != nil {
				return nil, gerr
			}
			data, gerr := encodeCA([]*x509.Certificate{caCert}, key)
			if gerr != nil {
				return nil, gerr
			}
			sec = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace,
				Labels: map[string]string{"app.kubernetes.io/name": "guardrail"}}, Type: corev1.SecretTypeOpaque, Data: data}
			created, cerr := secrets.Create(ctx, sec, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(cerr) {
				continue // another replica was first: read its CA
			}
			if cerr != nil {
				return nil, fmt.Errorf("create the CA Secret %s/%s: %w", s.Namespace, s.Name, cerr)
			}
			sec = created
		} else if err != nil {
			return nil, fmt.Errorf("read the CA Secret %s/%s: %w", s.Namespace, s.Name, err)
		}
		if err := s.adopt(sec); err != nil {
			return nil, err
		}
		return s.ca, nil
	}
	return nil, errors.New("the CA Secret kept changing while it was read")
}

func (s *SharedCA) adopt(sec *corev1.Secret) error {
	certs, key, err := decodeCA(sec.Data)
	if err != nil {
		return fmt.Errorf("CA Secret %s/%s: %w (delete it to start a new CA)", s.Namespace, s.Name, err)
	}
	if s.ca == nil {
		s.ca = &CertAuthority{hosts: s.Hosts, Validity: s.Validity, now: time.Now}
	}
	if err := s.ca.adopt(certs, key); err != nil {
		return err
	}
	s.rv = sec.ResourceVersion
	return nil
}

// Run follows the Secret and, while this replica holds the Lease, rotates
// the CA before it expires. It returns when ctx is done.
func (s *SharedCA) Run(ctx context.Context) {
	s.defaults()
	go s.follow(ctx)
	lock := &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name},
		Client: s.Client.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: s.Identity}}
	for ctx.Err() == nil {
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock: lock, ReleaseOnCancel: true, LeaseDuration: s.LeaseDuration, RenewDeadline: s.RenewDeadline, RetryPeriod: s.RetryPeriod,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) { s.lead(ctx) },
				OnStoppedLeading: func() {},
			},
		})
	}
}

// follow adopts a changed Secret and publishes its bundle.
func (s *SharedCA) follow(ctx context.Context) {
	t := time.NewTicker(s.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil {
			s.Log.Error("reading the CA Secret failed", "err", err)
		}
	}
}

// Refresh reads the Secret and adopts it when it changed.
func (s *SharedCA) Refresh(ctx context.Context) error {
	sec, err := s.Client.CoreV1().Secrets(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if sec.ResourceVersion == s.rv {
		if _, err := s.ca.reissueIfExpiring(); err != nil {
			return err
		}
		return nil
	}
	if err := s.adopt(sec); err != nil {
		return err
	}
	s.Log.Info("adopted the shared CA", "secret", s.Namespace+"/"+s.Name)
	return s.Publish(ctx, s.ca.Bundle())
}

// lead rotates the CA whenever a third of its validity is left, checking
// every PollInterval while this replica leads.
func (s *SharedCA) lead(ctx context.Context) {
	for {
		if s.ca.newestExpiresWithin(s.Validity / 3) {
			if err := s.Rotate(ctx); err != nil {
				s.Log.Error("rotating the shared CA failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.PollInterval):
		}
	}
}

// Rotate makes a new CA: the bundle with it and the CAs still valid is
// published first, and the Secret is written after Propagation, so the API
// server trusts the new CA before any replica serves from it.
func (s *SharedCA) Rotate(ctx context.Context) error {
	s.defaults()
	caCert, key, err := generateCA(time.Now(), s.Validity)
	if err != nil {
		return err
	}
	certs := []*x509.Certificate{caCert}
	now := time.Now()
	for _, c := range s.ca.certs() {
		if c.NotAfter.After(now) && len(certs) < 3 {
			certs = append(certs, c)
		}
	}
	data, err := encodeCA(certs, key)
	if err != nil {
		return err
	}
	if err := s.Publish(ctx, data[CABundleKey]); err != nil {
		return fmt.Errorf("publish the new bundle: %w", err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(s.Propagation):
	}
	secrets := s.Client.CoreV1().Secrets(s.Namespace)
	sec, err := secrets.Get(ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if sec.ResourceVersion != s.rv {
		return errors.New("the CA Secret changed under the rotation; it is retried on the next check")
	}
	sec.Data = data
	updated, err := secrets.Update(ctx, sec, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	s.Log.Info("rotated the shared CA", "secret", s.Namespace+"/"+s.Name)
	return s.adopt(updated)
}

func encodeCA(certs []*x509.Certificate, key *ecdsa.PrivateKey) (map[string][]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	var bundle []byte
	for _, c := range certs {
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return map[string][]byte{CABundleKey: bundle, CAKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})}, nil
}

func decodeCA(data map[string][]byte) ([]*x509.Certificate, *ecdsa.PrivateKey, error) {
	var certs []*x509.Certificate
	rest := data[CABundleKey]
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", CABundleKey, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("%s holds no certificate", CABundleKey)
	}
	kb, _ := pem.Decode(data[CAKeyKey])
	if kb == nil {
		return nil, nil, fmt.Errorf("%s holds no PEM key", CAKeyKey)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", CAKeyKey, err)
	}
	if !key.PublicKey.Equal(certs[0].PublicKey) {
		return nil, nil, fmt.Errorf("%s is not the key of the first certificate in %s", CAKeyKey, CABundleKey)
	}
	return certs, key, nil
}
