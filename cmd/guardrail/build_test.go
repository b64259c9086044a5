package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// noGoPlugins is the kustomize build tag that leaves out its Go plugin
// loader. That loader is the only importer of Go's plugin package, and a
// binary importing plugin keeps every exported symbol and method for the
// dynamic loader: 20 MB more binary and 30 MB more resident memory on
// every run. Guardrail never loads Go plugins (kustomize's default
// options disable them), so every shipped build sets the tag.
const noGoPlugins = "kustomize_disable_go_plugin_support"

// TestShippedBuildsLeaveOutGoPlugins checks that each place that builds
// the shipped binary sets the tag, and that with it nothing else in the
// dependency graph still imports plugin.
func TestShippedBuildsLeaveOutGoPlugins(t *testing.T) {
	build := regexp.MustCompile(`go"?,? "?build\b[^\n]*cmd/guardrail`)
	for _, file := range []string{"../../README.md", "../../.ci/run", "../../Dockerfile", "../../hack/bench/main.go", "../../hack/loadgen/main.go"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "\\\n", " ")
		lines := build.FindAllString(text, -1)
		if len(lines) == 0 {
			t.Errorf("%s: no go build of ./cmd/guardrail found", file)
		}
		for _, l := range lines {
			if !strings.Contains(l, noGoPlugins) {
				t.Errorf("%s: %q builds without -tags %s", file, l, noGoPlugins)
			}
		}
	}
	if testing.Short() {
		return
	}
	out, err := exec.Command("go", "list", "-tags", noGoPlugins, "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "plugin" {
			t.Fatal("with -tags " + noGoPlugins + " the binary still imports Go's plugin package; find the importer with go list -deps -f '{{.ImportPath}} {{.Imports}}'")
		}
	}
	// The guard itself: without the tag the package is there.
	out, _ = exec.Command("go", "list", "-deps", ".").Output()
	if !strings.Contains(" "+strings.Join(strings.Fields(string(out)), " ")+" ", " plugin ") {
		t.Log("kustomize no longer imports plugin without the tag; the tag may be dropped")
	}
}
