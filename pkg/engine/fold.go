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
	type ruleCover struct{ rule, cover string }
	var rank []int // per object, looked up once rather than in each comparison
	// The indexes are cleared for each object, not made again: a pass of
	// the continuous watch folds every object's findings, and three maps
	// per object were a tenth of its garbage.
	pos := map[int]int{}
	whole := map[string][]int{}
	byCover := map[ruleCover][]int{}
	for _, idx := range byObj {
		if len(idx) < 2 {
			continue // nothing to fold into
		}
		rank = rank[:0]
		for _, i := range idx {
			rank = append(rank, e.foldRank[ps[i].f.RuleID])
		}
		sort.Stable(byRank{idx, rank})
		// Index the object's findings by rule and container or volume, so
		// that a pod with thousands of containers folds in linear time.
		clear(pos)
		clear(whole)
		clear(byCover)
		for p, i := range idx {
			pos[i] = p
			if len(ps[i].covers) == 0 {
				whole[ps[i].f.RuleID] = append(whole[ps[i].f.RuleID], i)
			}
			for _, c := range ps[i].covers {
				k := ruleCover{ps[i].f.RuleID, c}
				byCover[k] = append(byCover[k], i)
			}
		}
		for _, si := range idx {
			s := &ps[si]
			sups := e.subsumedBy[s.f.RuleID]
			if len(sups) == 0 {
				continue
			}
			// The finding shown names the rule it folds: the most severe
			// subsumer about the same container or volume, the first of
			// equals.
			into := -1
			consider := func(ri int) bool {
				if ri == si || ps[ri].folded {
					return false
				}
				if into < 0 || ps[ri].f.Severity > ps[into].f.Severity || (ps[ri].f.Severity == ps[into].f.Severity && pos[ri] < pos[into]) {
					into = ri
				}
				return true
			}
			isWhole := false
			for _, sup := range sups {
				for _, ri := range whole[sup] {
					if consider(ri) {
						isWhole = true
					}
				}
			}
			all := len(s.covers) > 0
			for _, c := range s.covers {
				found := false
				for _, sup := range sups {
					for _, ri := range byCover[ruleCover{sup, c}] {
						if consider(ri) {
							found = true
						}
					}
				}
				all = all && found
			}
			if into < 0 || !(isWhole || all) {
				continue
			}
			s.folded = true
			// Folding never lowers what gates: the finding shown takes the
			// folded one's severity when that is higher (a read-only
			// hostPath the hostpath rule grades medium is still a Pod
			// Security baseline violation, high).
			f := ps[into].own()
			if s.f.Severity > f.Severity {
				f.Severity = s.f.Severity
			}
			addRelated(&f.Related, s.f.RuleID)
			for _, id := range s.f.Related {
				addRelated(&f.Related, id)
			}
		}
	}
}

func addRelated(list *[]string, id string) {
	if !contains(*list, id) {
		*list = append(*list, id)
		sort.Strings(*list)
	}
}

// byRank sorts an object's finding indexes by their rules' fold rank.
type byRank struct{ idx, rank []int }

func (b byRank) Len() int           { return len(b.idx) }
func (b byRank) Less(i, j int) bool { return b.rank[i] < b.rank[j] }
func (b byRank) Swap(i, j int) {
	b.idx[i], b.idx[j] = b.idx[j], b.idx[i]
	b.rank[i], b.rank[j] = b.rank[j], b.rank[i]
}
