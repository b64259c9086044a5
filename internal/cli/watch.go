package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/dashboard"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/report"
	"github.com/guardrail-k8s/guardrail/pkg/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

type watchOptions struct {
	scan           scanOptions // the engine's flags: --profile, --config, --enable, --disable, --baseline
	format         string
	noReports      bool
	maxResults     int
	fullPass       time.Duration
	debounce       time.Duration
	metricsAddr    string
	leaderElect    bool
	leaseNamespace string
	leaseName      string
	since          string
	output         string
	dashboard      string
	noAuth         bool
	dashboardTLS   dashboardTLS
	events         bool
	baselineCM     string
	eventSeverity  string
	profiling      bool
}

func newWatchCommand(streams IO) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Keep judging the live cluster: PolicyReports, metrics, and what appeared since a rollout",
		Long: `Watch runs shared informers on the kinds the rules read and, after every burst of
changes (and at least every --full-pass), evaluates the cached objects with the same
engine and folding as 'scan --live'. It publishes one report per namespace and one for
the cluster as OpenReports (openreports.io/v1alpha1 Report/ClusterReport), or with
--report-format wgpolicyk8s as wgpolicyk8s.io/v1alpha2 PolicyReport/ClusterPolicyReport
(deploy/crds has both CRDs). A report is written only when its content changes. Every
result carries the rule, severity, category, message, object and UID, field, when it first
appeared and the field manager of the change that introduced it. With --leader-elect only
the replica holding the Lease writes; every replica serves metrics on --metrics-addr.

With --since TIME (RFC 3339, or a duration such as 10m) it does not watch: it reads the
published reports, prints the findings that first appeared since then, and exits 1 when
one is at or above --fail-on: "did this rollout introduce anything?".`,
		Example: `  guardrail watch --metrics-addr 127.0.0.1:9464
  guardrail watch --report-format wgpolicyk8s --leader-elect --lease-namespace guardrail
  guardrail watch --since 15m --fail-on high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.since != "" {
				return o.runSince(cmd.Context(), streams)
			}
			return o.run(cmd.Context(), streams)
		},
	}
	f := cmd.Flags()
	s := &o.scan
	f.StringVar(&s.profile, "profile", "", "rule profile: pss-baseline, pss-restricted, zero-trust (default) or all")
	f.StringSliceVar(&s.enable, "enable", nil, "add rules (IDs or globs) to the profile")
	f.StringSliceVar(&s.disable, "disable", nil, "remove rules (IDs or globs) from the profile")
	f.StringVar(&s.configPath, "config", "", "config file (default .guardrail.yaml when present)")
	f.StringVar(&s.baseline, "baseline", "", "an approved baseline (scan --write-baseline): its findings are published as skip (accepted), the rest as new failures")
	f.StringVar(&s.failOn, "fail-on", "", "with --since: lowest severity that fails: critical, high (default), medium, low, info")
	f.BoolVar(&s.includeSystem, "include-system", false, "also report findings on Kubernetes' own objects")
	s.live.addKubeFlags(f)
	f.BoolVar(&s.live.includeSecrets, "include-secrets", false, "watch Secrets (their values are read); without it Secrets are not watched at all")
	f.StringVar(&o.format, "report-format", string(watch.OpenReports), "report API: openreports (openreports.io/v1alpha1) or wgpolicyk8s (wgpolicyk8s.io/v1alpha2)")
	f.BoolVar(&o.noReports, "no-reports", false, "write no reports (metrics only)")
	f.IntVar(&o.maxResults, "max-results", 1000, "results per report at most (the summary counts all; reports stay under 1 MiB)")
	f.DurationVar(&o.fullPass, "full-pass", time.Hour, "evaluate everything at least this often, changes or not")
	f.DurationVar(&o.debounce, "debounce", 200*time.Millisecond, "let the first change of a burst wait this long for more before a pass")
	f.StringVar(&o.metricsAddr, "metrics-addr", "127.0.0.1:9464", "serve Prometheus metrics at http://ADDR/metrics (\"\" for none)")
	f.BoolVar(&o.profiling, "profiling", false, "also serve Go's profiles (net/http/pprof) at http://ADDR/debug/pprof/ on --metrics-addr; they show the process's memory, keep the address private")
	f.BoolVar(&o.leaderElect, "leader-elect", false, "only the replica holding a coordination.k8s.io Lease writes reports")
	f.StringVar(&o.leaseNamespace, "lease-namespace", "", "namespace of the Lease (default: $POD_NAMESPACE, else guardrail)")
	f.StringVar(&o.leaseName, "lease-name", "guardrail-watch", "name of the Lease")
	f.StringVar(&o.baselineCM, "baseline-configmap", "", "NAMESPACE/NAME of a ConfigMap whose key baseline.json is an approved baseline (scan --write-baseline format), re-read on change")
	f.BoolVar(&o.events, "events", true, "post a Warning Event on the object of each new finding at or above --event-severity (once per finding, rate-limited)")
	f.StringVar(&o.eventSeverity, "event-severity", "high", "lowest severity that gets an Event")
	f.StringVar(&o.dashboard, "dashboard", "", "also serve the report page and /api/report from the watcher's state at ADDR (authenticated, see guardrail dashboard --help)")
	f.BoolVar(&o.noAuth, "insecure-no-auth", false, "serve the dashboard without authentication (loopback only)")
	o.dashboardTLS.addFlags(f, "dashboard-")
	f.StringVar(&o.since, "since", "", "print the findings that first appeared since TIME (RFC 3339 or a duration like 15m) and exit")
	f.StringVarP(&o.output, "output", "o", "table", "with --since: table or json")
	return cmd
}

func (o *watchOptions) reportFormat() (watch.Format, error) {
	switch watch.Format(o.format) {
	case watch.OpenReports, watch.PolicyReports:
		return watch.Format(o.format), nil
	}
	return "", usageErr("--report-format %q: use openreports or wgpolicyk8s", o.format)
}

func (o *watchOptions) run(ctx context.Context, streams IO) error {
	format, err := o.reportFormat()
	if err != nil {
		return err
	}
	_, opts, cfg, err := o.scan.liveEngine()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(streams.Err, nil))
	// The heap of a pass is garbage by the next: without a limit it grows
	// to twice what is live.
	limitMemoryToContainer(logger)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := watch.NewMetrics(reg)
	evSev, err := api.ParseSeverity(o.eventSeverity)
	if err != nil {
		return usageErr("--event-severity: %v", err)
	}
	wopts := watch.Options{BaselineConfigMap: o.baselineCM, Events: o.events, EventSeverity: evSev, Config: cfg, Engine: func() *engine.Engine { return engine.New(opts...) }, IncludeSecrets: o.scan.live.includeSecrets,
		Debounce: o.debounce, FullPass: o.fullPass, Format: format, Reports: !o.noReports, MaxResults: o.maxResults, Metrics: metrics, Logger: logger}
	var election *watch.Election
	if o.leaderElect {
		election = &watch.Election{}
		wopts.Leader = election.Leading
	}
	w, err := watch.New(wopts)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if o.metricsAddr != "" {
		ln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			return usageErr("--metrics-addr: %v", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if o.profiling {
			// The handlers of net/http/pprof, as kube components serve
			// them with --profiling: the heap of a watcher on a large
			// cluster is measured in the process that runs, not a test.
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		mux.HandleFunc("/healthz", func(rw http.ResponseWriter, _ *http.Request) { fmt.Fprintln(rw, "ok") })
		mux.HandleFunc("/readyz", func(rw http.ResponseWriter, _ *http.Request) {
			if w.Passes() == 0 {
				http.Error(rw, "no pass yet", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(rw, "ok")
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		logger.Info("serving metrics", "addr", ln.Addr().String())
	}
	if election != nil {
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		ns := first(o.leaseNamespace, os.Getenv("POD_NAMESPACE"), "guardrail")
		id := first(os.Getenv("POD_NAME"), hostnameOr("guardrail"))
		id = fmt.Sprintf("%s-%d", id, os.Getpid())
		go func() { _ = election.Run(ctx, client, ns, o.leaseName, id, w.BecameLeader) }()
	}
	if o.dashboard != "" {
		if err := dashboard.CheckAddress(o.dashboard, o.noAuth, o.dashboardTLS.certFile != ""); err != nil {
			return usageErr("%v", err)
		}
		snap := func() (*engine.Result, report.Context, bool) {
			st := w.State()
			if st == nil {
				return nil, report.Context{}, false
			}
			return st.Result(), report.Context{ObjectsPerNamespace: st.ObjectsPerNamespace, Source: "live cluster (guardrail watch) " + cfg.Host}, true
		}
		go func() {
			if err := serveDashboard(ctx, o.dashboard, o.noAuth, o.dashboardTLS, cfg, snap, logger); err != nil {
				logger.Error("dashboard", "err", err)
			}
		}()
	}
	return w.Run(ctx)
}

func hostnameOr(def string) string {
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return def
}

// parseSince reads RFC 3339 or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: give RFC 3339 (2026-12-03T10:00:00Z) or a duration (15m)", s)
}

func (o *watchOptions) runSince(ctx context.Context, streams IO) error {
	format, err := o.reportFormat()
	if err != nil {
		return err
	}
	t, err := parseSince(o.since, time.Now())
	if err != nil {
		return usageErr("%v", err)
	}
	failOn := api.SeverityHigh
	if o.scan.failOn != "" {
		if failOn, err = api.ParseSeverity(o.scan.failOn); err != nil {
			return usageErr("--fail-on: %v", err)
		}
	}
	cfg, err := o.scan.live.restConfig()
	if err != nil {
		return usageErr("%v", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	got, err := watch.Since(ctx, dyn, format, t)
	if err != nil {
		return &exitError{code: ExitPartial, err: err}
	}
	switch o.output {
	case "json":
		if got == nil {
			got = []watch.Appeared{}
		}
		if err := writeJSON(streams.Out, got); err != nil {
			return err
		}
	case "table":
		tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FIRST SEEN\tSEVERITY\tRULE\tOBJECT\tFIELD MANAGER\tMESSAGE")
		for _, a := range got {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.FirstSeen.Format(time.RFC3339), a.Severity, a.RuleID, a.Object, a.Manager, a.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(streams.Out, "%d findings appeared since %s\n", len(got), t.Format(time.RFC3339))
	default:
		return usageErr("-o %q: use table or json", o.output)
	}
	for _, a := range got {
		if a.Severity >= failOn {
			return &exitError{code: ExitFindings, err: errors.New("findings at or above " + failOn.String() + " appeared since " + t.Format(time.RFC3339))}
		}
	}
	return nil
}
