package manifest

import (
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/kustomize"
)

// The inputs a directory walk turns into documents besides loose YAML:
// Helm charts, rendered; kustomizations, built; and what a walk leaves
// out (excluded paths, symlinks leaving the root).

// buildKustomization builds the kustomization in dir and emits each
// resource under the file it came from, marked built; files the
// kustomization does not name, and patch fragments, are never read as
// objects. A Component is an input of other kustomizations: skipped.
func (ld *Loader) buildKustomization(dir string, emit func(string, []byte, error)) {
	if kustomize.IsComponent(dir) {
		return
	}
	rs, err := kustomize.Build(dir)
	if err != nil {
		emit(kustomize.Kustomization(dir), nil, fmt.Errorf("cannot build the kustomization: %v", err))
		return
	}
	seen := map[string]bool{}
	for _, r := range rs {
		name := kustomize.Kustomization(dir)
		if r.Origin != "" {
			name = filepath.Join(dir, filepath.FromSlash(r.Origin))
			if !seen[name] {
				seen[name] = true
				if ld.roots == nil {
					ld.roots = map[string][]string{}
				}
				ld.roots[name] = append(ld.roots[name], dir)
			}
		}
		emit(name+api.KustomizeMarker, r.YAML, nil)
	}
}

// sharedRootNotes are the notes on resource files that more than one
// kustomization built (a base under two overlays): their objects are
// judged once per root, as each build renders them, and the note says
// why the same file's findings come more than once.
func (ld *Loader) sharedRootNotes() []*api.Problem {
	var out []*api.Problem
	for file, roots := range ld.roots {
		if len(roots) < 2 {
			continue
		}
		out = append(out, &api.Problem{Location: api.Location{File: file}, Warning: true,
			Message: fmt.Sprintf("built by %d kustomizations (%s): its objects are judged once per kustomization, as each one renders them", len(roots), strings.Join(roots, ", ")),
			Hint:    "a finding in this file is fixed once here; scan one overlay alone to see its build only"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location.File < out[j].Location.File })
	return out
}

// inside reports whether target lies within root (both resolved).
func inside(root, target string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	r, _ = filepath.Abs(r)
	t, _ := filepath.Abs(target)
	rel, err := filepath.Rel(r, t)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// WithExclude leaves out the files and directories of a walk that match
// any of globs: a glob matches the path relative to the scanned directory
// ("vendor/*", "charts/*/ci") or the entry's name ("testdata", "*.tmpl.yaml").
func WithExclude(globs []string) Option { return func(ld *Loader) { ld.exclude = globs } }

func (ld *Loader) excluded(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, g := range ld.exclude {
		g = strings.TrimSuffix(filepath.ToSlash(g), "/")
		if ok, _ := filepathMatch(g, rel); ok {
			return true
		}
		if ok, _ := filepathMatch(g, filepath.Base(path)); ok {
			return true
		}
	}
	return false
}

// WithFollowSymlinks follows symlinks that leave the scanned directory.
func WithFollowSymlinks(follow bool) Option { return func(ld *Loader) { ld.followLinks = follow } }

// isChart reports whether dir is a Helm chart: its templates are Go
// templates, not manifests, and are rendered rather than read.
func isChart(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && info.Mode().IsRegular()
}

// ChartRelease is the release a chart is rendered for unless WithChart
// says otherwise: helm template's default name, and a namespace named for
// what it stands for (the one the chart is installed into), so that rules
// about the default namespace judge only what a chart puts there itself.
var ChartRelease = helmchart.Release{Name: "release-name", Namespace: "release-namespace"}

// WithChart sets how charts are rendered: release, values files, --set
// values and capabilities, as for helm template. They apply to every chart
// the paths hold.
func WithChart(o helmchart.Options) Option { return func(ld *Loader) { ld.chart = o } }

// isChartArchive reports whether path is a packaged chart.
func isChartArchive(path string) bool { return strings.HasSuffix(strings.ToLower(path), ".tgz") }

// renderChart renders the chart at path (a directory or a .tgz) and emits
// each template's output under the template's path, marked rendered; the
// objects map the lines their template wrote back to it (see
// helmchart.TemplateLines), the rest keep the rendered output's lines.
func (ld *Loader) renderChart(path string, emit func(string, []byte, error), rendered func(string, []byte, *inventory.Rendered)) {
	o := ld.chart
	if o.Release.Name == "" {
		o.Release.Name = ChartRelease.Name
	}
	if o.Release.Namespace == "" {
		o.Release.Namespace = ChartRelease.Namespace
	}
	ms, err := helmchart.Render(path, o)
	if err != nil {
		where := path
		if !isChartArchive(path) {
			where = filepath.Join(path, "Chart.yaml")
		}
		emit(where, nil, fmt.Errorf("cannot render the Helm chart: %v", err))
		return
	}
	for _, m := range ms {
		file := templateFile(path, m.File)
		rendered(file+api.RenderedMarker, []byte(m.Content), &inventory.Rendered{Template: file, Lines: m.Lines})
	}
}

// templateFile is where a rendered template's source is: under the chart
// directory, or inside a packaged chart, named after the archive.
func templateFile(chartPath, file string) string {
	if isChartArchive(chartPath) {
		return chartPath + "/" + file
	}
	return filepath.Join(chartPath, filepath.FromSlash(file))
}

func filepathMatch(pattern, name string) (bool, error) { return pathpkg.Match(pattern, name) }
