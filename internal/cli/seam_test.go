package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneInputSeam: the commands read objects only through pkg/source.
// Loading was once written five times here and the copies drifted (one
// dropped warnings, one ignored --pod-cidr); a direct call to a loader
// from the CLI fails this test.
func TestOneInputSeam(t *testing.T) {
	banned := map[string]bool{"manifest.NewLoader": true, "cluster.Load": true, "kustomize.Build": true, "helmchart.Render": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && banned[id.Name+"."+sel.Sel.Name] {
				t.Errorf("%s: %s.%s: read input through pkg/source", fset.Position(sel.Pos()), id.Name, sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("only %d files checked", checked)
	}
}

// TestSameInputConvention: netpol takes its manifests as PATH or with -f,
// alike; diff refuses -f (its OLD and NEW are positional); every command
// that reads manifests renders charts with the same helm flags.
func TestSameInputConvention(t *testing.T) {
	_, byPath, _ := run(t, "", "netpol", "matrix", "-o", "json", "../../examples/shop")
	code, byFlag, stderr := run(t, "", "netpol", "matrix", "-o", "json", "-f", "../../examples/shop")
	if code != 0 || byFlag != byPath || byPath == "" {
		t.Errorf("netpol matrix -f (exit %d, %s) differs from PATH", code, stderr)
	}
	if code, _, stderr := run(t, "", "netpol", "diff", "-f", "x", "../../examples/shop", "../../examples/hardened"); code != ExitError || !strings.Contains(stderr, "not -f") {
		t.Errorf("diff -f: exit %d, %s", code, stderr)
	}
	for _, cmd := range [][]string{{"scan"}, {"rbac", "risks"}, {"netpol", "matrix"}} {
		args := append(append([]string{}, cmd...), "--set", "x=1", "--release-name", "r", "-f", "../../deploy/helm/guardrail")
		if cmd[0] == "scan" {
			args = append(append([]string{}, cmd...), "--set", "x=1", "--release-name", "r", "../../deploy/helm/guardrail")
		}
		if code, _, stderr := run(t, "", args...); code == ExitError || strings.Contains(stderr, "unknown flag") {
			t.Errorf("%v: the chart flags are not taken: %s", cmd, stderr)
		}
	}
}
