package cli

import (
	"io/fs"
	"path/filepath"
	"runtime/debug"
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
	var total int64
	for _, p := range paths {
		if p == "-" {
			continue
		}
		filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					total += info.Size()
				}
			}
			return nil
		})
	}
	debug.SetMemoryLimit(max(110<<20, total*11/2))
}
