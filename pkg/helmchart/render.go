// Package helmchart renders Helm charts with the Helm SDK, as `helm
// template` does, without a cluster and without the network: a chart's
// dependencies come from its charts/ directory and values files are read
// from disk, never fetched.
package helmchart

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// Manifest is one rendered template.
type Manifest struct {
	// Template is the template's path in the chart ("guardrail/templates/rbac.yaml").
	Template string
	// Content is the rendered YAML.
	Content string
	// File is the template's file relative to the chart
	// ("charts/subchartA/templates/service.yaml"); for a template inside
	// a packaged subchart, relative to that archive's path.
	File string
	// Lines maps each rendered line to the template line that wrote it, 0
	// where no template line did (see TemplateLines).
	Lines []int
}

// Release names the release a chart is rendered for.
type Release struct {
	Name, Namespace string
}

// Options are helm template's: the release, values and capabilities.
type Options struct {
	Release Release
	// Values are merged first, then ValueFiles in order, then Set and
	// SetString (helm's --values, --set and --set-string).
	Values     map[string]any
	ValueFiles []string
	Set        []string
	SetString  []string
	// KubeVersion and APIVersions set .Capabilities (helm's --kube-version
	// and --api-versions); empty: Helm's defaults.
	KubeVersion string
	APIVersions []string
}

// Values merges the options' values as helm template does. It is written
// here rather than taken from Helm's pkg/cli/values because that one
// fetches values files over the network by URL scheme; a scanner reads
// only what is on disk.
func (o Options) values() (map[string]any, error) {
	base := map[string]any{}
	merge(base, o.Values)
	for _, f := range o.ValueFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(data, &cur); err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		merge(base, cur)
	}
	for _, s := range o.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("--set %s: %w", s, err)
		}
	}
	for _, s := range o.SetString {
		if err := strvals.ParseIntoString(s, base); err != nil {
			return nil, fmt.Errorf("--set-string %s: %w", s, err)
		}
	}
	return base, nil
}

// merge copies src into dst, merging nested maps (a later file wins).
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func (o Options) capabilities() (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	if o.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(o.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("--kube-version %q: %w", o.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, o.APIVersions...)
	return caps, nil
}

// Render loads the chart at chartPath (a directory or a packaged .tgz)
// and renders every template. NOTES.txt and partials (_*.tpl) are left
// out, and so are templates that render to nothing; the rest come sorted
// by template path.
func Render(chartPath string, o Options) ([]Manifest, error) {
	ch, err := loadChart(chartPath)
	if err != nil {
		return nil, err
	}
	vals, err := o.values()
	if err != nil {
		return nil, err
	}
	caps, err := o.capabilities()
	if err != nil {
		return nil, err
	}
	top, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: o.Release.Name, Namespace: o.Release.Namespace, IsInstall: true, Revision: 1}, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s values: %w", chartPath, err)
	}
	out, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", chartPath, err)
	}
	sources := templateSources(ch)
	dirs := map[string]string{}
	if acc, err := ci.NewAccessor(ch); err == nil {
		if info, err := os.Stat(chartPath); err == nil && info.IsDir() {
			chartDirs(chartPath, acc.Name(), "", dirs)
		} else {
			dirs[acc.Name()] = ""
		}
	}
	var ms []Manifest
	for name, content := range out {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		ms = append(ms, Manifest{Template: name, File: fileOf(name, dirs), Content: content, Lines: TemplateLines(sources[name], content)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Template < ms[j].Template })
	return ms, nil
}

func loadChart(chartPath string) (ci.Charter, error) {
	ch, err := loader.Load(chartPath)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", chartPath, err)
	}
	return ch, nil
}
