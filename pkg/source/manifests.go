package source

import (
	"context"
	"io"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// Manifests reads files and directories ("-" is stdin): loose YAML and
// JSON, Helm charts (rendered in-process) and kustomizations (built), in
// one walk, as pkg/manifest does.
type Manifests struct {
	// Paths are the files and directories; "-" reads Stdin.
	Paths []string
	// Stdin is what "-" reads.
	Stdin io.Reader
	// Chart sets how charts are rendered (release, values, capabilities).
	Chart helmchart.Options
	// Exclude leaves out paths matching these globs.
	Exclude []string
	// FollowSymlinks follows symlinks that leave a given directory.
	FollowSymlinks bool
	// DefaultNamespace, when set, is given to namespaced objects that name
	// none, as kubectl apply -n would (the analyses that join objects
	// across namespaces need it; the scan judges the file as written).
	DefaultNamespace string
	// Limits bound what is read; the zero value takes the defaults.
	Limits *manifest.Limits
}

// String names the input for reports.
func (m *Manifests) String() string { return "manifests: " + strings.Join(m.Paths, ", ") }

// Load reads the paths. Files are read concurrently; a bad file is a
// problem at its line and never stops the others.
func (m *Manifests) Load(ctx context.Context, sink Sink) (*Result, error) {
	opts := []manifest.Option{manifest.WithStdin(m.Stdin), manifest.WithChart(m.Chart),
		manifest.WithFollowSymlinks(m.FollowSymlinks), manifest.WithExclude(m.Exclude)}
	if m.Limits != nil {
		opts = append(opts, manifest.WithLimits(*m.Limits))
	}
	if m.DefaultNamespace != "" || sink != nil {
		opts = append(opts, manifest.WithSink(func(o *inventory.Object) {
			if m.DefaultNamespace != "" {
				inventory.DefaultNamespace([]*inventory.Object{o}, m.DefaultNamespace, cluster.Namespaced)
			}
			if sink != nil {
				sink(o)
			}
		}))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := manifest.NewLoader(opts...).Load(m.Paths)
	return &Result{Objects: res.Objects, Problems: res.Problems, Files: res.Files}, nil
}
