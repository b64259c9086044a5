package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// fixtureNow is the clock of every fixture scan, so expiry-sensitive rules
// give the same answer on every day.
var fixtureNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// expectLine is "# expect: LINE: MESSAGE" in a fail fixture: a finding of the
// fixture's rule with exactly this message must point at LINE.
// "# expect: LINE SEVERITY: MESSAGE" also pins the finding's severity,
// for rules that grade their findings (read-only mounts, entropy-only
// evidence, exposure).
var expectLine = regexp.MustCompile(`(?m)^# expect: (\d+)(?: (critical|high|medium|low|info))?: (.*)$`)

func scanFixture(t *testing.T, path string, r *rules.Rule) []api.Finding {
	t.Helper()
	res := manifest.NewLoader().Load([]string{path})
	if res.Errors() > 0 {
		t.Fatalf("%s: fixture does not load: %v", path, res.Problems)
	}
	settings := rules.DefaultSettings()
	settings.Now = fixtureNow
	// A baseline check is skipped at restricted when a restricted check
	// overrides it, so judge PSS rules at their own level.
	if r.PSSLevel != "" {
		settings.PSSLevel = r.PSSLevel
	}
	settings.Live = r.Input == rules.ClusterOnly
	e := engine.New(engine.WithRules([]*rules.Rule{r}), engine.WithSettings(settings), engine.WithAnnotationExceptions(false))
	return e.Scan(inventory.New(res.Objects)).Findings
}

// TestFixtures runs testdata/<rule-id>/{pass,fail}-N.yaml for every rule: a
// fail fixture must produce at least one finding of its rule (and exactly
// the "# expect:" ones when it lists them), a pass fixture none.
func TestFixtures(t *testing.T) {
	for _, r := range rules.All() {
		r := r
		t.Run(r.ID, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.yaml"))
			var pass, fail int
			for _, f := range files {
				base := filepath.Base(f)
				findings := scanFixture(t, f, r)
				switch {
				case strings.HasPrefix(base, "pass-"):
					pass++
					for _, fd := range findings {
						t.Errorf("%s: unexpected finding %s:%d %s", base, fd.Object, fd.Location.Line, fd.Message)
					}
				case strings.HasPrefix(base, "fail-"):
					fail++
					if len(findings) == 0 {
						t.Errorf("%s: no finding", base)
					}
					checkExpectations(t, f, findings)
				default:
					t.Errorf("%s: fixture name must start with pass- or fail-", base)
				}
			}
			if pass == 0 || fail == 0 {
				t.Errorf("rule %s needs at least one pass and one fail fixture in testdata/%s (has %d pass, %d fail)", r.ID, r.ID, pass, fail)
			}
		})
	}
}

func checkExpectations(t *testing.T, path string, findings []api.Finding) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exp := expectLine.FindAllStringSubmatch(string(data), -1)
	if len(exp) == 0 {
		return
	}
	var want, got []string
	sevs := map[string]string{} // "line: message" -> pinned severity
	for _, e := range exp {
		l, _ := strconv.Atoi(e[1])
		k := fmt.Sprintf("%d: %s", l, e[3])
		want = append(want, k)
		if e[2] != "" {
			sevs[k] = e[2]
		}
	}
	for _, f := range findings {
		k := fmt.Sprintf("%d: %s", f.Location.Line, f.Message)
		got = append(got, k)
		if s, ok := sevs[k]; ok && s != f.Severity.String() {
			t.Errorf("%s: %s: severity %s, want %s", filepath.Base(path), k, f.Severity, s)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("%s: findings differ\n got:\n  %s\nwant:\n  %s", filepath.Base(path), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestFixtureDirectoriesNameRules fails on a fixture directory that names
// no rule, such as one left behind by a renamed rule.
func TestFixtureDirectoriesNameRules(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "pss-upstream" {
			continue
		}
		if _, ok := rules.Get(d.Name()); !ok {
			t.Errorf("testdata/%s names no rule", d.Name())
		}
	}
}

func TestRegistryValid(t *testing.T) {
	if err := rules.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(rules.All()) < 50 {
		t.Errorf("only %d rules registered", len(rules.All()))
	}
}
