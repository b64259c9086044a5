package helmchart

import (
	"github.com/guardrail-k8s/guardrail/internal/upstream"
	"strings"
	"testing"
)

// TestTemplateLines: static lines map to their template line, lines an
// action wrote map to nothing, and the alignment keeps order.
func TestTemplateLines(t *testing.T) {
	tpl := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
{{- range .Values.containers }}
      - name: {{ .name }}
        securityContext:
          privileged: true
{{- end }}
      hostNetwork: true
`
	rendered := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: a
        securityContext:
          privileged: true
      - name: b
        securityContext:
          privileged: true
      hostNetwork: true
`
	got := TemplateLines(tpl, rendered)
	want := map[int]int{1: 1, 2: 2, 3: 3, 4: 0, 5: 5, 8: 8, 9: 0, 12: 0, 15: 14}
	for r, w := range want {
		if got[r-1] != w {
			t.Errorf("rendered line %d maps to template line %d, want %d (all: %v)", r, got[r-1], w, got)
		}
	}
	// One of the two privileged lines is the range body's own line 12;
	// either way no line maps to a template line of other text.
	checkMapped(t, "inline", tpl, rendered, got)
}

// checkMapped fails when a rendered line maps to a template line of other
// text: the one property a reader relies on.
func checkMapped(t *testing.T, name, tpl, rendered string, lines []int) int {
	t.Helper()
	tl, rl := strings.Split(tpl, "\n"), strings.Split(rendered, "\n")
	mapped := 0
	for i, l := range lines {
		if l == 0 {
			continue
		}
		mapped++
		if strings.TrimRight(tl[l-1], " \t\r") != strings.TrimRight(rl[i], " \t\r") {
			t.Errorf("%s: rendered line %d %q maps to template line %d %q", name, i+1, rl[i], l, tl[l-1])
		}
	}
	return mapped
}

// TestTemplateLinesOnUpstreamCharts: on every template of the upstream
// charts, each mapped line is the template's own text, and most static
// lines are mapped.
func TestTemplateLinesOnUpstreamCharts(t *testing.T) {
	total, mapped := 0, 0
	for _, c := range upstream.Charts(t) {
		ms, err := Render(c, Options{Release: Release{Name: "r", Namespace: "ns"}})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		ch, err := loadChart(c)
		if err != nil {
			t.Fatal(err)
		}
		src := templateSources(ch)
		for _, m := range ms {
			if len(m.Lines) != len(strings.Split(m.Content, "\n")) {
				t.Errorf("%s: %d line entries for %d lines", m.Template, len(m.Lines), len(strings.Split(m.Content, "\n")))
			}
			mapped += checkMapped(t, m.Template, src[m.Template], m.Content, m.Lines)
			total += len(m.Lines)
		}
	}
	t.Logf("%d of %d rendered lines mapped to their template line", mapped, total)
	if mapped == 0 || mapped*3 < total {
		t.Errorf("only %d of %d rendered lines mapped", mapped, total)
	}
}
