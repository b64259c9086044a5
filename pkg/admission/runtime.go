package admission

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// Runtime is a running webhook: it serves reviews with Handler, keeps its
// serving certificate valid and, when Manage is set, publishes the
// ValidatingWebhookConfiguration whenever the CA bundle or the set of
// namespaces changes. The CLI builds one from its flags and calls Run.
type Runtime struct {
	// Handler judges the reviews.
	Handler *Handler
	// Rules are the active rules: they decide what the configuration
	// registers.
	Rules []*rules.Rule
	// Install names the webhook's Service (or URL) for the configuration;
	// its CABundle and Namespaces are filled in as they change.
	Install InstallOptions
	// Listen is the HTTPS address, ":8443".
	Listen string
	// ShutdownDelay is how long to keep serving after the context ends
	// (Server.ShutdownDelay).
	ShutdownDelay time.Duration
	// Log receives the runtime's events.
	Log *slog.Logger
	// Client reaches the API server; nil serves standalone with a CA of
	// the process's own, publishing nothing.
	Client kubernetes.Interface
	// Manage writes the webhook configuration.
	Manage bool
	// CertFile and KeyFile, when set, are the serving certificate issued
	// by someone else (cert-manager): reloaded when they change. CAFile is
	// their CA, published when it changes.
	CertFile, KeyFile, CAFile string
	// CASecret names the Secret the replicas share their CA through; ""
	// or "none" gives each process a CA of its own.
	CASecret string
	// Identity names this replica in the CA Secret's Lease.
	Identity string
}

// ServingHosts are the serving certificate's names: the Service's,
// loopback and the URL's host.
func ServingHosts(serviceName, serviceNamespace, rawURL string) []string {
	hosts := []string{serviceName + "." + serviceNamespace + ".svc", serviceName + "." + serviceNamespace + ".svc.cluster.local", "127.0.0.1", "localhost"}
	if u, err := url.Parse(rawURL); err == nil && u.Hostname() != "" && !slices.Contains(hosts, u.Hostname()) {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

// Run serves until ctx ends. It returns an error when the certificates
// cannot be had or the configuration cannot be written at start, or the
// listener fails.
func (r *Runtime) Run(ctx context.Context) error {
	hosts := ServingHosts(r.Install.ServiceName, r.Install.ServiceNamespace, r.Install.URL)
	if r.Client == nil {
		certs, err := NewCertAuthority(hosts, 24*time.Hour)
		if err != nil {
			return err
		}
		return r.serve(ctx, certs)
	}
	pub := &publisher{client: r.Client, log: r.Log, enabled: r.Manage, rules: r.Rules, install: r.Install}
	if r.Manage && len(r.Handler.Policy.Namespaces) > 0 {
		// Patterns decide by name: the names that exist decide which
		// unlabelled namespaces' hook fails closed.
		go pub.followNamespaces(ctx)
	}
	if r.CertFile != "" {
		// cert-manager issues and renews the certificate; files are
		// reloaded, and the CA file's bundle is published when it changes.
		fc, err := LoadFileCerts(r.CertFile, r.KeyFile)
		if err != nil {
			return fmt.Errorf("--tls-cert-file: %w", err)
		}
		if r.CAFile != "" {
			bundle, err := os.ReadFile(r.CAFile)
			if err != nil {
				return fmt.Errorf("--tls-ca-file: %w", err)
			}
			if err := pub.bundle(ctx, bundle); err != nil {
				return fmt.Errorf("write the webhook configuration: %w", err)
			}
			go followCAFile(ctx, r.CAFile, bundle, pub, r.Log)
		}
		return r.serve(ctx, fc)
	}
	var certs *CertAuthority
	var err error
	if r.CASecret != "" && r.CASecret != "none" {
		shared := &SharedCA{Client: r.Client, Namespace: r.Install.ServiceNamespace, Name: r.CASecret, Identity: r.Identity, Hosts: hosts, Log: r.Log,
			Publish: func(ctx context.Context, bundle []byte) error { return pub.bundle(ctx, bundle) }}
		if certs, err = shared.Load(ctx); err != nil {
			return err
		}
		go shared.Run(ctx)
		r.Log.Info("serving from the shared CA", "secret", r.Install.ServiceNamespace+"/"+r.CASecret, "identity", r.Identity)
	} else {
		if certs, err = NewCertAuthority(hosts, 90*24*time.Hour); err != nil {
			return err
		}
		go rotateOwnCA(ctx, certs, pub, r.Log)
	}
	if err := pub.bundle(ctx, certs.Bundle()); err != nil {
		return fmt.Errorf("write the webhook configuration: %w", err)
	}
	return r.serve(ctx, certs)
}

func (r *Runtime) serve(ctx context.Context, certs CertSource) error {
	r.Log.Info("serving", "listen", r.Listen)
	srv := &Server{Handler: r.Handler, Certs: certs, Log: r.Log, ShutdownDelay: r.ShutdownDelay}
	if err := srv.Serve(ctx, r.Listen); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// followCAFile publishes the CA file's bundle whenever it changes.
func followCAFile(ctx context.Context, path string, last []byte, pub *publisher, log *slog.Logger) {
	every(ctx, time.Minute, func() {
		b, err := os.ReadFile(path)
		if err != nil || string(b) == string(last) {
			return
		}
		if err := pub.bundle(ctx, b); err != nil {
			log.Error("publishing the CA bundle failed", "err", err)
			return
		}
		last = b
	})
}

// rotateOwnCA rotates a CA of this process's own before it expires.
func rotateOwnCA(ctx context.Context, certs *CertAuthority, pub *publisher, log *slog.Logger) {
	every(ctx, time.Hour, func() {
		if rotated, err := certs.RotateIfExpiring(); err != nil {
			log.Error("certificate rotation failed", "err", err)
		} else if rotated {
			if err := pub.bundle(ctx, certs.Bundle()); err != nil {
				log.Error("publishing the rotated CA bundle failed", "err", err)
			}
			log.Info("rotated the serving certificate")
		}
	})
}

// every calls fn each period until ctx is done.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
