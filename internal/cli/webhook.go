package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	memlimit "github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/spf13/cobra"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// webhookOptions are the flags of `guardrail webhook`.
type webhookOptions struct {
	scan        scanOptions
	listen      string
	defaultMode string
	clusterMode string
	exempt      []string
	exemptSet   bool
	modeAdmins  []string
	nsModes     []string
	caFile      string
	serviceNS   string
	serviceName string
	url         string
	caSecret    string
	podName     string
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
guardrail.dev/mode label (enforce, warn or audit), else the config's
namespace patterns, else --default-mode; cluster-scoped objects are judged
in --cluster-mode. Changes of the mode label are reviewed: a value that is
not a mode is refused, and only admission.modeAdmins (default
system:masters) may lower a namespace from enforce.

Replicas share one CA kept in the Secret --ca-secret (created by the first
replica; rotated by the replica holding the Lease of the same name), so the
configuration's caBundle verifies every replica. Out of the cluster (--url)
the webhook runs a CA of its own unless --ca-secret is given.

Objects cannot except themselves with annotations unless
--allow-annotation-exceptions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.exemptSet = cmd.Flags().Changed("exempt-namespaces")
			return o.serve(cmd, streams)
		},
	}
	// Flags that decide the configuration are shared with install, so
	// that both render the same one.
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.defaultMode, "default-mode", "", "mode of namespaces without a guardrail.dev/mode label or a config pattern (default warn)")
	pf.StringVar(&o.clusterMode, "cluster-mode", "", "mode for cluster-scoped objects such as ClusterRoleBindings (default warn; enforce makes their hook fail closed)")
	pf.StringSliceVar(&o.exempt, "exempt-namespaces", nil, "namespaces never reviewed (default kube-system and --service-namespace)")
	pf.StringSliceVar(&o.modeAdmins, "mode-admins", nil, "users and groups that may lower a namespace from enforce (default system:masters; adds to admission.modeAdmins)")
	pf.StringArrayVar(&o.nsModes, "namespace-mode", nil, "PATTERN=MODE for unlabelled namespaces matching the glob, checked before the config's admission.namespaces (repeatable)")
	pf.StringVar(&o.serviceNS, "service-namespace", admission.DefaultNamespace, "namespace of the webhook's Service (exempt unless --exempt-namespaces says otherwise)")
	pf.StringVar(&o.serviceName, "service-name", admission.DefaultServiceName, "name of the webhook's Service")
	pf.StringVar(&o.url, "url", "", "reach the webhook at this base URL instead of the Service (out-of-cluster runs); each hook adds its own path")
	pf.StringVar(&o.scan.profile, "profile", "", "rule profile (default zero-trust)")
	pf.StringVar(&o.scan.failOn, "fail-on", "", "lowest severity that is denied in enforce mode (default high)")
	pf.StringVar(&o.scan.configPath, "config", "", "config file with exceptions and admission settings (as for scan)")
	o.scan.live.addKubeFlags(pf)
	// The webhook's clients watch: no per-request timeout unless asked.
	*o.scan.live.kube.Timeout = "0"
	pf.Lookup("request-timeout").DefValue = "0"
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8443", "address to serve HTTPS on")
	f.StringVar(&o.caSecret, "ca-secret", "", "Secret in --service-namespace holding the CA the replicas share (default "+admission.DefaultCASecret+" in the cluster; with --url a CA of this process's own; none: always its own)")
	f.StringVar(&o.podName, "pod-name", os.Getenv("POD_NAME"), "this replica's name in the CA Lease (default $POD_NAME, else the host name)")
	f.BoolVar(&o.manage, "manage-config", true, "create or update the ValidatingWebhookConfiguration with the current CA bundle")
	f.BoolVar(&o.allowAnnot, "allow-annotation-exceptions", false, "let objects except themselves with exception.guardrail.dev annotations")
	f.StringVar(&o.certFile, "tls-cert-file", "", "serve this certificate (cert-manager's tls.crt) instead of the webhook's own CA; reloaded when it changes")
	f.StringVar(&o.keyFile, "tls-key-file", "", "key of --tls-cert-file")
	f.StringVar(&o.caFile, "tls-ca-file", "", "CA bundle for the configuration with --tls-cert-file (cert-manager's ca.crt); re-read every minute")
	f.BoolVar(&o.standalone, "standalone", false, "serve without an API server (no configuration management): for load tests and local trials")
	cmd.AddCommand(o.installCommand(streams))
	return cmd
}

