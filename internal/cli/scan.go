package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/platform"
	"github.com/guardrail-k8s/guardrail/pkg/report"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/guardrail-k8s/guardrail/pkg/source"
	"github.com/spf13/cobra"
	psaapi "k8s.io/pod-security-admission/api"
)

// scanOptions are the flags of `guardrail scan`.
type scanOptions struct {
	output, outFile, color  string
	profile, failOn, pss    string
	enable, disable         []string
	configPath              string
	noAnnotationExceptions  bool
	showSuppressed          bool
	baseline, writeBaseline string
	includeSystem           bool
	allowPartial            bool
	live                    clusterOptions
	input                   inputOptions
}

func newScanCommand(streams IO) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Scan manifests (files, directories, - for stdin) and gate on findings",
		Long: `Scan Kubernetes manifests: files, directories (recursively, .yaml, .yml
and .json) and - for stdin. Multi-document YAML, JSON and List kinds are read;
unknown kinds and CRDs are kept. Every finding points to file:line.

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it,
2 usage error, bad config, input that could not be read (the rest of the
input is still scanned and reported) or nothing to scan (no manifest found),
3 a live scan that could not read some kinds (unless --allow-partial) or
read no workload kind at all.

Findings about Kubernetes' own objects (bootstrap RBAC, system:* roles and
subjects, kube-root-ca.crt, default/kubernetes; on a live cluster, anything
in kube-system, kube-public and kube-node-lease) are not reported, counted
or scored unless --include-system is given.`,
		Example: `  guardrail scan deploy/
  guardrail scan -o sarif --fail-on critical k8s/ > guardrail.sarif
  kustomize build overlays/prod | guardrail scan -
  guardrail scan --write-baseline .guardrail-baseline.json deploy/
  guardrail scan --baseline .guardrail-baseline.json deploy/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.live.enabled && len(args) > 0:
				return usageErr("--live scans the live cluster; do not also give paths")
			case !o.live.enabled && len(args) == 0:
				return usageErr("give files, directories or - to scan (for example: guardrail scan deploy/), or --live")
			case o.live.allNamespaces && o.live.namespace != "":
				return usageErr("give -n NAMESPACE or --all-namespaces, not both")
			}
			return o.run(cmd, args, streams)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "table", "output format: "+strings.Join(report.FormatNames(), ", "))
	f.StringVar(&o.outFile, "output-file", "", "write the report to this file instead of stdout")
	f.StringVar(&o.color, "color", "auto", "colour the table: auto, always or never")
	f.StringVar(&o.profile, "profile", "", "rule profile: pss-baseline, pss-restricted, zero-trust (default) or all")
	f.StringSliceVar(&o.enable, "enable", nil, "add rules (IDs or globs) to the profile")
	f.StringSliceVar(&o.disable, "disable", nil, "remove rules (IDs or globs) from the profile")
	f.StringVar(&o.failOn, "fail-on", "", "lowest severity that fails the scan: critical, high (default), medium, low, info or none")
	f.StringVar(&o.pss, "pss-version", "", "Pod Security Standards version: latest (default) or v1.N")
	f.StringVar(&o.configPath, "config", "", "config file (default .guardrail.yaml when present)")
	f.BoolVar(&o.noAnnotationExceptions, "no-annotation-exceptions", false, "ignore exception.guardrail.dev/<rule> annotations on objects")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "also list findings covered by exceptions or the baseline, and why")
	f.StringVar(&o.baseline, "baseline", "", "report and gate only findings that are not in this baseline file")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "write the current findings to this baseline file")
	f.BoolVar(&o.includeSystem, "include-system", false, "also report findings on Kubernetes' own objects, marked as platform findings (never counted or gated)")
	o.input.addFlags(f)
	o.addClusterFlags(f)
	return cmd
}

// resolved is what the flags and config file add up to.
type resolved struct {
	rules       []*rules.Rule
	settings    rules.Settings
	failOn      api.Severity
	failNever   bool
	exceptions  []config.Exception
	annotations bool
	admission   config.Admission
	exclude     []string
	// includeSystem and systemNamespaces decide what is the platform's.
	includeSystem    bool
	systemNamespaces []string
}

func (o *scanOptions) resolve() (*resolved, error) {
	path, explicit := config.DefaultFile, false
	if o.configPath != "" {
		path, explicit = o.configPath, true
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	r := &resolved{exceptions: cfg.Exceptions, annotations: true, settings: rules.DefaultSettings(), admission: cfg.Admission, exclude: cfg.Exclude}
	profile := first(o.profile, cfg.Profile, rules.DefaultProfile)
	rs, prof, err := rules.Select(profile, append(cfg.Enable, o.enable...), append(cfg.Disable, o.disable...))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	r.rules = rs
	r.settings.PSSLevel = prof.PSSLevel
	if v := first(o.pss, cfg.PSSVersion, "latest"); v != "latest" {
		pv, err := psaapi.ParseVersion(v)
		if err != nil {
			return nil, usageErr("--pss-version %q: use latest or v1.N", v)
		}
		r.settings.PSSVersion = pv
	}
	switch fo := first(o.failOn, cfg.FailOn, "high"); fo {
	case "none", "never":
		r.failNever = true
	default:
		if r.failOn, err = api.ParseSeverity(fo); err != nil {
			return nil, usageErr("--fail-on: %v (or none)", err)
		}
	}
	if cfg.AnnotationExceptions != nil {
		r.annotations = *cfg.AnnotationExceptions
	}
	if o.noAnnotationExceptions {
		r.annotations = false
	}
	r.includeSystem = o.includeSystem || cfg.IncludeSystem
	r.systemNamespaces = platform.DefaultSystemNamespaces
	if cfg.SystemNamespaces != nil {
		r.systemNamespaces = *cfg.SystemNamespaces
	}
	return r, nil
}

// engineOptions turns the resolved settings into engine options.
func (o *scanOptions) engineOptions(r *resolved) ([]engine.Option, error) {
	opts := []engine.Option{engine.WithRules(r.rules), engine.WithSettings(r.settings),
		engine.WithExceptions(r.exceptions), engine.WithAnnotationExceptions(r.annotations),
		engine.WithIncludeSystem(r.includeSystem), engine.WithSystemNamespaces(r.systemNamespaces)}
	if o.baseline != "" {
		b, err := readBaseline(o.baseline)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		opts = append(opts, engine.WithBaseline(b))
	}
	return opts, nil
}

func (o *scanOptions) run(cmd *cobra.Command, paths []string, streams IO) error {
	r, err := o.resolve()
	if err != nil {
		return err
	}
	r.settings.Live = o.live.enabled
	var src source.Source
	var progress *progress
	if o.live.enabled {
		live, err := o.live.source(o.live.namespace)
		if err != nil {
			return err
		}
		progress = newProgress(streams)
		live.Progress = progress.update
		src = live
	} else {
		// -n as kubectl apply -n reads it: objects that name no namespace
		// are in it, and the report is about it.
		src = o.input.manifests(streams, paths, o.live.namespace, o.live.namespace != "", r.exclude...)
		defer tuneMemory(paths, streams.Getenv)()
	}
	printer, out, closeOut, err := o.printer(streams)
	if err != nil {
		return err
	}
	defer closeOut()
	opts, err := o.engineOptions(r)
	if err != nil {
		return err
	}
	if o.live.namespace != "" {
		opts = append(opts, engine.WithNamespaceScope(o.live.namespace))
	}
	// Objects are evaluated as they are decoded (or their page arrives)
	// and then slimmed, so a scan never holds every full object at once;
	// cross-object rules run at the end.
	stream := engine.New(opts...).NewStream(engine.WithSlimming())
	loaded, err := src.Load(cmd.Context(), stream.Add)
	progress.done()
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	inv := loaded.Inventory()
	res := stream.Finish(inv)
	res.Problems, res.Skipped = loaded.Problems, loaded.Skipped
	if n := res.Summary.OutOfScope; n > 0 {
		res.Skipped = append(res.Skipped, fmt.Sprintf("%d findings on objects of other namespaces and on cluster-scoped objects that do not grant or expose into namespace %s (nodes, CRDs, roles bound elsewhere...) are left out by -n; scan without -n to see them", n, o.live.namespace))
	}
	res.RecountProblems()
	res.Summary.Partial = loaded.Partial
	empty := loaded.Empty(src)
	if empty != "" && loaded.Live {
		res.Summary.Score = nil // nothing that runs was judged: no score, never 100
	}
	setHTMLContext(printer, inv, src.String(), loaded.Live)
	if err := o.report(res, r, printer, out, streams); err != nil {
		return err
	}
	// A gate never passes on nothing: a wrong path, an empty render or an
	// identity that may read no workload must not look like a clean scan.
	switch {
	case empty != "" && loaded.Live:
		return &exitError{code: ExitPartial, err: errors.New(empty)}
	case empty != "":
		return &exitError{code: ExitError, err: errors.New(empty)}
	case loaded.Partial && !o.allowPartial:
		return &exitError{code: ExitPartial, err: fmt.Errorf("partial results: some kinds could not be read (listed above); fix the permissions or pass --allow-partial")}
	}
	return nil
}

// report prints res, writes the baseline and maps the outcome to an exit code.
func (o *scanOptions) report(res *engine.Result, r *resolved, printer report.Printer, out io.Writer, streams IO) error {
	if err := printer.Print(out, res); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if o.writeBaseline != "" {
		if err := writeBaseline(o.writeBaseline, res.Findings); err != nil {
			return &exitError{code: ExitError, err: err}
		}
		fmt.Fprintf(streams.Err, "guardrail: wrote %d findings to baseline %s\n", len(res.Findings), o.writeBaseline)
	}
	switch {
	case res.Summary.Errors > 0:
		return &exitError{code: ExitError, err: fmt.Errorf("%d input errors (listed in the report); the rest of the input was scanned", res.Summary.Errors)}
	case o.writeBaseline != "" || r.failNever:
		return nil
	case res.Summary.AtOrAbove(r.failOn) > 0:
		return &exitError{code: ExitFindings}
	}
	return nil
}

// printer builds the printer and opens its destination.
func (o *scanOptions) printer(streams IO) (report.Printer, io.Writer, func(), error) {
	var out io.Writer = streams.Out
	closeOut := func() {}
	if o.outFile != "" {
		f, err := os.Create(o.outFile)
		if err != nil {
			return nil, nil, nil, usageErr("--output-file: %v", err)
		}
		out, closeOut = f, func() { f.Close() }
	}
	color, err := useColor(o.color, streams, out)
	if err != nil {
		closeOut()
		return nil, nil, nil, err
	}
	p, err := report.New(o.output, report.Options{Color: color, ShowSuppressed: o.showSuppressed, Version: Version})
	if err != nil {
		closeOut()
		return nil, nil, nil, usageErr("%v", err)
	}
	return p, out, closeOut, nil
}

func readBaseline(path string) (*engine.Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	return engine.ReadBaseline(f)
}

func writeBaseline(path string, fs []api.Finding) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	if err := engine.NewBaseline(fs).Write(f); err != nil {
		f.Close()
		return fmt.Errorf("write baseline: %w", err)
	}
	return f.Close()
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
