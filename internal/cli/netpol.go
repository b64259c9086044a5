package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
)

type netpolOptions struct {
	output   string
	cni      string
	podCIDRs []string
	live     clusterOptions
}

func newNetpolCommand(streams IO) *cobra.Command {
	o := &netpolOptions{}
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Who can talk to whom under the NetworkPolicies, why, and what a change opens",
	}
	pf := cmd.PersistentFlags()
	pf.StringVarP(&o.output, "output", "o", "table", "output: table, json, dot or mermaid (matrix)")
	pf.StringVar(&o.cni, "cni", "", "CNI profile that settles the cases the specification leaves open: "+strings.Join(netpol.ProfileNames(), ", ")+" (default: report them as depends)")
	pf.StringSliceVar(&o.podCIDRs, "pod-cidr", nil, "the cluster's pod CIDRs (with --cni calico): ipBlocks holding a whole pod CIDR match workload templates, ipBlocks outside every pod CIDR do not")
	// --live: matrix and explain read the live cluster; diff compares it with it after NEW.
	o.live.addFlags(pf)
	cmd.AddCommand(o.matrix(streams), o.explain(streams), o.diff(streams), o.generate(streams), o.intents(streams), o.profiles(streams))
	return cmd
}

// model loads the segmentation model from the live cluster (--live) or
// from manifests.
func (o *netpolOptions) model(ctx context.Context, paths []string, streams IO) (*netpol.Model, error) {
	cni, err := o.profile()
	if err != nil {
		return nil, err
	}
	cidrs, err := o.podCIDRPrefixes(cni)
	if err != nil {
		return nil, err
	}
	m, err := o.load(ctx, paths, streams)
	if err == nil {
		m.SetCNI(cni)
		m.SetPodCIDRs(cidrs)
	}
	return m, err
}

