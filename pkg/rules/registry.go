package rules

import (
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

var (
	registry   = map[string]*Rule{}
	sorted     []*Rule
	sortedOnce sync.Once
)

// idPattern is the form of a rule ID: lower-case kebab-case, 3 to 63 characters.
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// register adds r to the registry. A duplicate ID is a programmer error.
func register(r Rule) {
	if _, dup := registry[r.ID]; dup {
		panic(fmt.Sprintf("rules: duplicate rule ID %q", r.ID))
	}
	if r.SeverityByExposure {
		r.Rationale += ExposureNote(r.Severity)
	}
	registry[r.ID] = &r
}

// Validate checks every registered rule and returns all problems found.
func Validate() error {
	var errs []error
	for id, r := range registry {
		errs = append(errs, validateRule(id, r)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid rule registry: %v", errs)
}

func validateRule(id string, r *Rule) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("rule %s: "+format, append([]any{id}, args...)...))
	}
	if !idPattern.MatchString(id) || len(id) > 63 {
		bad("ID must be kebab-case, at most 63 characters")
	}
	if r.Title == "" {
		bad("missing title")
	}
	if !r.Severity.Valid() {
		bad("invalid severity %d", int(r.Severity))
	}
	if !r.Category.Valid() {
		bad("invalid category %q", r.Category)
	}
	if r.Rationale == "" {
		bad("missing rationale")
	}
	if r.Remediation == "" {
		bad("missing remediation")
	}
	if r.Example == "" {
		bad("missing example fix (shown by `guardrail rules explain`)")
	}
	if r.Check == nil {
		bad("missing check function")
	}
	switch r.Scope {
	case ScopeWorkload, ScopeNamespace, ScopeAny:
	case ScopeObject:
		if len(r.Kinds) == 0 {
			bad("object scope without kinds")
		}
	default:
		bad("invalid scope %d", r.Scope)
	}
	for _, s := range r.Subsumes {
		if _, ok := registry[s]; !ok || s == id {
			bad("subsumes unknown rule %q", s)
		}
		if sr := registry[s]; sr != nil && contains(sr.Subsumes, id) {
			bad("subsumes %q, which subsumes it back", s)
		}
	}
	for _, ref := range r.References {
		if ref.ID == "" {
			bad("reference without ID")
		}
	}
	return errs
}

// All returns every registered rule, sorted by ID. It panics if the registry
// is invalid: that is a programmer error caught by the registry test.
func All() []*Rule {
	sortedOnce.Do(func() {
		if err := Validate(); err != nil {
			panic(err)
		}
		for _, r := range registry {
			sorted = append(sorted, r)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	})
	return sorted
}

// Get returns the rule with the given ID.
func Get(id string) (*Rule, bool) {
	r, ok := registry[id]
	return r, ok
}

// Infos returns the metadata of rules.
func Infos(rs []*Rule) []api.RuleInfo {
	out := make([]api.RuleInfo, len(rs))
	for i, r := range rs {
		out[i] = r.RuleInfo
	}
	return out
}
