package cli

import (
	"fmt"
	"os"

	"github.com/guardrail-k8s/guardrail/pkg/intents"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// generate is `guardrail netpol generate`: intents in, least-privilege
// policies out, verified by the reachability engine before they are printed.
func (o *netpolOptions) generate(streams IO) *cobra.Command {
	var (
		intentsFile string
		istio       bool
	)
	cmd := &cobra.Command{
		Use:   "generate -i INTENTS PATH...",
		Short: "Generate least-privilege NetworkPolicies (and Istio mTLS and AuthorizationPolicies) from intents, verified",
		Long: `Generate turns intents ("A may call B on port P") into a default deny per namespace,
DNS egress to the cluster DNS over UDP and TCP, and one ingress and one egress allow
per workload naming the peer by namespace and labels and the target port. With
--istio it adds STRICT PeerAuthentications and AuthorizationPolicies whose
principals are the callers' service accounts.

Before printing, the reachability engine checks that the generated set, together
with the policies already in the manifests, allows exactly the intents and DNS:
every other pair and port touching the namespaces involved, and the internet, must
be denied.

Public entry points are kept: a workload behind a LoadBalancer or NodePort Service
is opened from the internet (0.0.0.0/0) on the target ports, and an Ingress backend
from the ingress controller's pods (ingressController in the intents file; default
ingress-nginx, app.kubernetes.io/name=ingress-nginx). Intents can open them too:
from: internet, from: cidr:PREFIX, from: namespace:{key=value,...}, from: ingress-controller [NS/NAME]. Each is listed
with why. Namespace-less manifests are put in -n (default "default"). Differences are listed on stderr and make the command exit 1. With --cni the
check answers as that plugin does (for example, under calico a host-network workload is
node traffic that pod selectors do not match).`,
		Example: "  guardrail netpol generate -i examples/intents.yaml examples/shop > policies.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.live.enabled {
				// It was accepted and ignored: say so instead of answering
				// from the manifests alone.
				return usageErr("netpol generate reads the workloads from manifests (PATH...); --live is not supported by generate")
			}
			if intentsFile == "" {
				return usageErr("give the intents file with -i")
			}
			data, err := os.ReadFile(intentsFile)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			f, err := intents.Parse(intentsFile, data)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			objs, err := o.objects(cmd.Context(), args, streams)
			if err != nil {
				return err
			}
			cni, err := o.profile()
			if err != nil {
				return err
			}
			inv := inventory.New(objs)
			plan, errs := intents.Resolve(f, intentsFile, inv)
			plan.CNI = cni
			for _, e := range errs {
				fmt.Fprintln(streams.Err, "error:", e)
			}
			var existing []*networkingv1.NetworkPolicy
			for _, ob := range inv.Objects() {
				if np, ok := ob.Obj.(*networkingv1.NetworkPolicy); ok {
					existing = append(existing, np)
				}
			}
			gen := plan.NetworkPolicies()
			mismatches := plan.VerifyNetworkPolicies(existing, gen)
			var docs []any
			for _, np := range gen {
				u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(np)
				if err != nil {
					return err
				}
				delete(u["metadata"].(map[string]any), "creationTimestamp")
				docs = append(docs, u)
			}
			if istio {
				rs := plan.Istio()
				for _, m := range plan.VerifyIstio(rs) {
					m.Why = "istio: " + m.Why
					mismatches = append(mismatches, m)
				}
				for _, r := range rs {
					docs = append(docs, r)
				}
				for _, n := range plan.IstioNotes {
					fmt.Fprintln(streams.Err, "istio: not generated: "+n)
				}
			}
			ew := &errWriter{w: streams.Out}
			entries := plan.EntryPoints()
			if len(entries) > 0 {
				ew.printf("# Entry points opened from outside the manifests' workloads:\n")
				for _, e := range entries {
					ew.printf("#   %s\n", e)
				}
			}
			for _, d := range docs {
				b, err := yaml.Marshal(d)
				if err != nil {
					return err
				}
				ew.printf("---\n%s", b)
			}
			if ew.err != nil {
				return ew.err
			}
			fmt.Fprintf(streams.Err, "generated %d objects for %d flows and %d entry points in %d namespaces; verified: %d differences from the intents\n",
				len(docs), len(plan.Flows), len(plan.Inbound), len(plan.Scope), len(mismatches))
			for _, e := range entries {
				fmt.Fprintln(streams.Err, "  entry point: "+e)
			}
			for _, line := range intents.Summarize(mismatches) {
				fmt.Fprintln(streams.Err, "  "+line)
			}
			switch {
			case len(errs) > 0:
				return &exitError{code: ExitError, err: fmt.Errorf("%d intents could not be resolved", len(errs))}
			case len(mismatches) > 0:
				return &exitError{code: ExitFindings, err: fmt.Errorf("the generated policies do not match the intents exactly")}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&intentsFile, "intents", "i", "", "intents file (see examples/intents.yaml)")
	cmd.Flags().BoolVar(&istio, "istio", false, "also generate Istio PeerAuthentication (STRICT) and AuthorizationPolicies")
	return cmd
}
