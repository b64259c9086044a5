package cli

import (
	"crypto/tls"

	"context"
	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/source"
	"github.com/spf13/pflag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/dashboard"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/report"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

type dashboardOptions struct {
	scan    scanOptions
	addr    string
	refresh time.Duration
	noAuth  bool
	tls     dashboardTLS
}

func newDashboardCommand(streams IO) *cobra.Command {
	o := &dashboardOptions{}
	cmd := &cobra.Command{
		Use:   "dashboard --live",
		Short: "Serve the HTML report of the live cluster, refreshed, to users their RBAC allows",
		Long: `Dashboard scans the live cluster every --refresh and serves the HTML report at
--address (loopback by default) with a JSON API at /api/report. Every request carries a
Kubernetes bearer token (Authorization: Bearer, or ?token= once, which sets an HttpOnly
cookie), checked with TokenReview; what it shows is authorized with SubjectAccessReview on
the virtual resource reports.guardrail.dev (verb get): cluster-wide access sees everything,
namespaced access only those namespaces. --insecure-no-auth turns this off and is refused
on any address but loopback. guardrail watch --dashboard ADDR serves the same from the
watcher's state.`,
		Example: "  guardrail dashboard --live --address 127.0.0.1:8080\n  curl -H \"Authorization: Bearer $(kubectl create token viewer)\" http://127.0.0.1:8080/api/report",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !o.scan.live.enabled {
				return usageErr("dashboard serves the live cluster: give --live (guardrail scan -o html writes a file for manifests)")
			}
			return o.run(cmd.Context(), streams)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.scan.live.enabled, "live", false, "scan the live cluster of the kubeconfig")
	f.StringVar(&o.scan.profile, "profile", "", "rule profile")
	f.StringVar(&o.scan.configPath, "config", "", "config file (default .guardrail.yaml when present)")
	o.scan.live.addKubeFlags(f)
	f.StringVar(&o.addr, "address", "127.0.0.1:8080", "listen address")
	f.DurationVar(&o.refresh, "refresh", 5*time.Minute, "scan again this often")
	f.BoolVar(&o.noAuth, "insecure-no-auth", false, "serve without authentication (loopback only)")
	o.tls.addFlags(f, "")
	return cmd
}

// dashboardTLS are the serving certificate files of the dashboard.
type dashboardTLS struct{ certFile, keyFile string }

func (d *dashboardTLS) addFlags(f *pflag.FlagSet, prefix string) {
	f.StringVar(&d.certFile, prefix+"tls-cert-file", "", "serve the dashboard over HTTPS with this certificate (PEM; reloaded when it changes, as cert-manager renews it)")
	f.StringVar(&d.keyFile, prefix+"tls-key-file", "", "key of the dashboard's TLS certificate")
}

// serveDashboard serves snap at addr until ctx ends, over HTTPS when tls
// names a certificate.
func serveDashboard(ctx context.Context, addr string, noAuth bool, tlsFiles dashboardTLS, cfg *rest.Config, snap dashboard.Snapshot, logger *slog.Logger) error {
	if (tlsFiles.certFile == "") != (tlsFiles.keyFile == "") {
		return usageErr("give both the dashboard's TLS certificate and key files, or neither")
	}
	if err := dashboard.CheckAddress(addr, noAuth, tlsFiles.certFile != ""); err != nil {
		return usageErr("%v", err)
	}
	srv := &dashboard.Server{Snapshot: snap, Version: Version, Logger: logger}
	if noAuth {
		logger.Warn("serving the report WITHOUT authentication (--insecure-no-auth): anyone who can reach " + addr + " sees every finding")
	} else {
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		srv.Auth = &dashboard.Authorizer{Client: client}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("--address: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second}
	go func() { <-ctx.Done(); hs.Close() }()
	scheme := "http"
	if tlsFiles.certFile != "" {
		certs, err := admission.LoadFileCerts(tlsFiles.certFile, tlsFiles.keyFile)
		if err != nil {
			return usageErr("dashboard TLS: %v", err)
		}
		hs.TLSConfig = &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
		scheme = "https"
	}
	logger.Info("serving the dashboard", "url", scheme+"://"+ln.Addr().String()+"/")
	if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

func (o *dashboardOptions) run(ctx context.Context, streams IO) error {
	_, opts, cfg, err := o.scan.liveEngine()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(streams.Err, nil))
	var mu sync.Mutex
	var res *engine.Result
	var rc report.Context
	live := &source.Live{Config: cfg, Timeout: 5 * time.Minute, IncludeSecrets: o.scan.live.includeSecrets, PageSize: o.scan.live.pageSize}
	scan := func() {
		stream := engine.New(opts...).NewStream(engine.WithSlimming())
		loaded, err := live.Load(ctx, stream.Add)
		if err != nil {
			logger.Error("scan failed", "err", err)
			return
		}
		inv := loaded.Inventory()
		out := stream.Finish(inv)
		out.Problems, out.Skipped = loaded.Problems, loaded.Skipped
		out.RecountProblems()
		out.Summary.Partial = loaded.Partial
		c := htmlContext(inv, live.String(), true)
		mu.Lock()
		res, rc = out, c
		mu.Unlock()
		logger.Info("scanned", "findings", len(out.Findings), "partial", loaded.Partial)
	}
	scan()
	go func() {
		t := time.NewTicker(o.refresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				scan()
			}
		}
	}()
	snap := func() (*engine.Result, report.Context, bool) {
		mu.Lock()
		defer mu.Unlock()
		return res, rc, res != nil
	}
	if err := serveDashboard(ctx, o.addr, o.noAuth, o.tls, cfg, snap, logger); err != nil {
		return err
	}
	return nil
}
