// Package cli holds Guardrail's commands, one file each. Commands parse
// flags into an options struct, build the loader, engine and printer, and
// map the outcome to a documented exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/guardrail-k8s/guardrail/internal/version"
	"github.com/spf13/cobra"
)

// Exit codes, documented in the README and `guardrail --help`.
const (
	// ExitOK means no finding at or above the --fail-on threshold and no input error.
	ExitOK = 0
	// ExitFindings means at least one finding at or above the threshold.
	ExitFindings = 1
	// ExitError means a usage error, a bad config, input that could not be
	// read, or nothing to scan at all.
	ExitError = 2
	// ExitPartial means a live scan could not read some kinds, so findings
	// may be missing (unless --allow-partial); a live scan that read no
	// workload kind at all exits with it even then.
	ExitPartial = 3
)

// deprecatedFlags maps a deprecated (hidden) flag to what replaces it.
var deprecatedFlags = map[string]string{
	"cluster": "--live; in the next release --cluster will name a kubeconfig cluster, as in kubectl",
}

// Version is the release this binary reports in SARIF, JSON and its
// user agent (see internal/version).
var Version = version.Get().Version

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// usageErr marks an error as a usage error (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

// IO are the streams a command uses; tests substitute buffers.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	IsTTY  func(w io.Writer) bool
	Getenv func(string) string
}

// NewRootCommand builds the guardrail command tree.
func NewRootCommand(streams IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "guardrail",
		Short: "Zero Trust guardrails for Kubernetes",
		Long: `Guardrail checks Kubernetes manifests and clusters against one rule engine:
Pod Security Standards, hardening, secrets, supply chain, exposure, network
segmentation and RBAC.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error
or nothing to scan, 3 partial live scan (kinds that could not be read).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	// Deprecation warnings go to stderr: cobra's own print them on the
	// command's output, which would corrupt -o json on stdout.
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		for name, use := range deprecatedFlags {
			if f := cmd.Flags().Lookup(name); f != nil && f.Changed && f.Hidden {
				fmt.Fprintf(streams.Err, "guardrail: --%s is deprecated, use %s\n", name, use)
			}
		}
	}
	root.AddCommand(newScanCommand(streams), newRulesCommand(streams), newRBACCommand(streams), newNetpolCommand(streams), newWebhookCommand(streams), newWatchCommand(streams), newDashboardCommand(streams), newVersionCommand(streams))
	registerCompletions(root)
	return root
}

// Execute runs the CLI with args and returns the process exit code.
func Execute(args []string, streams IO) int {
	return ExecuteContext(context.Background(), args, streams)
}

// ExecuteContext is Execute under ctx: long-running commands (webhook)
// stop when it is done.
func ExecuteContext(ctx context.Context, args []string, streams IO) int {
	root := NewRootCommand(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(streams.Err, "guardrail:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(streams.Err, "guardrail:", err)
	return ExitError
}

// StdIO returns the process's streams.
func StdIO() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, IsTTY: isTerminal, Getenv: os.Getenv}
}
