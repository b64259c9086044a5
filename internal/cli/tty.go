package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor decides colour from --color and the environment (NO_COLOR).
func useColor(mode string, streams IO, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if streams.Getenv != nil && streams.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		return streams.IsTTY != nil && streams.IsTTY(w), nil
	}
	return false, usageErr("--color must be auto, always or never, not %q", mode)
}