// policy resolves the modes and exemptions from flags and config.
func (o *webhookOptions) policy(r *resolved) (admission.Policy, []string, error) {
	var p admission.Policy
	var err error
	if p.Default, err = admission.ParseMode(first(o.defaultMode, r.admission.DefaultMode, "warn")); err != nil {
		return p, nil, usageErr("--default-mode: %v", err)
	}
	if p.Cluster, err = admission.ParseMode(first(o.clusterMode, r.admission.ClusterMode, "warn")); err != nil {
		return p, nil, usageErr("--cluster-mode: %v", err)
	}
	for _, nm := range o.nsModes {
		pattern, mode, ok := strings.Cut(nm, "=")
		m, err := admission.ParseMode(mode)
		if !ok || pattern == "" || err != nil {
			return p, nil, usageErr("--namespace-mode %q: give PATTERN=MODE, MODE one of enforce, warn, audit", nm)
		}
		p.Namespaces = append(p.Namespaces, admission.NamespaceMode{Pattern: pattern, Mode: m})
	}
	for _, nm := range r.admission.Namespaces {
		p.Namespaces = append(p.Namespaces, admission.NamespaceMode{Pattern: nm.Pattern, Mode: admission.Mode(nm.Mode)})
	}
	exempt := admission.DefaultExempt(o.serviceNS)
	switch {
	case o.exemptSet:
		exempt = o.exempt
	case r.admission.ExemptNamespaces != nil:
		exempt = *r.admission.ExemptNamespaces
	}
	if exempt == nil {
		exempt = []string{}
	}
	return p, exempt, nil
}

func (o *webhookOptions) handler(streams IO) (*admission.Handler, []*rules.Rule, error) {
	r, err := o.scan.resolve()
	if err != nil {
		return nil, nil, err
	}
	policy, exempt, err := o.policy(r)
	if err != nil {
		return nil, nil, err
	}
	h := &admission.Handler{
		Engine: admission.NewEngine(engine.WithRules(admission.AdmissionRules(r.rules)), engine.WithSettings(r.settings),
			engine.WithExceptions(r.exceptions), engine.WithAnnotationExceptions(o.allowAnnot)),
		Policy: policy, FailOn: r.failOn, Exempt: exempt, ModeAdmins: append(slices.Clone(r.admission.ModeAdmins), o.modeAdmins...),
	}
	return h, r.rules, nil
}

func (o *webhookOptions) installOptions(h *admission.Handler, bundle []byte, namespaces []string) admission.InstallOptions {
	return admission.InstallOptions{Name: admission.DefaultConfigName, ServiceNamespace: o.serviceNS, ServiceName: o.serviceName, URL: o.url,
		CABundle: bundle, ExcludeNamespaces: h.Exempt, Policy: h.Policy, Namespaces: namespaces}
}

// hosts are the serving certificate's names: the Service's, loopback and
// the --url host.
func (o *webhookOptions) hosts() []string {
	hosts := []string{o.serviceName + "." + o.serviceNS + ".svc", o.serviceName + "." + o.serviceNS + ".svc.cluster.local", "127.0.0.1", "localhost"}
	if u, err := url.Parse(o.url); err == nil && u.Hostname() != "" && !slices.Contains(hosts, u.Hostname()) {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

func (o *webhookOptions) serve(cmd *cobra.Command, streams IO) error {
	h, rs, err := o.handler(streams)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(streams.Err, nil))
	// Set GOMEMLIMIT from the container's memory limit (cgroup), so the
	// collector works harder before the kernel kills the pod; an explicit
	// GOMEMLIMIT wins.
	if lim, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.FromCgroup)); err == nil && lim > 0 {
		log.Info("memory limit", "GOMEMLIMIT", lim)
	}
	log.Info("policy", "defaultMode", h.Policy.Default, "clusterMode", h.Policy.ClusterMode(), "patterns", len(h.Policy.Namespaces),
		"exemptNamespaces", h.Exempt, "modeAdmins", first(strings.Join(h.ModeAdmins, ","), strings.Join(admission.DefaultModeAdmins, ",")),
		"failOn", h.FailOn.String(), "rules", len(admission.AdmissionRules(rs)))
	if o.standalone {
		certs, err := admission.NewCertAuthority(o.hosts(), 24*time.Hour)
		if err != nil {
			return err
		}
		return o.run(ctx, &admission.Server{Handler: h, Certs: certs, Log: log})
	}
	cfg, err := o.scan.live.restConfig()
	if err != nil {
		return usageErr("%v", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	pub := &publisher{client: client, log: log, render: func(bundle []byte, names []string) *admissionregv1.ValidatingWebhookConfiguration {
		return admission.Configuration(rs, o.installOptions(h, bundle, names))
	}, enabled: o.manage}
	if o.manage && len(h.Policy.Namespaces) > 0 {
		// Patterns decide by name: the names that exist decide which
		// unlabelled namespaces' hook fails closed.
		go pub.followNamespaces(ctx)
	}
	if o.certFile != "" {
		// cert-manager issues and renews the certificate; files are
		// reloaded, and the CA file's bundle is published when it changes.
		fc, err := admission.LoadFileCerts(o.certFile, o.keyFile)
		if err != nil {
			return usageErr("--tls-cert-file: %v", err)
		}
		if o.caFile != "" {
			bundle, err := os.ReadFile(o.caFile)
			if err != nil {
				return usageErr("--tls-ca-file: %v", err)
			}
			if err := pub.bundle(ctx, bundle); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write the webhook configuration: %w", err)}
			}
			go followCAFile(ctx, o.caFile, bundle, pub, log)
		}
		return o.run(ctx, &admission.Server{Handler: h, Certs: fc, Log: log})
	}
	secret := o.caSecret
	if secret == "" && o.url == "" {
		secret = admission.DefaultCASecret
	}
	var certs *admission.CertAuthority
	if secret != "" && secret != "none" {
		id := first(o.podName, hostname())
		shared := &admission.SharedCA{Client: client, Namespace: o.serviceNS, Name: secret, Identity: id, Hosts: o.hosts(), Log: log,
			Publish: func(ctx context.Context, bundle []byte) error { return pub.bundle(ctx, bundle) }}
		if certs, err = shared.Load(ctx); err != nil {
			return &exitError{code: ExitError, err: err}
		}
		go shared.Run(ctx)
		log.Info("serving from the shared CA", "secret", o.serviceNS+"/"+secret, "identity", id)
	} else {
		if certs, err = admission.NewCertAuthority(o.hosts(), 90*24*time.Hour); err != nil {
			return err
		}
		go rotateOwnCA(ctx, certs, pub, log)
	}
	if err := pub.bundle(ctx, certs.Bundle()); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write the webhook configuration: %w", err)}
	}
	return o.run(ctx, &admission.Server{Handler: h, Certs: certs, Log: log})
}

