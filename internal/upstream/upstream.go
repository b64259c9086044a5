// Package upstream finds inputs that nobody on this team wrote, shipped in
// modules the Go module proxy serves, for the tests that measure
// precision and input handling on them.
package upstream

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Module returns the directory of module@version (or of a dependency's
// module, given without a version), downloading it from the module proxy
// when needed. Without it the test is skipped locally and fails under CI.
func Module(t testing.TB, module string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	var m struct{ Dir, Error string }
	if err == nil {
		err = json.Unmarshal(out, &m)
	}
	if err != nil || m.Dir == "" {
		if os.Getenv("CI") == "" {
			t.Skipf("module %s not available: %v %s", module, err, m.Error)
		}
		t.Fatalf("module %s not available: %v %s", module, err, m.Error)
	}
	return m.Dir
}

// Charts are Helm charts from dependencies' modules: Helm's own test
// charts (subcharts, library charts, hooks, object order, secrets, CRDs
// only) and OpenReports' chart.
func Charts(t testing.TB) []string {
	t.Helper()
	helm := filepath.Join(Module(t, "helm.sh/helm/v4"), "pkg", "cmd", "testdata", "testcharts")
	var charts []string
	for _, c := range []string{"subchart", "object-order", "chart-with-secret", "signtest", "chart-with-lib-dep", "chart-with-template-lib-dep", "chart-with-only-crds"} {
		charts = append(charts, filepath.Join(helm, c))
	}
	charts = append(charts, filepath.Join(Module(t, "github.com/openreports/reports-api"), "charts", "openreports"))
	for _, c := range charts {
		if _, err := os.Stat(filepath.Join(c, "Chart.yaml")); err != nil {
			t.Fatalf("upstream chart %s: %v", c, err)
		}
	}
	return charts
}
