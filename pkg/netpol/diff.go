package netpol

import (
	"sort"
	"strings"
)

// Change is a connection whose verdict a change moved.
type Change struct {
	Edge
	// Before is the old verdict (Edge.Verdict is the new one); a
	// connection absent from a model is denied there.
	Before Verdict `json:"before"`
	// Because says why the new model answers as it does: for each
	// direction the rules that allow it, or that no policy isolates it.
	Because string `json:"because,omitempty"`
}

// DiffReport is what a change opens and closes: the JSON of `netpol diff`.
type DiffReport struct {
	SchemaVersion string   `json:"schemaVersion"`
	Peers         []string `json:"peers"`
	// Added are connections the change opens: denied before and allowed or
	// CNI-dependent after, or dependent before and allowed after.
	Added []Change `json:"added"`
	// Removed are connections the change closes, the other way round.
	Removed []Change `json:"removed"`
	// Ignored counts the changes left out by DiffOptions.IgnorePeers.
	Ignored int `json:"ignored,omitempty"`
}

// DiffOptions choose what Diff reports.
type DiffOptions struct {
	IncludeSelf bool
	// IgnorePeers are patterns ("*" matches anything) of workload IDs or peer
	// names: a change from or to a match is not reported.
	IgnorePeers []string
}

// globMatch matches s against a pattern whose only wildcard is "*", which
// matches any run of characters, "/" included (path.Match's "*" stops at
// "/", which workload IDs and CIDRs contain).
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// Diff compares the connections of two models, peers included (both
// should have the same peers): every connection whose verdict differs.
// Peer destinations are asked about on ports partitioned by both models'
// rules, so their answers line up.
func Diff(before, after *Model, o DiffOptions) DiffReport {
	before.usePeerPortsOf(before, after)
	after.usePeerPortsOf(before, after)
	eo := EdgeOptions{IncludeSelf: o.IncludeSelf, IncludeDenied: true}
	oldEdges := before.Edges(eo)
	old := make(map[edgeKey]Verdict, len(oldEdges))
	for _, e := range oldEdges {
		old[e.key()] = e.Verdict
	}
	r := DiffReport{SchemaVersion: SchemaVersion, Peers: []string{}, Added: []Change{}, Removed: []Change{}}
	for _, p := range after.peers {
		r.Peers = append(r.Peers, p.Name)
	}
	ignored := func(id string) bool {
		for _, pat := range o.IgnorePeers {
			if globMatch(pat, id) {
				return true
			}
		}
		return false
	}
	seen := map[edgeKey]bool{}
	for _, e := range after.Edges(eo) {
		k := e.key()
		seen[k] = true
		was, ok := old[k]
		if !ok {
			was = Deny
		}
		if was == e.Verdict {
			continue
		}
		if ignored(e.From) || ignored(e.To) {
			r.Ignored++
			continue
		}
		c := Change{Edge: e, Before: was}
		if e.Verdict < was {
			c.Because = after.Because(e)
			r.Added = append(r.Added, c)
		} else {
			r.Removed = append(r.Removed, c)
		}
	}
	for _, e := range oldEdges { // the matrix once: denied rows are not openings to close
		if e.Verdict == Deny || seen[e.key()] {
			continue
		}
		if ignored(e.From) || ignored(e.To) {
			r.Ignored++
			continue
		}
		// The workload or peer is gone, so the connection is.
		c := Change{Edge: e, Before: e.Verdict}
		c.Verdict = Deny
		r.Removed = append(r.Removed, c)
	}
	sort.Slice(r.Added, func(i, j int) bool { return lessEdge(r.Added[i].Edge, r.Added[j].Edge) })
	sort.Slice(r.Removed, func(i, j int) bool { return lessEdge(r.Removed[i].Edge, r.Removed[j].Edge) })
	return r
}

// Because says why the model answers as it does for an edge: per
// direction, the rules that allow it, or that no policy isolates the side.
func (m *Model) Because(e Edge) string {
	src, dst := m.lookup(e.From), m.lookup(e.To)
	if src == nil || dst == nil {
		return ""
	}
	x := m.Check(Connection{Src: src, Dst: dst, Port: e.Port, Protocol: e.Protocol})
	side := func(name string, s Side) string {
		if !s.Isolated {
			return name + ": no policy isolates it"
		}
		return name + ": allowed by " + strings.Join(s.Because, ", ")
	}
	parts := []string{}
	if src.Peer == nil {
		parts = append(parts, side("egress", x.Egress))
	}
	if dst.Peer == nil {
		parts = append(parts, side("ingress", x.Ingress))
	}
	out := "because " + strings.Join(parts, "; ")
	for _, n := range x.Notes {
		out += "; " + n
	}
	return out
}

// lookup finds a workload or one of the model's peers by ID.
func (m *Model) lookup(id string) *Pod {
	if p := m.Pod(id); p != nil {
		return p
	}
	for _, p := range m.peers {
		if p.Name == id {
			return p
		}
	}
	return nil
}
