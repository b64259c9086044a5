package watch

import (
	"context"
	"sort"
)

// publisher writes the newest state's reports and Events, one state at a
// time: states that arrive while it writes are folded into the newest.
func (w *Watcher) publisher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.publish:
		}
		w.pendingMu.Lock()
		st := w.pending
		w.pending = nil
		w.pendingMu.Unlock()
		if st == nil {
			continue
		}
		leading := w.opts.Leader == nil || w.opts.Leader()
		if w.opts.Reports && leading {
			if w.reload.Swap(false) {
				if err := w.restore(ctx); err != nil {
					w.opts.Logger.Warn("could not re-read the reports", "err", err)
				}
			}
			w.writer.write(ctx, w.reports(st))
		}
		if w.opts.Events && leading {
			upTo := w.publishedUpTo
			w.events.post(ctx, st.Findings, func(f *Tracked) bool { return f.FirstSeen.After(upTo) })
		}
		w.publishedUpTo = st.At
		w.activity.Add(1)
	}
}

// reports turns a state into one report per live namespace and one for
// the cluster.
func (w *Watcher) reports(st *State) []ReportInput {
	by := map[string]*ReportInput{"": {Errors: st.Problems, MaxResults: w.opts.MaxResults, Passed: st.Passed[""]}}
	for ns, uid := range st.Namespaces {
		by[ns] = &ReportInput{Namespace: ns, NamespaceUID: uid, MaxResults: w.opts.MaxResults, Passed: st.Passed[ns]}
	}
	for _, f := range st.Findings {
		in := by[f.Object.Namespace]
		if in == nil {
			continue // a namespace being deleted
		}
		in.Findings = append(in.Findings, f)
	}
	out := make([]ReportInput, 0, len(by))
	for _, in := range by {
		out = append(out, *in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}
