package cli

import (
	"log/slog"
	"math"

	memlimit "github.com/KimMachineGun/automemlimit/memlimit"
)

// limitMemoryToContainer sets GOMEMLIMIT to 90% of the container's memory
// limit (cgroup), so the collector works harder before the kernel kills
// the pod; an explicit GOMEMLIMIT wins. For the long-running commands.
func limitMemoryToContainer(log *slog.Logger) {
	if lim, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.FromCgroup)); err == nil && lim > 0 && lim < math.MaxInt64 {
		log.Info("memory limit", "GOMEMLIMIT", lim)
	}
}
