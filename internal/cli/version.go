package cli

import (
	"encoding/json"
	"fmt"

	"github.com/guardrail-k8s/guardrail/internal/version"
	"github.com/spf13/cobra"
)

func newVersionCommand(streams IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the Guardrail version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			switch output {
			case "", "text":
				_, err := fmt.Fprintln(streams.Out, info.String())
				return err
			case "json":
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			return usageErr("--output %q: use text or json", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "text (default) or json")
	return cmd
}
