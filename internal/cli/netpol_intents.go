package cli

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/intents"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/spf13/cobra"
)

// intents is `guardrail netpol intents`: guess intents from Services and
// the references to them, from manifests or --from-cluster, for review.
func (o *netpolOptions) intents(streams IO) *cobra.Command {
	var fromCluster bool
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
			if fromCluster {
				o.live.enabled = true // the command's first spelling of --live
			}
			objs, err := o.objects(cmd.Context(), args, streams)
			if err != nil {
				return err
			}
			inv := inventory.New(objs)
			got := intents.Infer(inv)
			fmt.Fprintf(streams.Err, "inferred %d intents; review them before use\n", len(got))
			_, err = streams.Out.Write(intents.Marshal(got))
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&fromCluster, "from-cluster", false, "read Services, workloads and ConfigMaps from the live cluster of the kubeconfig (same as --live)")
	return cmd
}
