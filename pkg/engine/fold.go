package engine

import (
	"sort"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// One fact, one finding. Rules overlap by design (hostpath-sensitive says
// why a hostPath is dangerous, pss-host-path-volumes that it exists), so a
// rule declares the rules it subsumes and the engine keeps the subsuming
// finding, naming the other rule in Related. Folding is by object and by
// what a finding covers (its containers or volumes): a subsumed finding
// about container "b" is not hidden by a subsuming one about container "a".

// subsumption indexes the Subsumes declarations among the active rules:
// which active rules subsume each rule, and a rank in which every subsumer
// comes before the rules it subsumes (the registry rejects cycles of two;
// longer ones are cut by the rank's depth limit).
func subsumption(active []*rules.Rule) (map[string][]string, map[string]int) {
	on := map[string]bool{}
	for _, r := range active {
		on[r.ID] = true
	}
	by := map[string][]string{}
	for _, r := range active {
		for _, s := range r.Subsumes {
			if on[s] {
				by[s] = append(by[s], r.ID)
			}
		}
	}
	rank := map[string]int{}
	var depth func(id string, n int) int
	depth = func(id string, n int) int {
		if d, ok := rank[id]; ok || n > len(active) {
			return d
		}
		d := 0
		for _, sup := range by[id] {
			d = max(d, depth(sup, n+1)+1)
		}
		rank[id] = d
		return d
	}
	for id := range by {
		depth(id, 0)
	}
	return by, rank
}

// fold marks the findings a subsuming finding on the same object covers.
// Suppressed findings neither fold nor are folded: an exception names one
// rule, and the other rule's finding then stands on its own.
func (e *Engine) fold(ps []pending) {
	if len(e.subsumedBy) == 0 {
		return
	}
	var byObj map[*inventory.Object][]int
	for i := range ps {
		if ps[i].f.Suppressed != nil || len(e.subsumedBy[ps[i].f.RuleID]) == 0 {
			continue
		}
		if byObj == nil {
			byObj = map[*inventory.Object][]int{}
		}
		byObj[ps[i].obj] = nil
	}
	if byObj == nil {
		return
	}
	for i := range ps {
		if _, ok := byObj[ps[i].obj]; ok && ps[i].f.Suppressed == nil {
			byObj[ps[i].obj] = append(byObj[ps[i].obj], i)
		}
	}
	for _, idx := range byObj {
		sort.SliceStable(idx, func(a, b int) bool { return e.foldRank[ps[idx[a]].f.RuleID] < e.foldRank[ps[idx[b]].f.RuleID] })
		for _, si := range idx {
			s := &ps[si]
			sups := e.subsumedBy[s.f.RuleID]
			if len(sups) == 0 {
				continue
			}
			var into *pending
			covered := map[string]bool{}
			whole := false
			for _, ri := range idx {
				r := &ps[ri]
				if ri == si || r.folded || !contains(sups, r.f.RuleID) {
					continue
				}
				if len(r.covers) == 0 {
					whole = true
				}
				for _, c := range r.covers {
					covered[c] = true
				}
				// The finding shown names the rule it folds: the most
				// severe subsumer about the same container or volume.
				if (len(r.covers) == 0 || overlaps(r.covers, s.covers)) && (into == nil || r.f.Severity > into.f.Severity) {
					into = r
				}
			}
			if into == nil || !(whole || coveredAll(s.covers, covered)) {
				continue
			}
			s.folded = true
			addRelated(&into.f.Related, s.f.RuleID)
			for _, id := range s.f.Related {
				addRelated(&into.f.Related, id)
			}
		}
	}
}

// coveredAll reports whether every name of want is in have; a finding about
// the whole object (no names) is covered only by one about the whole object.
func coveredAll(want []string, have map[string]bool) bool {
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func addRelated(list *[]string, id string) {
	if !contains(*list, id) {
		*list = append(*list, id)
		sort.Strings(*list)
	}
}
