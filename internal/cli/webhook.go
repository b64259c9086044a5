package cli

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// webhookOptions are the flags of `guardrail webhook`.
type webhookOptions struct {
	scan          scanOptions
	listen        string
	shutdownDelay time.Duration
	defaultMode   string
	clusterMode   string
	exempt        []string
	exemptSet     bool
	modeAdmins    []string
	nsModes       []string
	caFile        string
	serviceNS     string
	serviceName   string
	url           string
	caSecret      string
	podName       string
	manage        bool
	apply         bool
	allowAnnot    bool
	standalone    bool
	certFile      string
	keyFile       string
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
	f.DurationVar(&o.shutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, keep serving this long (readyz failing, connections closing) before draining, while the pod leaves its Service's endpoints")
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

func (o *webhookOptions) serve(cmd *cobra.Command, streams IO) error {
	h, rs, err := o.handler(streams)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(streams.Err, nil))
	limitMemoryToContainer(log)
	log.Info("policy", "defaultMode", h.Policy.Default, "clusterMode", h.Policy.ClusterMode(), "patterns", len(h.Policy.Namespaces),
		"exemptNamespaces", h.Exempt, "modeAdmins", first(strings.Join(h.ModeAdmins, ","), strings.Join(admission.DefaultModeAdmins, ",")),
		"failOn", h.FailOn.String(), "rules", len(admission.AdmissionRules(rs)))
	rt := &admission.Runtime{Handler: h, Rules: rs, Install: o.installOptions(h, nil, nil), Listen: o.listen, ShutdownDelay: o.shutdownDelay, Log: log,
		Manage: o.manage, CertFile: o.certFile, KeyFile: o.keyFile, CAFile: o.caFile, CASecret: o.caSecret, Identity: first(o.podName, hostname())}
	if rt.CASecret == "" && o.url == "" {
		rt.CASecret = admission.DefaultCASecret
	}
	if !o.standalone {
		cfg, err := o.scan.live.restConfig()
		if err != nil {
			return usageErr("%v", err)
		}
		if rt.Client, err = kubernetes.NewForConfig(cfg); err != nil {
			return usageErr("%v", err)
		}
	}
	if err := rt.Run(ctx); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

func hostname() string {
	h, _ := os.Hostname()
	return first(h, "guardrail-webhook")
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
				if err := admission.ApplyConfiguration(cmd.Context(), client, conf); err != nil {
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
