package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// loadManifests is the manifest side of every command but scan (which
// streams into its engine): the same loader, so charts, kustomizations and
// the file checks apply; warnings printed on stderr, as the live path
// prints them; the first error ends the command.
func loadManifests(streams IO, paths []string, walk walkOptions) (*manifest.Result, error) {
	res := manifest.NewLoader(manifest.WithStdin(streams.In), manifest.WithFollowSymlinks(walk.followSymlinks), manifest.WithExclude(walk.exclude)).Load(paths)
	for _, p := range res.Problems {
		if !p.Warning {
			return nil, &exitError{code: ExitError, err: p}
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintln(streams.Err, "warning:", p.Error())
	}
	return res, nil
}

// walkOptions are the file-walk flags every command that reads manifests
// shares with scan: --exclude and --follow-symlinks.
type walkOptions struct {
	exclude        []string
	followSymlinks bool
}

func (w *walkOptions) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&w.exclude, "exclude", nil, "leave out paths of the given directories matching this glob (repeatable)")
	f.BoolVar(&w.followSymlinks, "follow-symlinks", false, "follow symlinks that leave a given directory (by default they are skipped with a warning)")
}
