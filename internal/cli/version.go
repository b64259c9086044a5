package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newVersionCommand(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the Guardrail version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(streams.Out, "guardrail %s\n", Version)
			return err
		},
	}
}
