package cli

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// loadManifests is the manifest side of every command but scan (which
// streams into its engine): the same loader, so charts, kustomizations and
// the file checks apply; warnings printed on stderr, as the live path
// prints them; the first error ends the command.
func loadManifests(streams IO, paths []string) (*manifest.Result, error) {
	res := manifest.NewLoader(manifest.WithStdin(streams.In)).Load(paths)
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
