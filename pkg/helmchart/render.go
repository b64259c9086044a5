// Package helmchart renders Helm charts with the Helm SDK, as `helm
// template` does, without a cluster.
package helmchart

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/engine"
)

// Manifest is one rendered template.
type Manifest struct {
	// Template is the template's path in the chart ("guardrail/templates/rbac.yaml").
	Template string
	// Content is the rendered YAML.
	Content string
}

// Release names the release a chart is rendered for.
type Release struct {
	Name, Namespace string
}

// Render loads the chart at path (a directory or an archive), merges
// values over its defaults and renders every template. NOTES.txt and
// partials (_*.tpl) are left out, and so are templates that render to
// nothing; the rest come sorted by template path.
func Render(chartPath string, rel Release, values map[string]any) ([]Manifest, error) {
	ch, err := loader.Load(chartPath)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", chartPath, err)
	}
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return nil, fmt.Errorf("chart %s values: %w", chartPath, err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", chartPath, err)
	}
	var ms []Manifest
	for name, content := range out {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		ms = append(ms, Manifest{Template: name, Content: content})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Template < ms[j].Template })
	return ms, nil
}
