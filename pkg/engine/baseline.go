package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// BaselineVersion is the format version of baseline files.
const BaselineVersion = 1

// Baseline is the set of findings accepted at some point; a scan with a
// baseline reports and gates only findings that are new since.
type Baseline struct {
	// Version is BaselineVersion.
	Version int `json:"version"`
	// Findings are the accepted findings. Only Fingerprint matters for
	// matching; the rest makes the file reviewable.
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"ruleID"`
	Object      string `json:"object"`
	Container   string `json:"container,omitempty"`
	Message     string `json:"message"`
}

// NewBaseline records findings, sorted so the file diffs well.
func NewBaseline(fs []api.Finding) *Baseline {
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	for _, f := range fs {
		b.Findings = append(b.Findings, BaselineEntry{Fingerprint: f.Fingerprint, RuleID: f.RuleID,
			Object: f.Object.String(), Container: f.Container, Message: f.Message})
	}
	sort.Slice(b.Findings, func(i, j int) bool {
		x, y := b.Findings[i], b.Findings[j]
		if x.Object != y.Object {
			return x.Object < y.Object
		}
		if x.RuleID != y.RuleID {
			return x.RuleID < y.RuleID
		}
		return x.Fingerprint < y.Fingerprint
	})
	return b
}

// ReadBaseline decodes a baseline file.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("baseline: %w (write one with --write-baseline)", err)
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline: version %d is not supported (want %d)", b.Version, BaselineVersion)
	}
	return &b, nil
}

// Write encodes the baseline as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// counts returns how many times each fingerprint was accepted: identical
// objects may legitimately appear more than once.
func (b *Baseline) counts() map[string]int {
	m := make(map[string]int, len(b.Findings))
	for _, f := range b.Findings {
		m[f.Fingerprint]++
	}
	return m
}

// SetBaseline replaces the engine's baseline (nil for none): the
// continuous watch re-reads an approved baseline from a ConfigMap.
func (e *Engine) SetBaseline(b *Baseline) { e.baseline = b }
