package cli

import (
	"context"
	"fmt"
	"github.com/guardrail-k8s/guardrail/pkg/source"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
)

type netpolOptions struct {
	output         string
	cni            string
	podCIDRs       []string
	nodeCIDRs      []string
	peers          []string
	noDefaultPeers bool
	includeSelf    bool
	files          []string
	input          inputOptions
	live           clusterOptions
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
	pf.StringSliceVar(&o.peers, "peer", nil, "add an abstract peer as source and destination: cidr:PREFIX, namespace:{key=value,...}, internet6 (repeatable)")
	pf.BoolVar(&o.noDefaultPeers, "no-default-peers", false, "leave out the default peers: internet, nodes and namespace:* (any namespace not in the input)")
	pf.StringSliceVar(&o.nodeCIDRs, "node-cidr", nil, "the nodes' addresses, for the nodes peer (with --live they are read from the Node objects)")
	pf.BoolVar(&o.includeSelf, "include-self", false, "list a workload's connections to itself (always allowed)")
	pf.StringSliceVarP(&o.files, "filename", "f", nil, "manifests to read (files, directories, - for stdin), with or instead of PATH")
	o.input.addFlags(pf)
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
	if err != nil {
		return nil, err
	}
	return m, o.configure(m, cni, cidrs)
}

// configure applies the plugin profile, pod CIDRs, peers and node
// addresses to a model.
func (o *netpolOptions) configure(m *netpol.Model, cni *netpol.CNI, cidrs []netip.Prefix) error {
	m.SetCNI(cni)
	m.SetPodCIDRs(cidrs)
	var peers []*netpol.Peer
	if !o.noDefaultPeers {
		peers = netpol.DefaultPeers()
		if hasIPv6Block(m) {
			p, _ := netpol.ParsePeer(netpol.PeerNameInternet6)
			peers = append(peers, p)
		}
	}
	for _, s := range o.peers {
		p, err := netpol.ParsePeer(s)
		if err != nil {
			return usageErr("--peer: %v", err)
		}
		peers = append(peers, p)
	}
	m.SetPeers(peers)
	if len(o.nodeCIDRs) > 0 {
		var nodes []netip.Prefix
		for _, c := range o.nodeCIDRs {
			p, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
				a, aerr := netip.ParseAddr(strings.TrimSpace(c))
				if aerr != nil {
					return usageErr("--node-cidr %q: %v (write 192.168.1.0/24 or 192.168.1.10)", c, err)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			nodes = append(nodes, p)
		}
		m.SetNodeAddresses(nodes)
	}
	return nil
}

// hasIPv6Block reports whether a policy names an IPv6 ipBlock: then the
// IPv6 internet is a default peer too.
func hasIPv6Block(m *netpol.Model) bool {
	for _, np := range m.Policies {
		for _, r := range np.Spec.Ingress {
			for _, p := range r.From {
				if p.IPBlock != nil && strings.Contains(p.IPBlock.CIDR, ":") {
					return true
				}
			}
		}
		for _, r := range np.Spec.Egress {
			for _, p := range r.To {
				if p.IPBlock != nil && strings.Contains(p.IPBlock.CIDR, ":") {
					return true
				}
			}
		}
	}
	return false
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
	src, err := o.source(paths, streams)
	if err != nil {
		return nil, err
	}
	res, err := readAll(ctx, streams, src)
	if err != nil {
		return nil, err
	}
	return netpol.FromInventory(res.Inventory()), nil
}

// source picks the input: the live cluster (--live, -n scoping it), or
// the manifests given as PATH and with -f, whose namespace-less objects
// go into -n (default "default"), as kubectl apply would put them.
func (o *netpolOptions) source(paths []string, streams IO) (source.Source, error) {
	paths = append(append([]string{}, paths...), o.files...)
	switch {
	case o.live.enabled && len(paths) > 0:
		return nil, usageErr("give manifests or --live, not both")
	case o.live.enabled:
		live, err := o.live.source(o.live.namespace)
		if err != nil {
			return nil, err
		}
		live.NoInfo = true
		return live, nil
	case len(paths) == 0:
		return nil, usageErr("give manifests (PATH... or -f), or --live")
	}
	return o.manifests(paths, streams), nil
}

func (o *netpolOptions) manifests(paths []string, streams IO) *source.Manifests {
	return o.input.manifests(streams, paths, o.live.namespace, true)
}

// objects reads the manifests of paths (and -f) whole.
func (o *netpolOptions) objects(ctx context.Context, paths []string, streams IO) ([]*inventory.Object, error) {
	src, err := o.source(paths, streams)
	if err != nil {
		return nil, err
	}
	res, err := readAll(ctx, streams, src)
	if err != nil {
		return nil, err
	}
	return res.Objects, nil
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
			rep := m.NewMatrixReport(netpol.EdgeOptions{IncludeSelf: o.includeSelf})
			switch o.output {
			case "json":
				return writeJSON(streams.Out, rep)
			case "yaml":
				return writeYAML(streams.Out, rep)
			case "dot", "mermaid":
				return writeEdgeGraph(streams.Out, o.output, rep.Connections)
			case "table":
				tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FROM\tTO\tPORT\tVERDICT")
				for _, e := range rep.Connections {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.From, e.To, e.PortString(), e.Verdict)
				}
				return tw.Flush()
			}
			return usageErr("netpol matrix -o %q: use table, json, yaml, dot or mermaid", o.output)
		},
	}
}

