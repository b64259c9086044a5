package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/rules.md")

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	streams := IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code = Execute(args, streams)
	return code, out.String(), errb.String()
}

const examples = "../../examples"

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"hardened passes", []string{"scan", examples + "/hardened"}, ExitOK, ""},
		{"findings fail the gate", []string{"scan", examples + "/shop"}, ExitFindings, ""},
		{"threshold above findings", []string{"scan", "--fail-on", "none", examples + "/shop"}, ExitOK, ""},
		{"no paths", []string{"scan"}, ExitError, "give files"},
		{"misspelt rule", []string{"scan", "--disable", "pss-privileged-x", examples + "/hardened"}, ExitError, `unknown rule "pss-privileged-x"`},
		{"misspelt profile", []string{"scan", "--profile", "zerotrust", examples + "/hardened"}, ExitError, `unknown profile "zerotrust"`},
		{"bad severity", []string{"scan", "--fail-on", "severe", examples + "/hardened"}, ExitError, "unknown severity"},
		{"bad format", []string{"scan", "-o", "xml", examples + "/hardened"}, ExitError, `unknown output format "xml"`},
		{"missing file", []string{"scan", examples + "/hardened", "nope.yaml"}, ExitError, "1 input errors"},
		{"missing config", []string{"scan", "--config", "nope.yaml", examples + "/hardened"}, ExitError, "nope.yaml"},
		{"explain unknown", []string{"rules", "explain", "pss-privilegd"}, ExitError, `did you mean "pss-privileged"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.err) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, stderr, c.err)
			}
		})
	}
}

func TestBadDocumentStillScansTheRest(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n---\nkind: [\n"
	code, out, stderr := run(t, in, "scan", "-o", "json", "-")
	if code != ExitError || !strings.Contains(stderr, "1 input errors") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(out, `"ruleID": "pss-privileged"`) || !strings.Contains(out, `"message": "invalid YAML`) || !strings.Contains(out, `"line": 6`) {
		t.Errorf("report lacks the finding or the problem:\n%s", out)
	}
}

func TestBaselineFlow(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.json")
	if code, _, stderr := run(t, "", "scan", "--write-baseline", base, examples+"/shop"); code != ExitOK {
		t.Fatalf("write baseline: exit %d %s", code, stderr)
	}
	code, out, _ := run(t, "", "scan", "--baseline", base, examples+"/shop")
	if code != ExitOK || !strings.Contains(out, "0 critical, 0 high, 0 medium, 0 low") {
		t.Fatalf("baselined scan: exit %d\n%s", code, out)
	}
	// A change adds a privileged pod: only it is reported.
	extra := filepath.Join(dir, "new.yaml")
	os.WriteFile(extra, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: shop}\nspec: {containers: [{name: c, image: x:1, securityContext: {privileged: true}}]}\n"), 0o644)
	code, out, _ = run(t, "", "scan", "--baseline", base, examples+"/shop", extra)
	if code != ExitFindings || !strings.Contains(out, "Pod/shop/new") || strings.Contains(out, "Deployment/shop/frontend") {
		t.Fatalf("new finding not isolated: exit %d\n%s", code, out)
	}
}

// TestGolden compares each output format on the examples with
// testdata/golden.<format>; run `go test ./internal/cli -update` to rewrite.
func TestGolden(t *testing.T) {
	for _, format := range []string{"table", "json", "yaml", "sarif", "junit", "markdown"} {
		t.Run(format, func(t *testing.T) {
			_, out, _ := run(t, "", "scan", "-o", format, "--show-suppressed", "--config", examples+"/.guardrail.yaml", examples+"/shop", examples+"/hardened")
			golden := filepath.Join("testdata", "golden."+format)
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -update)", err)
			}
			if out != string(want) {
				t.Errorf("%s output differs from %s (run go test ./internal/cli -update and review the diff):\n%s", format, golden, diff(string(want), out))
			}
		})
	}
}

// TestDocsUpToDate fails when docs/rules.md is not what the registry generates.
func TestDocsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := RulesMarkdown(&buf, rules.All()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
	}
	have, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(have, buf.Bytes()) {
		t.Fatalf("docs/rules.md is stale: run `go run ./cmd/guardrail rules -o markdown > docs/rules.md` (or go test ./internal/cli -update)")
	}
}

func TestRulesExplainAndList(t *testing.T) {
	code, out, _ := run(t, "", "rules", "explain", "hostpath-sensitive")
	if code != 0 || !strings.Contains(out, "Why it matters:") || !strings.Contains(out, "CIS 5.2.12") || !strings.Contains(out, "MITRE T1611") {
		t.Errorf("explain: %d\n%s", code, out)
	}
	_, out, _ = run(t, "", "rules", "--profile", "pss-baseline")
	if n := strings.Count(out, "\npss-"); n != 12 {
		t.Errorf("pss-baseline lists %d rules, want the 12 baseline checks:\n%s", n, out)
	}
}

