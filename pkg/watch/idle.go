package watch

import (
	"context"
	"runtime/debug"
	"time"
)

// idleTrim is how long the watcher is quiet (no pass, no publishing)
// before it returns free memory to the system. At 100,000 findings a
// forced collection takes a tenth of a second of one core.
const idleTrim = 10 * time.Second

// trimWhenIdle returns the passes' garbage to the system once nothing has
// run for idleTrim. Without it a quiet watcher's RSS stays where the
// collector last aimed, twice the live heap (GOGC), until the next
// collection, though the next pass needs only its working set.
func (w *Watcher) trimWhenIdle(ctx context.Context) {
	t := time.NewTicker(idleTrim)
	defer t.Stop()
	last, trimmed := w.activity.Load(), uint64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := w.activity.Load()
		if now == last && now != trimmed {
			debug.FreeOSMemory()
			trimmed = now
		}
		last = now
	}
}
