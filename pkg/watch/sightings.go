package watch

import (
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// sighting is what the watcher remembers of one finding: the finding as
// the last pass published it (&t), with when and by which change it first
// appeared, and the last pass that saw it. One allocation per finding: a
// pass whose finding is the same publishes the same Tracked rather than a
// copy of every finding per state (a third of the live heap at 100,000
// findings), and a changed finding gets a new sighting, so a published
// Tracked is never modified (seen is not part of it).
type sighting struct {
	// t.Finding is nil for a sighting restored from a report: it has
	// the drift fields and no finding yet.
	t    Tracked
	seen uint64
}

// track gives a pass's findings their drift: a finding seen before keeps
// when and by which change it first appeared (and its Tracked, when it is
// the same); a new one is attributed to its object's generation and latest
// change; sightings no pass saw are forgotten (if one comes back, it is new
// again). Called with w.mu held.
func (w *Watcher) track(res *engine.SharedResult, start time.Time, index map[objectName]*inventory.Object) []*Tracked {
	w.tracked++
	mark := w.tracked
	one := func(f *api.Finding) *Tracked {
		sg := w.sightings[f.Fingerprint]
		if sg == nil {
			sg = &sighting{t: Tracked{FirstSeen: start}}
			if o := index[objectName{f.Object.Kind, f.Object.Namespace, f.Object.Name}]; o != nil {
				sg.t.Generation = o.Meta.GetGeneration()
				c := w.managers.get(string(o.Meta.GetUID()))
				sg.t.Manager, sg.t.ChangedAt = c.manager, c.at
			}
			w.sightings[f.Fingerprint] = sg
		}
		if sg.t.Finding == nil || !sameFinding(sg.t.Finding, f) {
			if sg.t.Finding != nil {
				sg = &sighting{t: Tracked{FirstSeen: sg.t.FirstSeen, Generation: sg.t.Generation, Manager: sg.t.Manager, ChangedAt: sg.t.ChangedAt}}
				w.sightings[f.Fingerprint] = sg
			}
			sg.t.Finding = f
		}
		sg.seen = mark
		return &sg.t
	}
	out := make([]*Tracked, 0, len(res.Findings)+len(res.Suppressed))
	for _, f := range res.Findings {
		out = append(out, one(f))
	}
	for _, f := range res.Suppressed {
		out = append(out, one(f))
	}
	for fp, sg := range w.sightings {
		if sg.seen != mark {
			delete(w.sightings, fp)
		}
	}
	return out
}