func TestSecretsNeverPrintedInFull(t *testing.T) {
	secretsInExamples := []string{"9f8Kq2LmZx7Wv1Rt", "glpat-abcdefghij0123456789", "Pr0d-P4ssw0rd!", "correct-horse-battery-staple"}
	for _, format := range []string{"table", "json", "yaml", "sarif", "junit", "markdown"} {
		_, out, _ := run(t, "", "scan", "-o", format, "--show-suppressed", examples+"/shop")
		for _, s := range secretsInExamples {
			if strings.Contains(out, s) || strings.Contains(out, s[3:]) {
				t.Errorf("%s output reveals %q", format, s)
			}
		}
	}
}

func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return ""
}

// TestNothingToScan: an empty file, an empty directory or a directory
// without manifests is exit 2 with what was looked at, never a pass.
func TestNothingToScan(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o644)
	emptyDir := filepath.Join(dir, "none")
	os.Mkdir(emptyDir, 0o755)
	noYAML := filepath.Join(dir, "docs")
	os.Mkdir(noYAML, 0o755)
	os.WriteFile(filepath.Join(noYAML, "README.md"), []byte("# not a manifest\n"), 0o644)
	for _, p := range []string{empty, emptyDir, noYAML} {
		code, out, stderr := run(t, "", "scan", p)
		if code != ExitError || !strings.Contains(stderr, "nothing to scan") || !strings.Contains(stderr, p) {
			t.Errorf("scan %s: exit %d, stderr %q; want exit 2 naming the path", p, code, stderr)
		}
		if strings.Contains(out, "100/100") {
			t.Errorf("scan %s: scored 100 over nothing:\n%s", p, out)
		}
	}
	code, _, stderr := run(t, "", "scan", "-")
	if code != ExitError || !strings.Contains(stderr, "nothing to scan") {
		t.Errorf("scan of empty stdin: exit %d %s", code, stderr)
	}
}

// TestScoreOnTheExamples: the deliberately insecure example scores below
// 50 and the hardened one 100 (engine.ScoreOf documents the formula).
func TestScoreOnTheExamples(t *testing.T) {
	for _, c := range []struct {
		dir  string
		want func(int) bool
		what string
	}{
		{examples + "/shop", func(s int) bool { return s < 50 }, "below 50"},
		{examples + "/hardened", func(s int) bool { return s == 100 }, "100"},
	} {
		_, out, stderr := run(t, "", "scan", "--fail-on", "none", "-o", "json", c.dir)
		var doc struct{ Summary struct{ Score *int } }
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Summary.Score == nil {
			t.Fatalf("%s: no score: %v %s", c.dir, err, stderr)
		}
		if s := *doc.Summary.Score; !c.want(s) {
			t.Errorf("%s: score %d, want %s", c.dir, s, c.what)
		}
	}
}

// TestClusterFlagIsADeprecatedAliasOfLive: --cluster still reads the live
// cluster for one release, with the warning on stderr, never on stdout
// where it would corrupt -o json.
func TestClusterFlagIsADeprecatedAliasOfLive(t *testing.T) {
	code, out, errs := run(t, "", "scan", "--cluster", "--kubeconfig", "/nonexistent", "-o", "json")
	if code != ExitError || out != "" || !strings.Contains(errs, "--cluster is deprecated, use --live") || !strings.Contains(errs, "kubeconfig") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, _, errs := run(t, "", "scan", "--live", "--kubeconfig", "/nonexistent"); strings.Contains(errs, "deprecated") {
		t.Errorf("--live warns: %s", errs)
	}
}

// TestCompletionCompletesValues: shell completion offers the values of
// --profile, -o, --fail-on and --default-mode, and rule IDs for rules
// explain.
func TestCompletionCompletesValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "scan", "--profile", ""}, []string{"zero-trust", "pss-restricted"}},
		{[]string{"__complete", "scan", "-o", ""}, []string{"sarif", "junit"}},
		{[]string{"__complete", "scan", "--fail-on", ""}, []string{"critical", "none"}},
		{[]string{"__complete", "webhook", "--default-mode", ""}, []string{"enforce", "audit"}},
		{[]string{"__complete", "rules", "explain", "pss-pri"}, []string{"pss-privileged"}},
	} {
		_, out, _ := run(t, "", tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %q lacks %s", tc.args, out, w)
			}
		}
		if strings.Contains(tc.args[2], "explain") && strings.Contains(out, "apiserver-") {
			t.Errorf("rule IDs are not filtered by prefix: %s", out)
		}
	}
}
