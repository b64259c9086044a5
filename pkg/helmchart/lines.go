package helmchart

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/loader"
)

// TemplateLines maps each line of a template's rendered output back to
// the line of the template that wrote it, where that can be known: a
// rendered line is mapped when it is the template's own static text (a
// template line without an action), matched in order with the longest
// common subsequence of the two (difflib's matcher, Python's algorithm).
// A line written by an action ({{ .Values.x }}, include, toYaml) has no
// template line of its own and maps to 0; so do the repeats of a range
// beyond the one the matcher aligns. out[i] is the template line
// (1-based) of rendered line i+1.
//
// Helm keeps no source map of its own (text/template does not record
// where output came from), so this is written here.
func TemplateLines(template, rendered string) []int {
	tpl := strings.Split(template, "\n")
	out := strings.Split(rendered, "\n")
	// Lines with an action never match: give them a key no rendered line
	// has. Blank lines match nothing either (they are everywhere and would
	// anchor the alignment anywhere).
	keys := make([]string, len(tpl))
	for i, l := range tpl {
		l = strings.TrimRight(l, " \t\r")
		if strings.Contains(l, "{{") || strings.TrimSpace(l) == "" {
			l = "\x00" + string(rune(i))
		}
		keys[i] = l
	}
	rkeys := make([]string, len(out))
	for i, l := range out {
		rkeys[i] = strings.TrimRight(l, " \t\r")
		if strings.TrimSpace(rkeys[i]) == "" {
			rkeys[i] = "\x01"
		}
	}
	lines := make([]int, len(out))
	m := difflib.NewMatcherWithJunk(keys, rkeys, false, nil)
	for _, b := range m.GetMatchingBlocks() {
		for k := 0; k < b.Size; k++ {
			lines[b.B+k] = b.A + k + 1
		}
	}
	return lines
}

// templateSources returns every template's text by the name Render gives
// its output (the chart's full path and the template's name), subcharts
// included.
func templateSources(ch ci.Charter) map[string]string {
	out := map[string]string{}
	var walk func(c ci.Charter)
	walk = func(c ci.Charter) {
		acc, err := ci.NewAccessor(c)
		if err != nil {
			return
		}
		for _, t := range acc.Templates() {
			if t != nil {
				out[acc.ChartFullPath()+"/"+t.Name] = string(t.Data)
			}
		}
		for _, d := range acc.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return out
}

// chartDirs maps each chart's full path as Render names it (by chart
// names: "web/charts/db") to its place relative to the root chart
// ("charts/postgresql-12"): a subchart's directory or archive need not
// be named as its chart. Subcharts inside a packaged subchart are left
// to their archive.
func chartDirs(chartPath, full, rel string, out map[string]string) {
	out[full] = rel
	entries, err := os.ReadDir(filepath.Join(chartPath, "charts"))
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(chartPath, "charts", e.Name())
		if !e.IsDir() && !strings.HasSuffix(strings.ToLower(e.Name()), ".tgz") {
			continue
		}
		c, err := loader.Load(p)
		if err != nil {
			continue
		}
		acc, err := ci.NewAccessor(c)
		if err != nil {
			continue
		}
		sub := full + "/charts/" + acc.Name()
		if e.IsDir() {
			chartDirs(p, sub, path.Join(rel, "charts", e.Name()), out)
		} else {
			out[sub] = path.Join(rel, "charts", e.Name())
		}
	}
}

// fileOf is where template name (as Render names it) is, relative to the
// root chart, given chartDirs' map.
func fileOf(name string, dirs map[string]string) string {
	best := ""
	for full := range dirs {
		if strings.HasPrefix(name, full+"/") && len(full) > len(best) {
			best = full
		}
	}
	if best == "" {
		return name
	}
	return path.Join(dirs[best], strings.TrimPrefix(name, best+"/"))
}
