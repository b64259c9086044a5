// Command guardrail is the Guardrail CLI: Zero Trust guardrails for Kubernetes.
package main

import (
	"os"

	"github.com/guardrail-k8s/guardrail/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], cli.StdIO()))
}
