package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/guardrail-k8s/guardrail/pkg/source"
)

// inputOptions are the flags every command that reads manifests shares:
// how directories are walked (--exclude, --follow-symlinks) and how the
// Helm charts they hold are rendered (helm template's flags).
type inputOptions struct {
	exclude        []string
	followSymlinks bool
	chart          chartOptions
}

func (in *inputOptions) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&in.exclude, "exclude", nil, "leave out paths of the given directories matching this glob, relative to the directory or by name (repeatable)")
	f.BoolVar(&in.followSymlinks, "follow-symlinks", false, "follow symlinks that leave a given directory (by default they are skipped with a warning)")
	in.chart.addFlags(f)
}

// manifests is the source for paths ("-" is stdin). namespace is -n: the
// release namespace of charts, and, when defaultNS is set, the namespace
// of objects that name none (kubectl apply's), "default" without -n.
func (in *inputOptions) manifests(streams IO, paths []string, namespace string, defaultNS bool, exclude ...string) *source.Manifests {
	m := &source.Manifests{Paths: paths, Stdin: streams.In, Chart: in.chart.options(namespace),
		Exclude: append(append([]string{}, exclude...), in.exclude...), FollowSymlinks: in.followSymlinks}
	if defaultNS {
		m.DefaultNamespace = first(namespace, "default")
	}
	return m
}

// source is the live source from kubectl's flags; ns "" reads every
// namespace.
func (c *clusterOptions) source(ns string) (*source.Live, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return &source.Live{Config: cfg, Namespace: ns, IncludeSecrets: c.includeSecrets, PageSize: c.pageSize, Timeout: c.timeout}, nil
}

// readAll reads src whole for the analyses that join objects (rbac,
// netpol) and so must not answer on part of a file: an input error ends
// the command; warnings are printed on stderr, as every command prints
// them.
func readAll(ctx context.Context, streams IO, src source.Source) (*source.Result, error) {
	res, err := src.Load(ctx, nil)
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	if !res.Live {
		if err := res.Strict(); err != nil {
			return nil, &exitError{code: ExitError, err: err}
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintln(streams.Err, "guardrail: warning:", p.Error())
	}
	return res, nil
}
