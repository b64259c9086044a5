package cli

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// tuneMemory sets a soft memory limit scaled to the input, unless the user
// set GOMEMLIMIT. A scan's live heap is about three times its YAML; left
// alone, the collector lets the heap grow to twice the live size before
// collecting. The limit (5.5x the input, at least 110 MiB) makes it collect
// earlier when that headroom would be wasted. Input that is not like
// manifests (two million tiny documents that are not objects) can need more
// than its size says; the limit then follows the live heap up, so that it
// never starves what the scan needs into a collection spiral. The returned
// function stops following and restores the limit as it was.
func tuneMemory(paths []string, getenv func(string) string) (stop func()) {
	if getenv != nil && getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	total := manifest.InputSize(paths) // only what the scan reads, not binaries beside it
	limit := max(110<<20, total*11/2)
	before := debug.SetMemoryLimit(limit)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if live := int64(sample[0].Value.Uint64()); live > limit*7/10 && limit < math.MaxInt64/4 {
				limit = live * 2
				debug.SetMemoryLimit(limit)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		debug.SetMemoryLimit(before)
	}
}
