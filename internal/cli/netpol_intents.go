package cli

import (
	"context"
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/intents"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/spf13/cobra"
)

// intents is `guardrail netpol intents`: guess intents from Services and
// the references to them, from manifests or --from-cluster, for review.
func (o *netpolOptions) intents(streams IO) *cobra.Command {
	var live clusterOptions
	cmd := &cobra.Command{
		Use:   "intents [PATH... | --from-cluster]",
		Short: "Infer intents from Services and the service references in workloads' environment and ConfigMaps, for review",
		Long: `Intents prints an intents file inferred from where workloads name Services: env
values, ConfigMap keys an env var reads, and ConfigMaps loaded with envFrom, as host
names ("api", "api.shop", "api.shop.svc.cluster.local"), host:port or URLs. Each intent
carries its evidence as a comment. A reference is not proof of a call: review the file,
then pass it to 'guardrail netpol generate -i'.`,
		Example: "  guardrail netpol intents deploy/ > intents.yaml\n  guardrail netpol intents --from-cluster -n shop > intents.yaml",
		RunE: func(cmd *cobra.Command, args []string) error {
			var inv *inventory.Inventory
			switch {
			case live.enabled && len(args) > 0:
				return usageErr("give manifests or --from-cluster, not both")
			case live.enabled:
				cfg, err := live.restConfig()
				if err != nil {
					return usageErr("%v", err)
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), live.timeout)
				defer cancel()
				loaded, err := cluster.Load(ctx, cfg, cluster.Options{Namespace: live.namespace, PageSize: 500})
				if err != nil {
					return &exitError{code: ExitError, err: err}
				}
				for _, p := range loaded.Problems {
					fmt.Fprintln(streams.Err, "warning:", p.Error())
				}
				inv = inventory.New(loaded.Objects)
			case len(args) == 0:
				return usageErr("give manifests, or --from-cluster")
			default:
				res := manifest.NewLoader(manifest.WithStdin(streams.In)).Load(args)
				for _, p := range res.Problems {
					if !p.Warning {
						return &exitError{code: ExitError, err: p}
					}
				}
				inv = inventory.New(res.Objects)
			}
			got := intents.Infer(inv)
			fmt.Fprintf(streams.Err, "inferred %d intents; review them before use\n", len(got))
			_, err := streams.Out.Write(intents.Marshal(got))
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&live.enabled, "from-cluster", false, "read Services, workloads and ConfigMaps from the live cluster of the kubeconfig")
	f.StringVar(&live.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&live.context, "context", "", "kubeconfig context to use")
	f.StringVarP(&live.namespace, "namespace", "n", "", "only this namespace")
	f.DurationVar(&live.timeout, "timeout", defaultClusterTimeout, "give up on the cluster after this long")
	return cmd
}
