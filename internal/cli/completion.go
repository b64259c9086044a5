package cli

import (
	"context"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"github.com/guardrail-k8s/guardrail/pkg/report"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// registerCompletions lets shell completion complete flag values on every
// command: profiles, output formats, severities, modes, CNI profiles and
// kubeconfig contexts, and rule IDs for `rules explain`.
func registerCompletions(root *cobra.Command) {
	fixed := func(vals ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return vals, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var profiles []string
	for _, p := range rules.Profiles {
		profiles = append(profiles, p.Name)
	}
	modes := fixed("enforce", "warn", "audit")
	byFlag := map[string]cobra.CompletionFunc{
		"profile":      fixed(profiles...),
		"fail-on":      fixed("critical", "high", "medium", "low", "info", "none"),
		"color":        fixed("auto", "always", "never"),
		"default-mode": modes,
		"cluster-mode": modes,
		"cni":          fixed(netpol.ProfileNames()...),
		"context":      contexts,
		"namespace":    namespaces,
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		register := func(f *pflag.Flag) {
			fn, ok := byFlag[f.Name]
			if f.Name == "output" {
				switch c.Name() {
				case "scan":
					fn, ok = fixed(report.FormatNames()...), true
				case "rbac", "netpol":
					fn, ok = fixed("table", "json", "yaml", "dot", "mermaid"), true
				}
			}
			if ok {
				_ = c.RegisterFlagCompletionFunc(f.Name, fn) // already registered on a parent: fine
			}
		}
		c.LocalNonPersistentFlags().VisitAll(register)
		c.PersistentFlags().VisitAll(register)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if explain, _, err := root.Find([]string{"rules", "explain"}); err == nil && explain.Name() == "explain" {
		explain.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var ids []string
			for _, r := range rules.All() {
				if strings.HasPrefix(r.ID, toComplete) {
					ids = append(ids, r.ID+"\t"+r.Title)
				}
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		}
	}
}

// namespaces completes -n from the cluster the command's kubeconfig flags
// (--kubeconfig, --context) point at, within two seconds: completion must
// never hang a shell.
func namespaces(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if f := cmd.Flag("kubeconfig"); f != nil && f.Value.String() != "" {
		rules.ExplicitPath = f.Value.String()
	}
	overrides := &clientcmd.ConfigOverrides{}
	if f := cmd.Flag("context"); f != nil {
		overrides.CurrentContext = f.Value.String()
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg.Timeout = 2 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, n := range list.Items {
		if strings.HasPrefix(n.Name, toComplete) {
			out = append(out, n.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// contexts completes --context from the kubeconfig's contexts.
func contexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, err := clientcmd.NewDefaultClientConfigLoadingRules().Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for name := range cfg.Contexts {
		out = append(out, name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
