package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	psaapi "k8s.io/pod-security-admission/api"
)

// Profile is a named selection of rules.
type Profile struct {
	// Name is what users pass to --profile.
	Name string
	// Description says what the profile is for.
	Description string
	// PSSLevel is the Pod Security level the profile evaluates.
	PSSLevel psaapi.Level
	// Floor is the lowest severity of the profile's Pod Security rules:
	// a profile named for a level gates every check of that level at the
	// default gate, so choosing it never enforces less than its name says.
	Floor    api.Severity
	includes func(*Rule) bool
}

// Profiles lists the built-in profiles; zero-trust is the default.
var Profiles = []Profile{
	{Name: "pss-baseline", Description: "the Pod Security Standards baseline level only", PSSLevel: psaapi.LevelBaseline,
		includes: func(r *Rule) bool { return r.PSSLevel == psaapi.LevelBaseline }},
	{Name: "pss-restricted", Description: "the Pod Security Standards restricted level (baseline included), every check at high or above", PSSLevel: psaapi.LevelRestricted,
		Floor: api.SeverityHigh, includes: func(r *Rule) bool { return r.PSSLevel != "" }},
	{Name: "zero-trust", Description: "every security rule (the default)", PSSLevel: psaapi.LevelRestricted,
		includes: func(r *Rule) bool { return r.Category.Security() }},
	{Name: "all", Description: "every rule, reliability included", PSSLevel: psaapi.LevelRestricted,
		includes: func(r *Rule) bool { return true }},
}

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "zero-trust"

// LookupProfile returns the named profile.
func LookupProfile(name string) (Profile, error) {
	var names []string
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Profile{}, fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(names, ", "))
}

// Rules returns the profile's rules, sorted by ID.
func (p Profile) Rules() []*Rule {
	var out []*Rule
	for _, r := range All() {
		if p.includes(r) {
			out = append(out, r)
		}
	}
	return out
}

// Select returns the rules of profile, plus the enabled and minus the
// disabled ones. Entries may be IDs or globs ("rbac-*"); an entry that
// names no rule is an error, never a silent pass.
func Select(profile string, enable, disable []string) ([]*Rule, Profile, error) {
	p, err := LookupProfile(profile)
	if err != nil {
		return nil, p, err
	}
	set := map[string]*Rule{}
	for _, r := range p.Rules() {
		set[r.ID] = r
	}
	en, err := Match(enable)
	if err != nil {
		return nil, p, err
	}
	for _, r := range en {
		set[r.ID] = r
	}
	dis, err := Match(disable)
	if err != nil {
		return nil, p, err
	}
	for _, r := range dis {
		delete(set, r.ID)
	}
	out := make([]*Rule, 0, len(set))
	for _, r := range set {
		if p.Floor > r.Floor && r.PSSLevel != "" {
			c := *r
			c.Floor = p.Floor
			c.Severity = max(c.Severity, p.Floor)
			r = &c
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, p, nil
}

// Match resolves IDs and globs to rules. Every pattern must match at least
// one rule; an unknown ID gets a "did you mean" suggestion.
func Match(patterns []string) ([]*Rule, error) {
	var out []*Rule
	for _, pat := range patterns {
		pat = strings.TrimSpace(pat)
		if pat == "" {
			continue
		}
		n := 0
		for _, r := range All() {
			if ok, err := path.Match(pat, r.ID); err != nil {
				return nil, fmt.Errorf("bad rule pattern %q: %w", pat, err)
			} else if ok {
				out = append(out, r)
				n++
			}
		}
		if n == 0 {
			return nil, UnknownRuleError(pat)
		}
	}
	return out, nil
}

// UnknownRuleError describes a rule ID that does not exist, suggesting the
// nearest one.
func UnknownRuleError(id string) error {
	best, bestD := "", 1<<30
	for _, r := range All() {
		if d := distance(id, r.ID); d < bestD {
			best, bestD = r.ID, d
		}
	}
	if best != "" && bestD <= len(id)/2+1 {
		return fmt.Errorf("unknown rule %q (did you mean %q? `guardrail rules` lists them)", id, best)
	}
	return fmt.Errorf("unknown rule %q (`guardrail rules` lists them)", id)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
