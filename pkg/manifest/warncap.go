package manifest

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// MaxRepeatedWarnings is how many warnings with the same message a load
// keeps; the rest are counted on the last one kept. Two million tiny
// documents that are not Kubernetes objects gave two million lines.
const MaxRepeatedWarnings = 20

// pos orders problems as the input does: file, document, then the order
// the decoder gave them in.
type pos struct{ file, doc, i int }

func (a pos) less(b pos) bool {
	if a.file != b.file {
		return a.file < b.file
	}
	if a.doc != b.doc {
		return a.doc < b.doc
	}
	return a.i < b.i
}

type placed struct {
	at pos
	p  *api.Problem
}

// latest is a max-heap by position: its top is the kept warning that the
// next earlier one displaces.
type latest []placed

func (h latest) Len() int           { return len(h) }
func (h latest) Less(i, j int) bool { return h[j].at.less(h[i].at) }
func (h latest) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *latest) Push(x any)        { *h = append(*h, x.(placed)) }
func (h *latest) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// warningCap keeps, as results stream in from the decoders in any order,
// the first MaxRepeatedWarnings warnings of each message by input
// position and counts the rest, so that millions of repeated warnings
// never sit in memory at once: the cap is applied while loading, not
// after. Which warnings are kept does not depend on the decoders' timing.
type warningCap struct {
	kept    map[warningKey]*latest
	dropped map[warningKey]int
}

func newWarningCap() *warningCap {
	return &warningCap{kept: map[warningKey]*latest{}, dropped: map[warningKey]int{}}
}

// add takes a result's warnings; it returns its errors, which are all kept.
// warningKey is what makes two warnings alike.
type warningKey struct{ message, hint string }

func (c *warningCap) add(file, doc int, ps []*api.Problem) []placed {
	var errs []placed
	for i, p := range ps {
		at := pos{file, doc, i}
		if !p.Warning {
			errs = append(errs, placed{at, p})
			continue
		}
		k := warningKey{p.Message, p.Hint} // not a concatenation: a million warnings made 118 MB of keys
		h := c.kept[k]
		if h == nil {
			h = &latest{}
			c.kept[k] = h
		}
		switch {
		case h.Len() < MaxRepeatedWarnings:
			heap.Push(h, placed{at, p})
		case at.less((*h)[0].at):
			(*h)[0] = placed{at, p} // the latest kept is displaced
			heap.Fix(h, 0)
			c.dropped[k]++
		default:
			c.dropped[k]++
		}
	}
	return errs
}

// problems returns errs and the kept warnings in input order, the last
// kept warning of each message counting the ones left out.
func (c *warningCap) problems(errs []placed) []*api.Problem {
	all := errs
	for k, h := range c.kept {
		var last *placed
		for i := range *h {
			w := &(*h)[i]
			if last == nil || last.at.less(w.at) {
				last = w
			}
			all = append(all, *w)
		}
		if n := c.dropped[k]; n > 0 && last != nil {
			last.p.More = n
			last.p.Hint = strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf("%s; and %d more like this", last.p.Hint, n)), "; ")
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.less(all[j].at) })
	out := make([]*api.Problem, len(all))
	for i, x := range all {
		out[i] = x.p
	}
	return out
}