func (o *webhookOptions) run(ctx context.Context, srv *admission.Server) error {
	srv.Log.Info("serving", "listen", o.listen)
	if err := srv.Serve(ctx, o.listen); err != nil && ctx.Err() == nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

func hostname() string {
	h, _ := os.Hostname()
	return first(h, "guardrail-webhook")
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
func rotateOwnCA(ctx context.Context, certs *admission.CertAuthority, pub *publisher, log *slog.Logger) {
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

// publisher writes the webhook configuration whenever the bundle or the
// set of namespaces changes (namespace names decide which unlabelled
// namespaces' hook fails closed).
type publisher struct {
	client  kubernetes.Interface
	log     *slog.Logger
	render  func(bundle []byte, names []string) *admissionregv1.ValidatingWebhookConfiguration
	enabled bool

	mu    sync.Mutex
	cur   []byte
	names []string
}

func (p *publisher) bundle(ctx context.Context, b []byte) error {
	p.mu.Lock()
	p.cur = b
	names := p.names
	p.mu.Unlock()
	return p.write(ctx, b, names)
}

func (p *publisher) write(ctx context.Context, b []byte, names []string) error {
	if !p.enabled {
		return nil
	}
	return applyConfiguration(ctx, p.client, p.render(b, names))
}

// followNamespaces republishes when namespaces come or go, at most every
// two seconds.
func (p *publisher) followNamespaces(ctx context.Context) {
	factory := informers.NewSharedInformerFactory(p.client, 10*time.Minute)
	inf := factory.Core().V1().Namespaces()
	changed := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: poke, DeleteFunc: poke})
	factory.Start(ctx.Done())
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		time.Sleep(2 * time.Second)
		list, err := inf.Lister().List(labels.Everything())
		if err != nil {
			continue
		}
		names := make([]string, 0, len(list))
		for _, n := range list {
			names = append(names, n.Name)
		}
		slices.Sort(names)
		p.mu.Lock()
		same := slices.Equal(names, p.names)
		p.names = names
		b := p.cur
		p.mu.Unlock()
		if !same && b != nil {
			if err := p.write(ctx, b, names); err != nil {
				p.log.Error("republishing the webhook configuration failed", "err", err)
			}
		}
	}
}

func (o *webhookOptions) installCommand(streams IO) *cobra.Command {
	var caFile string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Render (or --apply) the ValidatingWebhookConfiguration for the active rules",
		Long: `Render the ValidatingWebhookConfiguration that guardrail webhook would
write, with the same flags. Without --ca-bundle it carries no CA bundle:
guardrail webhook writes its own when it starts, and cert-manager's
cainjector fills it for --tls-cert-file installs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.exemptSet = cmd.Flags().Changed("exempt-namespaces")
			h, rs, err := o.handler(streams)
			if err != nil {
				return err
			}
			var bundle []byte
			if caFile != "" {
				if bundle, err = os.ReadFile(caFile); err != nil {
					return usageErr("--ca-bundle: %v", err)
				}
			}
			conf := admission.Configuration(rs, o.installOptions(h, bundle, nil))
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