func writeEdgeGraph(w io.Writer, format string, es []netpol.Edge) error {
	ew := &errWriter{w: w}
	if format == "dot" {
		ew.printf("digraph netpol {\n  rankdir=LR;\n")
		for _, e := range es {
			style := ""
			if e.Verdict != netpol.Allow {
				style = ", style=dashed"
			}
			ew.printf("  %q -> %q [label=%q%s];\n", e.From, e.To, e.PortString(), style)
		}
		ew.printf("}\n")
		return ew.err
	}
	id := mermaidIDs()
	ew.printf("graph LR\n")
	for _, e := range es {
		arrow := "-->"
		if e.Verdict != netpol.Allow {
			arrow = "-.->"
		}
		ew.printf("  %s[%q] %s|%s| %s[%q]\n", id(e.From), e.From, arrow, e.PortString(), id(e.To), e.To)
	}
	return ew.err
}

func (o *netpolOptions) explain(streams IO) *cobra.Command {
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
			if len(o.files) == 0 && !o.live.enabled {
				return usageErr("give the manifests with -f, or --live")
			}
			m, err := o.model(cmd.Context(), nil, streams)
			if err != nil {
				return err
			}
			src, err := findEndpoint(m, args[0], "SRC")
			if err != nil {
				return err
			}
			dst, svc := m.Pod(args[1]), m.Service(args[1])
			if dst == nil && svc == nil {
				if dst, err = findEndpoint(m, args[1], "DST"); err != nil {
					return err
				}
			}
			portStr, proto, _ := strings.Cut(args[2], "/")
			port, err := strconv.Atoi(portStr)
			if err != nil || port < 1 || port > 65535 {
				return usageErr("port %q: give a number 1-65535, optionally /TCP, /UDP or /SCTP", args[2])
			}
			protocol := corev1.Protocol(strings.ToUpper(proto))
			if protocol == "" {
				protocol = corev1.ProtocolTCP
			}
			ew := &errWriter{w: streams.Out}
			if svc != nil {
				se, err := m.CheckService(src, svc, int32(port), protocol)
				if err != nil {
					return usageErr("%v", err)
				}
				rep := netpol.ServiceExplainReport{SchemaVersion: netpol.SchemaVersion, From: src.ID(), To: svc.ID(), Port: int32(port), Protocol: protocol, ServiceExplanation: se}
				switch o.output {
				case "json":
					return writeJSON(streams.Out, rep)
				case "yaml":
					return writeYAML(streams.Out, rep)
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
			rep := netpol.ExplainReport{SchemaVersion: netpol.SchemaVersion, From: src.ID(), To: dst.ID(), Port: int32(port), Protocol: protocol, Explanation: e}
			switch o.output {
			case "json":
				return writeJSON(streams.Out, rep)
			case "yaml":
				return writeYAML(streams.Out, rep)
			}
			ew.printf("%s -> %s %s: %s\n", src.ID(), dst.ID(), args[2], e.Verdict)
			printSides(ew, "  ", src, dst, e)
			return ew.err
		},
	}
	return cmd
}