// podCIDRPrefixes parses --pod-cidr, which only means something when the
// profile matches ipBlocks against pod addresses.
func (o *netpolOptions) podCIDRPrefixes(cni *netpol.CNI) ([]netip.Prefix, error) {
	if len(o.podCIDRs) == 0 {
		return nil, nil
	}
	if cni == nil || cni.IPBlock != netpol.IPBlockByAddress {
		return nil, usageErr("--pod-cidr needs a profile whose ipBlocks match pod addresses (--cni calico)")
	}
	var out []netip.Prefix
	for _, c := range o.podCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return nil, usageErr("--pod-cidr %q: %v (write 10.244.0.0/16 or fd00:10:244::/56)", c, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (o *netpolOptions) load(ctx context.Context, paths []string, streams IO) (*netpol.Model, error) {
	if !o.live.enabled {
		if len(paths) == 0 {
			return nil, usageErr("give manifests, or --live")
		}
		return loadModel(paths, streams)
	}
	if len(paths) > 0 {
		return nil, usageErr("give manifests or --live, not both")
	}
	inv, err := o.live.inventory(ctx, o.live.namespace, streams)
	if err != nil {
		return nil, err
	}
	return netpol.FromInventory(inv), nil
}

func loadModel(paths []string, streams IO) (*netpol.Model, error) {
	res, err := loadManifests(streams, paths)
	if err != nil {
		return nil, err
	}
	return netpol.FromInventory(inventory.New(res.Objects)), nil
}

// edge is one allowed (or CNI-dependent) connection between workloads.
type edge struct {
	Src, Dst string
	Port     int32
	Protocol corev1.Protocol
	Verdict  string
}

// edges lists every workload pair of every class pair: workloads that
// policies treat alike share a class, and each of them is a row.
func edges(m *netpol.Model) []edge {
	var out []edge
	for _, c := range m.Matrix() {
		for _, pv := range c.Ports {
			for _, s := range c.Src.Pods {
				for _, d := range c.Dst.Pods {
					v := pv.Verdict
					if s == d {
						v = netpol.Allow // a pod reaches itself
					}
					if v != netpol.Deny {
						out = append(out, edge{Src: s.ID(), Dst: d.ID(), Port: pv.Port, Protocol: pv.Protocol, Verdict: v.String()})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Src != b.Src {
			return a.Src < b.Src
		}
		if a.Dst != b.Dst {
			return a.Dst < b.Dst
		}
		return a.Port < b.Port
	})
	return out
}

func (o *netpolOptions) matrix(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:     "matrix [PATH... | --live]",
		Short:   "List the connections the policies allow between workloads (declared ports)",
		Example: "  guardrail netpol matrix deploy/\n  guardrail netpol matrix deploy/ -o mermaid\n  guardrail netpol matrix --live -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.model(cmd.Context(), args, streams)
			if err != nil {
				return err
			}
			es := edges(m)
			switch o.output {
			case "json":
				return writeJSON(streams.Out, es)
			case "dot", "mermaid":
				return writeEdgeGraph(streams.Out, o.output, es)
			case "table":
				tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FROM\tTO\tPORT\tVERDICT")
				for _, e := range es {
					fmt.Fprintf(tw, "%s\t%s\t%d/%s\t%s\n", e.Src, e.Dst, e.Port, e.Protocol, e.Verdict)
				}
				return tw.Flush()
			}
			return usageErr("netpol matrix -o %q: use table, json, dot or mermaid", o.output)
		},
	}
}

func writeEdgeGraph(w io.Writer, format string, es []edge) error {
	ew := &errWriter{w: w}
	if format == "dot" {
		ew.printf("digraph netpol {\n  rankdir=LR;\n")
		for _, e := range es {
			style := ""
			if e.Verdict != netpol.Allow.String() {
				style = ", style=dashed"
			}
			ew.printf("  %q -> %q [label=\"%d/%s\"%s];\n", e.Src, e.Dst, e.Port, e.Protocol, style)
		}
		ew.printf("}\n")
		return ew.err
	}
	id := mermaidIDs()
	ew.printf("graph LR\n")
	for _, e := range es {
		arrow := "-->"
		if e.Verdict != netpol.Allow.String() {
			arrow = "-.->"
		}
		ew.printf("  %s[%q] %s|%d/%s| %s[%q]\n", id(e.Src), e.Src, arrow, e.Port, e.Protocol, id(e.Dst), e.Dst)
	}
	return ew.err
}

func (o *netpolOptions) explain(streams IO) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "explain SRC DST PORT[/PROTOCOL]",
		Short: "Explain one connection: which policies select each side and which rules decide",
		Long: `Explain answers one connection from a workload to a workload, or to a Service port
(DST = NAMESPACE/Service/NAME): then each backend is judged on its target port, and where
the Service port differs and the policies answer differently for it, the verdict depends on
whether the CNI checks policies before or after the Service translation (--cni settles it).`,
		Example: "  guardrail netpol explain shop/Deployment/frontend shop/StatefulSet/backend 8080 -f deploy/\n  guardrail netpol explain shop/Deployment/frontend shop/Service/backend 80 -f deploy/ --cni calico",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(files) == 0 && !o.live.enabled {
				return usageErr("give the manifests with -f, or --live")
			}
			m, err := o.model(cmd.Context(), files, streams)
			if err != nil {
				return err
			}
			src := findPod(m, args[0])
			dst, svc := findPod(m, args[1]), m.Service(args[1])
			if src == nil || (dst == nil && svc == nil) {
				return usageErr("unknown workload %q or %q: use NAMESPACE/KIND/NAME as `netpol matrix` prints it (NAMESPACE/Service/NAME for a Service)", args[0], args[1])
			}
			portStr, proto, _ := strings.Cut(args[2], "/")
			port, err := strconv.Atoi(portStr)
			if err != nil {
				return usageErr("port %q: give a number", args[2])
			}
			protocol := corev1.Protocol(strings.ToUpper(proto))
			ew := &errWriter{w: streams.Out}
			if svc != nil {
				se, err := m.CheckService(src, svc, int32(port), protocol)
				if err != nil {
					return usageErr("%v", err)
				}
				if o.output == "json" {
					return writeJSON(streams.Out, se)
				}
				ew.printf("%s -> %s %s: %s\n", src.ID(), svc.ID(), args[2], se.Verdict)
				for _, b := range se.Backends {
					ew.printf("  backend %s on target port %d: %s\n", b.Pod.ID(), b.TargetPort, b.Verdict)
					printSides(ew, "    ", src, b.Pod, b.Explanation)
				}
				for _, n := range se.Notes {
					ew.printf("  note: %s\n", n)
				}
				return ew.err
			}
			e := m.Check(netpol.Connection{Src: src, Dst: dst, Port: int32(port), Protocol: protocol})
			if o.output == "json" {
				return writeJSON(streams.Out, e)
			}
			ew.printf("%s -> %s %s: %s\n", src.ID(), dst.ID(), args[2], e.Verdict)
			printSides(ew, "  ", src, dst, e)
			return ew.err
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifests (files, directories)")
	return cmd
}

func findPod(m *netpol.Model, id string) *netpol.Pod { return m.Pod(id) }

// printSides explains both directions of one pod-to-pod answer.
func printSides(ew *errWriter, indent string, src, dst *netpol.Pod, e netpol.Explanation) {
	for _, s := range []struct {
		name string
		side netpol.Side
	}{{"egress of " + src.ID(), e.Egress}, {"ingress of " + dst.ID(), e.Ingress}} {
		if !s.side.Isolated {
			ew.printf("%s%s: not isolated (no policy selects it), allowed\n", indent, s.name)
			continue
		}
		ew.printf("%s%s: isolated by %s: %s\n", indent, s.name, strings.Join(s.side.Selecting, ", "), s.side.Verdict)
		for _, b := range s.side.Because {
			ew.printf("%s  allowed by %s\n", indent, b)
		}
		if len(s.side.Because) == 0 {
			ew.printf("%s  no rule of these policies allows it\n", indent)
		}
	}
	for _, n := range e.Notes {
		ew.printf("%snote: %s\n", indent, n)
	}
}

func (o *netpolOptions) diff(streams IO) *cobra.Command {
	var failOnAdded bool
	cmd := &cobra.Command{
		Use:   "diff OLD NEW | diff --live NEW",
		Short: "List the connections a change adds and removes (the segmentation gate for CI)",
		Long: `Diff compares the connections of two manifest sets. With --live it compares the
live cluster with the live cluster after applying NEW: objects in NEW replace the live
objects of the same kind, namespace and name, and the rest of the cluster stays.`,
		Example: "  guardrail netpol diff main/deploy pr/deploy --fail-on-added\n  guardrail netpol diff --live pr/deploy --fail-on-added",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldM, newM, err := o.diffModels(cmd.Context(), args, streams)
			if err != nil {
				return err
			}
			key := func(e edge) string {
				return fmt.Sprintf("%s -> %s %d/%s (%s)", e.Src, e.Dst, e.Port, e.Protocol, e.Verdict)
			}
			before, after := map[string]bool{}, map[string]edge{}
			for _, e := range edges(oldM) {
				before[key(e)] = true
			}
			for _, e := range edges(newM) {
				after[key(e)] = e
			}
			var added, removed []string
			why := map[string]string{}
			for k, e := range after {
				if !before[k] {
					added = append(added, k)
					why[k] = opened(newM, e)
				}
			}
			for k := range before {
				if _, still := after[k]; !still {
					removed = append(removed, k)
				}
			}
			sort.Strings(added)
			sort.Strings(removed)
			if o.output == "json" {
				if err := writeJSON(streams.Out, map[string]any{"added": orEmpty(added), "removed": orEmpty(removed), "why": why}); err != nil {
					return err
				}
			} else {
				ew := &errWriter{w: streams.Out}
				for _, a := range added {
					ew.printf("+ %s\n    %s\n", a, why[a])
				}
				for _, r := range removed {
					ew.printf("- %s\n", r)
				}
				ew.printf("%d connections added, %d removed\n", len(added), len(removed))
				if ew.err != nil {
					return ew.err
				}
			}
			if failOnAdded && len(added) > 0 {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&failOnAdded, "fail-on-added", false, "exit 1 when the change opens a connection")
	return cmd
}

// diffModels loads the before and after models of `netpol diff`.
// opened says why the new model allows an added connection: for each
// direction, the rules that allow it, or that no policy isolates the pod.
func opened(m *netpol.Model, e edge) string {
	src, dst := m.Pod(e.Src), m.Pod(e.Dst)
	if src == nil || dst == nil {
		return ""
	}
	x := m.Check(netpol.Connection{Src: src, Dst: dst, Port: e.Port, Protocol: e.Protocol})
	side := func(name string, s netpol.Side) string {
		if !s.Isolated {
			return name + ": no policy isolates it"
		}
		return name + ": allowed by " + strings.Join(s.Because, ", ")
	}
	out := "because " + side("egress", x.Egress) + "; " + side("ingress", x.Ingress)
	for _, n := range x.Notes {
		out += "; " + n
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (o *netpolOptions) diffModels(ctx context.Context, args []string, streams IO) (*netpol.Model, *netpol.Model, error) {
	if !o.live.enabled {
		if len(args) != 2 {
			return nil, nil, usageErr("give OLD and NEW manifests, or --live NEW")
		}
		oldM, err := o.model(ctx, args[:1], streams)
		if err != nil {
			return nil, nil, err
		}
		newM, err := o.model(ctx, args[1:], streams)
		return oldM, newM, err
	}
	if len(args) != 1 {
		return nil, nil, usageErr("with --live give only the NEW manifests")
	}
	cni, err := o.profile()
	if err != nil {
		return nil, nil, err
	}
	cidrs, err := o.podCIDRPrefixes(cni)
	if err != nil {
		return nil, nil, err
	}
	live, err := o.live.inventory(ctx, o.live.namespace, streams)
	if err != nil {
		return nil, nil, err
	}
	res, err := loadManifests(streams, args)
	if err != nil {
		return nil, nil, err
	}
	key := func(ob *inventory.Object) string {
		return ob.GroupKind().String() + "/" + ob.Namespace() + "/" + ob.Name()
	}
	replaced := map[string]bool{}
	for _, ob := range res.Objects {
		replaced[key(ob)] = true
	}
	merged := append([]*inventory.Object{}, res.Objects...)
	for _, ob := range live.Objects() {
		if !replaced[key(ob)] {
			merged = append(merged, ob)
		}
	}
	oldM, newM := netpol.FromInventory(live), netpol.FromInventory(inventory.New(merged))
	for _, m := range []*netpol.Model{oldM, newM} {
		m.SetCNI(cni)
		m.SetPodCIDRs(cidrs) // --pod-cidr was ignored against the live cluster
	}
	return oldM, newM, nil
}

// profile is the --cni profile, nil when none is given.
func (o *netpolOptions) profile() (*netpol.CNI, error) {
	if o.cni == "" {
		return nil, nil
	}
	cni, err := netpol.Profile(o.cni)
	if err != nil {
		return nil, usageErr("--cni: %v", err)
	}
	return cni, nil
}

// profiles lists the CNI profiles from the code that applies them, with
// the source of each claim.
func (o *netpolOptions) profiles(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the CNI profiles (--cni) and how each settles the cases the specification leaves open",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			type row struct {
				Name        string   `json:"name"`
				Enforces    bool     `json:"enforces"`
				IPBlock     string   `json:"ipBlockVersusPods"`
				HostNetwork string   `json:"hostNetwork"`
				SCTP        string   `json:"sctp"`
				ServicePort string   `json:"servicePort"`
				Sources     []string `json:"sources"`
			}
			open := "depends on the CNI"
			var rows []row
			for _, name := range netpol.ProfileNames() {
				c := netpol.Profiles[name]
				r := row{Name: c.Name, Enforces: c.Enforces, IPBlock: open, HostNetwork: open, SCTP: open, ServicePort: open, Sources: c.Sources}
				switch c.IPBlock {
				case netpol.IPBlockNever:
					r.IPBlock = "never matches pods"
				case netpol.IPBlockByAddress:
					r.IPBlock = "matches by address"
				}
				if c.HostNetworkAsNode {
					r.HostNetwork = "node traffic"
				}
				if c.SCTP {
					r.SCTP = "enforced"
				}
				if c.TargetPort {
					r.ServicePort = "target port"
				}
				if !c.Enforces {
					r.IPBlock, r.HostNetwork, r.SCTP, r.ServicePort = "-", "-", "-", "-"
				}
				rows = append(rows, r)
			}
			if o.output == "json" {
				return writeJSON(streams.Out, rows)
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROFILE\tENFORCES\tIPBLOCK VS PODS\tHOST NETWORK\tSCTP\tSERVICE PORT")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\n", r.Name, r.Enforces, r.IPBlock, r.HostNetwork, r.SCTP, r.ServicePort)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			ew := &errWriter{w: streams.Out}
			for _, r := range rows {
				ew.printf("\n%s:\n", r.Name)
				for _, s := range r.Sources {
					ew.printf("  - %s\n", s)
				}
			}
			return ew.err
		},
	}
}
