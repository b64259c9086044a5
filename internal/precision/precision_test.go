package precision

import (
	"fmt"
	"github.com/guardrail-k8s/guardrail/internal/upstream"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"sigs.k8s.io/yaml"
)

// corpusModule ships the corpus: its addons and e2e test manifests.
const corpusModule = "k8s.io/kubernetes@v1.37.2"

var corpusDirs = []string{"cluster/addons", "test/e2e/testing-manifests"}

type label struct {
	File      string       `json:"file"`
	Object    string       `json:"object"`
	Rule      string       `json:"rule"`
	Field     string       `json:"field"`
	Container string       `json:"container"`
	Severity  api.Severity `json:"severity"`
	Label     string       `json:"label"`
	Reason    string       `json:"reason"`
}

func (l label) key() string {
	return strings.Join([]string{l.File, l.Object, l.Rule, l.Field, l.Container}, "|")
}

// moduleDir downloads (or finds in the module cache) the corpus module.
func moduleDir(t *testing.T) string { return upstream.Module(t, corpusModule) }

// TestPrecisionCorpus scans the corpus with the default profile and checks
// it against the labels: no false or noise finding at or above its
// labelled severity, no unlabelled finding at or above high nor in the
// sample of medium ones, and it logs precision per rule (true / labelled
// findings still reported).
func TestPrecisionCorpus(t *testing.T) {
	dir := moduleDir(t)
	var paths []string
	for _, d := range corpusDirs {
		paths = append(paths, filepath.Join(dir, d))
	}
	// The corpus gives some 360 medium findings, most of them the
	// restricted checks repeated on each e2e test pod; one in eight,
	// picked by a hash of its key, is labelled, so medium precision is a
	// measured estimate that does not depend on the order of the input.
	judge(t, "testdata/labels.yaml", corpusModule, dir, paths, band{min: api.SeverityMedium, sample: 8})
}

// band says which findings below high are labelled: those at or above min,
// every one (sample 1) or one in sample by the hash of its key.
type band struct {
	min    api.Severity
	sample uint32
}

func (b band) judged(f api.Finding, key string) bool {
	switch {
	case f.Severity >= api.SeverityHigh:
		return true
	case f.Severity < b.min:
		return false
	case b.sample <= 1:
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()%b.sample == 0
}

// judge scans paths with the default profile and checks the findings the
// band selects against the labels in labelsFile, files named relative to
// dir. PRECISION_DUMP=1 prints the unlabelled ones as label stubs.
func judge(t *testing.T, labelsFile, corpus, dir string, paths []string, b band) {
	t.Helper()
	data, err := os.ReadFile(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Labels []label }
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	labels := map[string]label{}
	for _, l := range doc.Labels {
		if l.Label != "true" && l.Label != "false" && l.Label != "noise" || l.Reason == "" {
			t.Fatalf("bad label %+v: label must be true, false or noise, with a reason", l)
		}
		labels[l.key()] = l
	}
	loaded := manifest.NewLoader().Load(paths)
	res := engine.New().Scan(inventory.New(loaded.Objects))

	type tally struct{ tp, fp, noise, unlabelled int }
	perRule := map[string]*tally{}
	for _, f := range res.Findings {
		file, _ := f.Location.SourceFile()
		lf := label{File: strings.TrimPrefix(file, dir+"/"), Object: f.Object.String(), Rule: f.RuleID,
			Field: f.Field, Container: f.Container}
		k := lf.key()
		if !b.judged(f, k) {
			continue
		}
		band := "high+"
		if f.Severity < api.SeverityHigh {
			band = f.Severity.String()
		}
		tl := perRule[f.RuleID+" "+band]
		if tl == nil {
			tl = &tally{}
			perRule[f.RuleID+" "+band] = tl
		}
		l, ok := labels[k]
		switch {
		case !ok:
			tl.unlabelled++
			t.Errorf("unlabelled %s finding: %s %s %s (%s): review it and add it to %s", f.Severity, f.RuleID, f.Object, f.Field, f.Message, labelsFile)
			if os.Getenv("PRECISION_DUMP") != "" {
				lf.Severity, lf.Reason = f.Severity, f.Message
				out, _ := yaml.Marshal([]label{lf})
				fmt.Print(string(out))
			}
		case l.Label == "true":
			tl.tp++
		case f.Severity >= l.Severity:
			if l.Label == "false" {
				tl.fp++
			} else {
				tl.noise++
			}
			t.Errorf("labelled %s finding came back: %s %s %s (%s): %s", l.Label, f.RuleID, f.Object, f.Field, f.Message, l.Reason)
		}
	}
	var ids []string
	for id := range perRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rows []string
	for _, id := range ids {
		tl := perRule[id]
		all := tl.tp + tl.fp + tl.noise + tl.unlabelled
		rows = append(rows, fmt.Sprintf("%-44s %3d/%3d = %.2f", id, tl.tp, all, float64(tl.tp)/float64(all)))
	}
	t.Logf("precision by rule and severity on %s (%d objects, %d labels):\n%s", corpus, len(loaded.Objects), len(labels), strings.Join(rows, "\n"))
}
