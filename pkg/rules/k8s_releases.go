package rules

import (
	"strconv"
	"strings"
	"time"
)

// releasesAsOf is when the release table was last updated.
const releasesAsOf = "2026-11-22"

// release is one Kubernetes minor version.
type release struct {
	latestPatch int
	endOfLife   string // YYYY-MM-DD
}

// releases lists the minor versions Guardrail knows. Latest patches are the
// newest k8s.io/kubernetes tags published on the Go module proxy on
// releasesAsOf; end-of-life dates follow the project's policy of 12 months
// of support plus a 2-month upgrade period from each minor's release.
// Minors older than the oldest entry are end of life.
var releases = map[int]release{
	30: {14, "2025-06-28"},
	31: {14, "2025-10-28"},
	32: {13, "2026-02-28"},
	33: {13, "2026-06-28"},
	34: {4, "2026-10-27"},
	35: {4, "2027-02-28"},
	36: {3, "2027-06-28"},
	37: {2, "2027-10-28"},
}

// oldestKnownMinor is the smallest minor in releases.
const oldestKnownMinor = 30

// parseVersion reads "v1.37.2", "v1.29.4+k3s1" or "v1.30.1-eks-123".
func parseVersion(v string) (minor, patch int, ok bool) {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) != 3 || parts[0] != "1" {
		return 0, 0, false
	}
	minor, err1 := strconv.Atoi(parts[1])
	p := parts[2]
	if i := strings.IndexAny(p, "+-"); i >= 0 {
		p = p[:i]
	}
	patch, err2 := strconv.Atoi(p)
	return minor, patch, err1 == nil && err2 == nil
}

func endOfLife(minor int) (time.Time, bool) {
	r, ok := releases[minor]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", r.endOfLife)
	return t, err == nil
}
