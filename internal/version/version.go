// Package version says which Guardrail this is: the release of the source
// tree and the commit and date the Go toolchain stamps into the build.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Release is the version of this source tree. The Helm chart's
// appVersion, the chart version and the image tags of the shipped
// manifests equal it; a test checks.
const Release = "0.2.0"

// Set at build time where the Go toolchain cannot stamp the commit (a
// container build without .git, GOFLAGS=-buildvcs=false), with
// -ldflags "-X github.com/guardrail-k8s/guardrail/internal/version.Commit=...":
// Override replaces Release; Commit and Date fill what build info lacks.
var Override, Commit, Date string

// Info is what `guardrail version` prints.
type Info struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Get reads the build information (Go stamps vcs.revision, vcs.time and
// vcs.modified into binaries built in a Git checkout).
func Get() Info {
	info := Info{Version: "v" + Release, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if Override != "" {
		info.Version = Override
	}
	info.Commit, info.Date = Commit, Date
	if bi, ok := debug.ReadBuildInfo(); ok && Commit == "" {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.Date = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	return info
}

// String is the one-line form.
func (i Info) String() string {
	s := "guardrail " + i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if i.Date != "" {
			s += ", " + i.Date
		}
		if i.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s", s, i.Go, i.Platform)
}
