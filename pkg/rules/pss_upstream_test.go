package rules_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestPSSAgreesWithUpstreamFixtures scans every pod of the Pod Security test
// data shipped in the k8s.io/pod-security-admission module (every level and
// version, pass and fail) and requires Guardrail's PSS rules to agree with
// the official evaluator and with the fixture's expectation: a pass pod gets
// no PSS finding, a fail pod gets one from the check the fixture is named after.
func TestPSSAgreesWithUpstreamFixtures(t *testing.T) {
	root, files := upstreamFixtures(t)
	official, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkOf := map[string]string{} // rule ID -> lower-case upstream check ID
	for id, rid := range rules.PSSRuleIDs() {
		checkOf[rid] = strings.ToLower(string(id))
	}
	// At restricted, a baseline check that a restricted check overrides is
	// reported by the overriding check (hostPathVolumes by restrictedVolumes).
	overriddenBy := map[string][]string{}
	for _, c := range policy.DefaultChecks() {
		for _, v := range c.Versions {
			for _, o := range v.OverrideCheckIDs {
				overriddenBy[strings.ToLower(string(o))] = append(overriddenBy[strings.ToLower(string(o))], strings.ToLower(string(c.ID)))
			}
		}
	}
	engines := map[string]*engine.Engine{}
	name := regexp.MustCompile(`^(.*?)\d+\.yaml$`)
	var n, passN, failN int
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		parts := strings.Split(rel, string(filepath.Separator)) // level/version/pass|fail/file
		level, version, expect := parts[0], parts[1], parts[2]
		key := level + "/" + version
		e := engines[key]
		if e == nil {
			v, err := psaapi.ParseVersion(version)
			if err != nil {
				t.Fatal(err)
			}
			rs, prof, err := rules.Select("pss-"+level, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := rules.DefaultSettings()
			s.PSSVersion, s.PSSLevel = v, prof.PSSLevel
			e = engine.New(engine.WithRules(rs), engine.WithSettings(s), engine.WithAnnotationExceptions(false))
			engines[key] = e
		}
		res := manifest.NewLoader().Load([]string{f})
		if res.Errors() > 0 || len(res.Objects) != 1 {
			t.Errorf("%s: %v", rel, res.Problems)
			continue
		}
		findings := e.Scan(inventory.New(res.Objects)).Findings
		pod := res.Objects[0].Obj.(*corev1.Pod)
		v, _ := psaapi.ParseVersion(version)
		agg := policy.AggregateCheckResults(official.EvaluatePod(psaapi.LevelVersion{Level: psaapi.Level(level), Version: v}, &pod.ObjectMeta, &pod.Spec))
		n++
		if agg.Allowed != (len(findings) == 0) {
			t.Errorf("%s: official allowed=%v, guardrail findings=%v", rel, agg.Allowed, findings)
		}
		switch expect {
		case "pass":
			passN++
			if len(findings) > 0 {
				t.Errorf("%s: pass fixture has findings %v", rel, findings)
			}
		case "fail":
			failN++
			want := name.FindStringSubmatch(parts[3])[1]
			found := false
			for _, fd := range findings {
				got := checkOf[fd.RuleID]
				if got == want {
					found = true
				}
				if level == "restricted" {
					for _, o := range overriddenBy[want] {
						found = found || got == o
					}
				}
			}
			if !found {
				t.Errorf("%s: no finding from check %s: %v", rel, want, findings)
			}
		}
	}
	t.Logf("%d upstream fixtures agree (%d pass, %d fail)", n, passN, failN)
}

// upstreamFixtures returns the Pod Security test data directory of the
// k8s.io/pod-security-admission module and its fixture files
// (level/version/pass|fail/NAME.yaml).
func upstreamFixtures(t *testing.T) (root string, files []string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locate k8s.io/pod-security-admission: %v", err)
	}
	root = filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	files, _ = filepath.Glob(filepath.Join(root, "*", "*", "*", "*.yaml"))
	if len(files) < 1000 {
		t.Fatalf("only %d upstream fixtures under %s", len(files), root)
	}
	return root, files
}
