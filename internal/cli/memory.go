package cli

import (
	"runtime/debug"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// tuneMemory sets a soft memory limit scaled to the input, unless the user
// set GOMEMLIMIT. A scan's live heap is about three times its YAML; left
// alone, the collector lets the heap grow to twice the live size before
// collecting. The limit (5.5x the input, at least 110 MiB) makes it collect
// earlier when that headroom would be wasted, and is never below what the
// scan needs, so it costs a few percent of CPU, not a GC spiral.
func tuneMemory(paths []string, getenv func(string) string) {
	if getenv != nil && getenv("GOMEMLIMIT") != "" {
		return
	}
	total := manifest.InputSize(paths) // only what the scan reads, not binaries beside it
	debug.SetMemoryLimit(max(110<<20, total*11/2))
}
