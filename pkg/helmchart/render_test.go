package helmchart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chart50 writes a chart with 50 templates: Deployments, Services and
// ConfigMaps that use values, helpers, range and conditionals, as real
// charts do.
func chart50(tb testing.TB) string {
	dir := filepath.Join(tb.TempDir(), "big")
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: big\nversion: 1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("replicas: 2\nimage: {repository: nginx, tag: \"1.27\"}\nports: [80, 443]\nenv: {A: a, B: b, C: c}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "templates", "_helpers.tpl"), []byte(`{{- define "big.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
`), 0o644)
	for i := 0; i < 50; i++ {
		var t string
		switch i % 3 {
		case 0:
			t = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-d%d
  labels: {{- include "big.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: d%d}}
  template:
    metadata: {labels: {app: d%d}}
    spec:
      containers:
      - name: c
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        env:
        {{- range $k, $v := .Values.env }}
        - {name: {{ $k }}, value: {{ $v | quote }}}
        {{- end }}
`
		case 1:
			t = `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-s%d
  labels: {{- include "big.labels" . | nindent 4 }}
spec:
  selector: {app: d%d}
  ports:
  {{- range .Values.ports }}
  - port: {{ . }}
  {{- end }}
# %d
`
		default:
			t = `{{- if .Values.replicas }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-c%d
data:
  config: {{ toYaml .Values.env | quote }}
  n: "%d-%d"
{{- end }}
`
		}
		os.WriteFile(filepath.Join(dir, "templates", fmt.Sprintf("t%02d.yaml", i)), []byte(fmt.Sprintf(t, i, i, i)), 0o644)
	}
	return dir
}

func TestRenderFiftyTemplates(t *testing.T) {
	ms, err := Render(chart50(t), Options{Release: Release{Name: "r", Namespace: "n"}, Set: []string{"replicas=3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 50 || !strings.Contains(ms[0].Content, "replicas: 3") || !strings.Contains(ms[0].Content, "name: r-d0") {
		t.Fatalf("%d manifests; first:\n%s", len(ms), ms[0].Content)
	}
}

// BenchmarkRender50 is the render time of a 50-template chart (issue 12).
func BenchmarkRender50(b *testing.B) {
	dir := chart50(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Render(dir, Options{Release: Release{Name: "r", Namespace: "n"}}); err != nil {
			b.Fatal(err)
		}
	}
}
