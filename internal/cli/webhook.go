package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/spf13/cobra"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// webhookOptions are the flags of `guardrail webhook`.
type webhookOptions struct {
	scan        scanOptions
	listen      string
	defaultMode string
	serviceNS   string
	serviceName string
	url         string
	manage      bool
	apply       bool
	allowAnnot  bool
	standalone  bool
	certFile    string
	keyFile     string
}

func newWebhookCommand(streams IO) *cobra.Command {
	o := &webhookOptions{}
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Run the validating admission webhook (the same rules and exceptions as scan)",
		Long: `Serve the admission webhook. Each namespace's mode comes from its
guardrail.dev/mode label (enforce, warn or audit), else --default-mode. The
webhook runs its own ECDSA P-256 CA, writes the bundle into its
ValidatingWebhookConfiguration (--manage-config) and rotates before expiry,
keeping old and new CA in the bundle. Objects cannot except themselves with
annotations unless --allow-annotation-exceptions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.serve(cmd, streams) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8443", "address to serve HTTPS on")
	f.StringVar(&o.defaultMode, "default-mode", "", "mode of namespaces without a guardrail.dev/mode label or a config pattern (default warn)")
	f.StringVar(&o.serviceNS, "service-namespace", "guardrail", "namespace of the webhook's Service (excluded from review)")
	f.StringVar(&o.serviceName, "service-name", "guardrail", "name of the webhook's Service")
	f.StringVar(&o.url, "url", "", "reach the webhook at this URL instead of the Service (out-of-cluster runs)")
	f.BoolVar(&o.manage, "manage-config", true, "create or update the ValidatingWebhookConfiguration with the current CA bundle")
	f.BoolVar(&o.allowAnnot, "allow-annotation-exceptions", false, "let objects except themselves with exception.guardrail.dev annotations")
	f.StringVar(&o.certFile, "tls-cert-file", "", "serve this certificate (cert-manager's tls.crt) instead of the webhook's own CA; reloaded when it changes")
	f.StringVar(&o.keyFile, "tls-key-file", "", "key of --tls-cert-file")
	f.BoolVar(&o.standalone, "standalone", false, "serve without an API server (no namespace labels, no configuration management): for load tests and local trials")
	f.StringVar(&o.scan.profile, "profile", "", "rule profile (default zero-trust)")
	f.StringVar(&o.scan.failOn, "fail-on", "", "lowest severity that is denied in enforce mode (default high)")
	f.StringVar(&o.scan.configPath, "config", "", "config file with exceptions (as for scan)")
	o.scan.live.addFlags(f)
	cmd.AddCommand(o.installCommand(streams))
	return cmd
}

func (o *webhookOptions) handler(streams IO) (*admission.Handler, []*rules.Rule, error) {
	r, err := o.scan.resolve()
	if err != nil {
		return nil, nil, err
	}
	def := first(o.defaultMode, r.admission.DefaultMode, "warn")
	mode, err := admission.ParseMode(def)
	if err != nil {
		return nil, nil, usageErr("--default-mode: %v", err)
	}
	policy := admission.Policy{Default: mode}
	for _, nm := range r.admission.Namespaces {
		policy.Namespaces = append(policy.Namespaces, admission.NamespaceMode{Pattern: nm.Pattern, Mode: admission.Mode(nm.Mode)})
	}
	h := &admission.Handler{
		Engine: engine.New(engine.WithRules(admission.AdmissionRules(r.rules)), engine.WithSettings(r.settings),
			engine.WithExceptions(r.exceptions), engine.WithAnnotationExceptions(o.allowAnnot)),
		Policy: policy, FailOn: r.failOn,
	}
	return h, r.rules, nil
}

func (o *webhookOptions) installOptions(bundle []byte) admission.InstallOptions {
	return admission.InstallOptions{ServiceNamespace: o.serviceNS, ServiceName: o.serviceName, URL: o.url, CABundle: bundle}
}

func (o *webhookOptions) serve(cmd *cobra.Command, streams IO) error {
	h, rs, err := o.handler(streams)
	if err != nil {
		return err
	}
	if o.standalone {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		certs, err := admission.NewCertAuthority([]string{"127.0.0.1", "localhost"}, 24*time.Hour)
		if err != nil {
			return err
		}
		srv := &admission.Server{Handler: h, Certs: certs, Log: slog.New(slog.NewJSONHandler(streams.Err, nil))}
		if err := srv.Serve(ctx, o.listen); err != nil && ctx.Err() == nil {
			return &exitError{code: ExitError, err: err}
		}
		return nil
	}
	cfg, err := o.scan.live.restConfig()
	if err != nil {
		return usageErr("%v", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(streams.Err, nil))
	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	nsInformer := factory.Core().V1().Namespaces()
	lister := nsInformer.Lister()
	h.Namespaces = func(ns string) (map[string]string, bool) {
		n, err := lister.Get(ns)
		if err != nil {
			return nil, false
		}
		return n.Labels, true
	}
	synced := nsInformer.Informer().HasSynced
	factory.Start(ctx.Done())
	if o.certFile != "" {
		// cert-manager issues and renews the certificate and injects the
		// bundle into the configuration (cainjector); files are reloaded.
		fc, err := admission.LoadFileCerts(o.certFile, o.keyFile)
		if err != nil {
			return usageErr("--tls-cert-file: %v", err)
		}
		srv := &admission.Server{Handler: h, Certs: fc, Log: log, Ready: synced}
		if err := srv.Serve(ctx, o.listen); err != nil && ctx.Err() == nil {
			return &exitError{code: ExitError, err: err}
		}
		return nil
	}
	hosts := []string{o.serviceName + "." + o.serviceNS + ".svc", o.serviceName + "." + o.serviceNS + ".svc.cluster.local", "127.0.0.1", "localhost"}
	certs, err := admission.NewCertAuthority(hosts, 90*24*time.Hour)
	if err != nil {
		return err
	}
	publish := func() error {
		if !o.manage {
			return nil
		}
		return applyConfiguration(ctx, client, admission.Configuration(rs, o.installOptions(certs.Bundle())))
	}
	if err := publish(); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write the webhook configuration: %w", err)}
	}
	go func() {
		for t := time.NewTicker(time.Hour); ; {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
				if rotated, err := certs.RotateIfExpiring(); err != nil {
					log.Error("certificate rotation failed", "err", err)
				} else if rotated {
					if err := publish(); err != nil {
						log.Error("publishing the rotated CA bundle failed", "err", err)
					}
					log.Info("rotated the serving certificate")
				}
			}
		}
	}()
	srv := &admission.Server{Handler: h, Certs: certs, Log: log, Ready: synced}
	log.Info("serving", "listen", o.listen, "rules", len(admission.AdmissionRules(rs)))
	if err := srv.Serve(ctx, o.listen); err != nil && ctx.Err() == nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

func (o *webhookOptions) installCommand(streams IO) *cobra.Command {
	var caFile string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Render (or --apply) the ValidatingWebhookConfiguration for the active rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, rs, err := o.handler(streams)
			if err != nil {
				return err
			}
			var bundle []byte
			if caFile != "" {
				if bundle, err = os.ReadFile(caFile); err != nil {
					return usageErr("--ca-bundle: %v", err)
				}
			}
			conf := admission.Configuration(rs, o.installOptions(bundle))
			if o.apply {
				cfg, err := o.scan.live.restConfig()
				if err != nil {
					return usageErr("%v", err)
				}
				client, err := kubernetes.NewForConfig(cfg)
				if err != nil {
					return usageErr("%v", err)
				}
				if err := applyConfiguration(cmd.Context(), client, conf); err != nil {
					return &exitError{code: ExitError, err: err}
				}
				fmt.Fprintf(streams.Out, "validatingwebhookconfiguration/%s applied\n", conf.Name)
				return nil
			}
			b, err := yaml.Marshal(conf)
			if err != nil {
				return err
			}
			_, err = streams.Out.Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&caFile, "ca-bundle", "", "PEM CA bundle to embed (cert-manager's, for example); guardrail webhook writes its own when it runs")
	cmd.Flags().BoolVar(&o.apply, "apply", false, "create or update the configuration in the cluster instead of printing it")
	return cmd
}

// applyConfiguration creates the configuration or updates it in place.
func applyConfiguration(ctx context.Context, c kubernetes.Interface, conf *admissionregv1.ValidatingWebhookConfiguration) error {
	api := c.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	cur, err := api.Get(ctx, conf.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = api.Create(ctx, conf, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	conf.ResourceVersion = cur.ResourceVersion
	_, err = api.Update(ctx, conf, metav1.UpdateOptions{})
	return err
}