// findEndpoint resolves SRC or DST: a workload as `netpol matrix` names
// it, or a peer (internet, nodes, namespace:*, namespace:{k=v}, cidr:...).
func findEndpoint(m *netpol.Model, id, which string) (*netpol.Pod, error) {
	if p := m.Pod(id); p != nil {
		return p, nil
	}
	if p := m.Peer(id); p != nil {
		return p, nil
	}
	hint := "use NAMESPACE/KIND/NAME as `netpol matrix` prints it"
	if which == "DST" {
		hint += " (NAMESPACE/Service/NAME for a Service)"
	}
	hint += ", or a peer: internet, internet6, nodes, namespace:*, namespace:{key=value}, cidr:PREFIX"
	if near := nearestWorkloads(m, id); len(near) > 0 {
		hint += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return nil, usageErr("%s %q is not a workload of the input: %s", which, id, hint)
}

// nearestWorkloads lists workloads whose name part equals id's last part.
func nearestWorkloads(m *netpol.Model, id string) []string {
	last := id[strings.LastIndexByte(id, '/')+1:]
	var out []string
	for _, p := range m.Pods {
		if strings.HasSuffix(p.ID(), "/"+last) && len(out) < 3 {
			out = append(out, p.ID())
		}
	}
	return out
}

// printSides explains both directions of one pod-to-pod answer.
func printSides(ew *errWriter, indent string, src, dst *netpol.Pod, e netpol.Explanation) {
	for _, s := range []struct {
		name string
		side netpol.Side
		peer bool
	}{{"egress of " + src.ID(), e.Egress, src.Peer != nil}, {"ingress of " + dst.ID(), e.Ingress, dst.Peer != nil}} {
		if s.peer {
			ew.printf("%s%s: a peer's own policies are not modelled, allowed\n", indent, s.name)
			continue
		}
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
	var (
		failOnAdded bool
		ignore      []string
	)
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
			rep := netpol.Diff(oldM, newM, netpol.DiffOptions{IncludeSelf: o.includeSelf, IgnorePeers: ignore})
			switch o.output {
			case "json":
				if err := writeJSON(streams.Out, rep); err != nil {
					return err
				}
			case "yaml":
				if err := writeYAML(streams.Out, rep); err != nil {
					return err
				}
			default:
				ew := &errWriter{w: streams.Out}
				for _, a := range rep.Added {
					ew.printf("+ %s -> %s %s %s (was %s)\n    %s\n", a.From, a.To, a.PortString(), a.Verdict, a.Before, a.Because)
				}
				for _, r := range rep.Removed {
					ew.printf("- %s -> %s %s %s (was %s)\n", r.From, r.To, r.PortString(), r.Verdict, r.Before)
				}
				ew.printf("%d connections added, %d removed", len(rep.Added), len(rep.Removed))
				if rep.Ignored > 0 {
					ew.printf(" (%d changes to ignored peers not shown)", rep.Ignored)
				}
				ew.printf("\n")
				if ew.err != nil {
					return ew.err
				}
			}
			if failOnAdded && len(rep.Added) > 0 {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&failOnAdded, "fail-on-added", false, "exit 1 when the change opens a connection, to a workload or a peer")
	cmd.Flags().StringSliceVar(&ignore, "ignore-peer", nil, "do not report changes from or to these workloads or peers (glob, e.g. nodes or 'monitoring/*'; repeatable)")
	return cmd
}

// diffModels loads the before and after models of `netpol diff`.
func (o *netpolOptions) diffModels(ctx context.Context, args []string, streams IO) (*netpol.Model, *netpol.Model, error) {
	if len(o.files) > 0 {
		return nil, nil, usageErr("diff compares OLD and NEW given as paths (or --live NEW), not -f")
	}
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
	live, err := o.live.source(o.live.namespace)
	if err != nil {
		return nil, nil, err
	}
	live.NoInfo = true
	res, err := readAll(ctx, streams, &source.Overlay{Base: live, Changes: o.manifests(args, streams)})
	if err != nil {
		return nil, nil, err
	}
	oldM, newM := netpol.FromInventory(inventory.New(res.Base)), netpol.FromInventory(res.Inventory())
	for _, m := range []*netpol.Model{oldM, newM} {
		// --pod-cidr was once ignored against the live cluster.
		if err := o.configure(m, cni, cidrs); err != nil {
			return nil, nil, err
		}
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
