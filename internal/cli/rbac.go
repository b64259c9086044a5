package cli

import (
	"encoding/json"
	"fmt"
	"io"
	sigsyaml "sigs.k8s.io/yaml"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/platform"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	"github.com/guardrail-k8s/guardrail/pkg/rbac/bootstrap"
	"github.com/guardrail-k8s/guardrail/pkg/source"
	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/kubernetes/scheme"
)

// rbacOptions are the flags shared by the rbac subcommands.
type rbacOptions struct {
	files     []string
	output    string
	noBuiltin bool
	input     inputOptions
	live      clusterOptions
}

func newRBACCommand(streams IO) *cobra.Command {
	o := &rbacOptions{}
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Who can do what: RBAC with the Kubernetes authorizer's exact semantics",
		Long: `Answer RBAC questions from manifests (-f) or a live cluster (--live), with
the RBAC authorizer's semantics: wildcards, "*/scale", resourceNames, non-resource
URLs, namespace scoping, service-account defaulting, aggregated ClusterRoles
computed from their aggregationRule, system:masters.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringSliceVarP(&o.files, "filename", "f", nil, "manifests to read (files, directories, - for stdin)")
	o.input.addFlags(pf)
	pf.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml (graph: dot or mermaid)")
	pf.BoolVar(&o.noBuiltin, "no-builtin-roles", false, "with -f, do not add the ClusterRoles every API server creates (cluster-admin, admin, edit, view, system:*)")
	o.live.addFlags(pf)
	cmd.AddCommand(o.whoCan(streams), o.can(streams), o.risks(streams), o.graph(streams))
	return cmd
}

// policy loads RBAC from the files or the cluster.
func (o *rbacOptions) policy(cmd *cobra.Command, streams IO) (*rbac.Policy, error) {
	if o.live.enabled == (len(o.files) > 0) {
		return nil, usageErr("give -f FILES or --live (one of them)")
	}
	var src source.Source = o.input.manifests(streams, o.files, o.live.namespace, true)
	if o.live.enabled {
		live, err := o.live.source("") // RBAC needs every namespace; -n scopes the answer
		if err != nil {
			return nil, err
		}
		live.NoInfo = true
		src = live
	}
	res, err := readAll(cmd.Context(), streams, src)
	if err != nil {
		return nil, err
	}
	if res.Live {
		return rbac.FromObjects(res.Objects), nil
	}
	return rbac.FromObjects(withBootstrapRoles(res.Objects, o.noBuiltin)), nil
}

func (o *rbacOptions) whoCan(streams IO) *cobra.Command {
	var namespace, name string
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE][.GROUP] | who-can VERB /NON-RESOURCE-URL",
		Short: "List the subjects that may make a request, with the binding, role and rule of each",
		Example: `  guardrail rbac who-can create pods/exec -n shop --live
  guardrail rbac who-can get secrets -f deploy/
  guardrail rbac who-can update deployments.apps/scale -n shop -f deploy/
  guardrail rbac who-can get /metrics --live`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseRequest(args[0], args[1], namespace, name)
			if err != nil {
				return err
			}
			p, err := o.policy(cmd, streams)
			if err != nil {
				return err
			}
			list := p.WhoCan(a)
			if list == nil {
				list = []rbac.SubjectGrant{}
			}
			if done, err := o.structured(streams, rbac.WhoCanReport{SchemaVersion: rbac.SchemaVersion, Request: a, Subjects: list}); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SUBJECT\tSCOPE\tVIA")
			for _, sg := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", subjectString(sg.Subject), scopeString(sg.Scope), chain(sg.Grant))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (empty: cluster-wide grants and every namespace's)")
	cmd.Flags().StringVar(&name, "name", "", "object name of the request (matters for resourceNames)")
	return cmd
}

func (o *rbacOptions) can(streams IO) *cobra.Command {
	var groups []string
	cmd := &cobra.Command{
		Use:   "can SUBJECT",
		Short: "List the effective permissions of user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME",
		Example: `  guardrail rbac can serviceaccount:shop:backend -f deploy/
  guardrail rbac can user:alice --groups devs --live
  guardrail rbac can serviceaccount:shop:backend -n shop -f deploy/   # what applies in namespace shop`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := parseSubject(args[0], groups)
			if err != nil {
				return err
			}
			p, err := o.policy(cmd, streams)
			if err != nil {
				return err
			}
			perms := rbac.PermissionsIn(p.Permissions(u), o.live.namespace)
			if perms == nil {
				perms = []rbac.Permission{}
			}
			if done, err := o.structured(streams, rbac.CanReport{SchemaVersion: rbac.SchemaVersion, User: u, Namespace: o.live.namespace, Permissions: perms}); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tVERBS\tAPI GROUPS\tRESOURCES\tNAMES\tVIA")
			for _, pm := range perms {
				r := pm.Rule
				res := strings.Join(r.Resources, ",")
				if len(r.NonResourceURLs) > 0 {
					res = strings.Join(r.NonResourceURLs, ",")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", scopeString(pm.Scope), strings.Join(r.Verbs, ","), groupsString(r.APIGroups),
					res, strings.Join(r.ResourceNames, ","), chain(pm.Grant))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&groups, "groups", nil, "groups the user belongs to (system:authenticated is added)")
	return cmd
}

func (o *rbacOptions) risks(streams IO) *cobra.Command {
	var top int
	var includeSystem bool
	cmd := &cobra.Command{
		Use:     "risks",
		Short:   "Rank subjects by risky capabilities, with the chain that grants each",
		Example: "  guardrail rbac risks --live\n  guardrail rbac risks -f deploy/ -o json\n  guardrail rbac risks -n shop --live   # risks that reach into namespace shop",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := o.policy(cmd, streams)
			if err != nil {
				return err
			}
			// Subjects users granted are ranked; Kubernetes' own (the
			// controllers, the scheduler, nodes through the bootstrap
			// policy) are listed apart with --include-system.
			report, system := platform.SplitRisks(rbac.RisksIn(p.RiskReport(), o.live.namespace))
			if top > 0 && len(report) > top {
				report = report[:top]
			}
			rep := rbac.RisksReport{SchemaVersion: rbac.SchemaVersion, Namespace: o.live.namespace, Subjects: report}
			if rep.Subjects == nil {
				rep.Subjects = []rbac.RiskySubject{}
			}
			if includeSystem {
				rep.Platform = system
			}
			if done, err := o.structured(streams, rep); done {
				return err
			}
			w := &errWriter{w: streams.Out}
			print := func(list []rbac.RiskySubject) {
				for _, rs := range list {
					w.printf("%s  (score %d)\n", subjectString(rs.Subject), rs.Score)
					for _, rg := range rs.Risks {
						w.printf("  %-17s %s\n  %17s %s\n", rg.Risk.ID, scopeString(rg.Scope)+": "+rg.Risk.Title, "", chain(rg.Grant))
					}
				}
			}
			print(report)
			if len(report) == 0 {
				w.printf("No subject that users granted holds a risky capability.\n")
			}
			switch {
			case includeSystem && len(system) > 0:
				w.printf("\nKubernetes' own subjects (bootstrap policy; not ranked):\n")
				print(system)
			case len(system) > 0:
				w.printf("\n%d of Kubernetes' own subjects hold risky capabilities through the bootstrap policy (--include-system lists them).\n", len(system))
			}
			return w.err
		},
	}
	cmd.Flags().IntVar(&top, "top", 0, "show only the N riskiest subjects")
	cmd.Flags().BoolVar(&includeSystem, "include-system", false, "also list Kubernetes' own subjects (controllers, nodes, the scheduler), apart from the ranking")
	return cmd
}

func (o *rbacOptions) graph(streams IO) *cobra.Command {
	var namespace, name string
	cmd := &cobra.Command{
		Use:   "graph SUBJECT | graph VERB RESOURCE",
		Short: "Draw a subject's permissions, or who can make a request, as a DOT or Mermaid graph",
		Example: `  guardrail rbac graph serviceaccount:shop:backend -f deploy/ -o mermaid
  guardrail rbac graph create pods/exec -n shop --live -o dot`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				a, err := parseRequest(args[0], args[1], namespace, name)
				if err != nil {
					return err
				}
				p, err := o.policy(cmd, streams)
				if err != nil {
					return err
				}
				var perms []rbac.Permission
				for _, sg := range p.WhoCan(a) {
					if sg.Grant.BindingKind != "" {
						perms = append(perms, rbac.Permission{Scope: sg.Scope, Rule: sg.Grant.Rule, Grant: sg.Grant})
					}
				}
				return writeGraph(streams.Out, o.output, "", perms)
			}
			u, err := parseSubject(args[0], nil)
			if err != nil {
				return err
			}
			p, err := o.policy(cmd, streams)
			if err != nil {
				return err
			}
			return writeGraph(streams.Out, o.output, args[0], p.Permissions(u))
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (with VERB RESOURCE)")
	cmd.Flags().StringVar(&name, "name", "", "object name of the request (with VERB RESOURCE)")
	return cmd
}

// writeGraph draws subject → binding → role → rule edges.
func writeGraph(w io.Writer, format, subject string, perms []rbac.Permission) error {
	type edge struct{ from, to string }
	var edges []edge
	seen := map[edge]bool{}
	add := func(a, b string) {
		e := edge{a, b}
		if !seen[e] {
			seen[e] = true
			edges = append(edges, e)
		}
	}
	for _, pm := range perms {
		g := pm.Grant
		binding := g.BindingKind + " " + strings.TrimPrefix(g.BindingNamespace+"/"+g.BindingName, "/")
		role := g.RoleKind + " " + g.RoleName
		r := pm.Rule
		rule := strings.Join(r.Verbs, ",") + " " + strings.Join(append(append([]string{}, r.Resources...), r.NonResourceURLs...), ",")
		from := subject
		if from == "" { // a who-can graph starts at each granted subject
			from = subjectString(g.Subject)
		}
		add(from, binding)
		add(binding, role)
		add(role, rule)
	}
	ew := &errWriter{w: w}
	switch format {
	case "dot":
		ew.printf("digraph rbac {\n  rankdir=LR;\n")
		for _, e := range edges {
			ew.printf("  %q -> %q;\n", e.from, e.to)
		}
		ew.printf("}\n")
	case "mermaid":
		id := mermaidIDs()
		ew.printf("graph LR\n")
		for _, e := range edges {
			ew.printf("  %s[%q] --> %s[%q]\n", id(e.from), e.from, id(e.to), e.to)
		}
	default:
		return usageErr("rbac graph -o %q: use dot or mermaid", format)
	}
	return ew.err
}

// withBootstrapRoles adds the API server's bootstrap ClusterRoles that the
// manifests do not define themselves, so bindings to cluster-admin or edit
// in manifests are judged as a cluster would judge them.
func withBootstrapRoles(objs []*inventory.Object, skip bool) []*inventory.Object {
	if skip {
		return objs
	}
	defined := map[string]bool{}
	for _, o := range objs {
		if _, ok := o.Obj.(*rbacv1.ClusterRole); ok {
			defined[o.Name()] = true
		}
	}
	out := append([]*inventory.Object(nil), objs...)
	for _, r := range bootstrap.ClusterRoles() {
		if !defined[r.Name] {
			if o, err := inventory.NewObject(rbacv1.SchemeGroupVersion.WithKind("ClusterRole"), r, api.Location{}, nil); err == nil {
				out = append(out, o)
			}
		}
	}
	return out
}

// parseRequest turns "create" "pods/exec" into attributes; RESOURCE may
// carry its group kubectl-style ("deployments.apps/scale"), else the group
// is looked up among the built-in kinds.
func parseRequest(verb, resource, namespace, name string) (rbac.Attributes, error) {
	if strings.HasPrefix(resource, "/") {
		return rbac.Attributes{Verb: verb, NonResource: true, Path: resource}, nil
	}
	res, sub := rbac.ParseResource(resource)
	group := ""
	if i := strings.IndexByte(res, '.'); i >= 0 {
		res, group = res[:i], res[i+1:]
	} else {
		g, ok := builtinGroups()[res]
		if !ok {
			return rbac.Attributes{}, usageErr("unknown resource %q: give its API group, as in %s.GROUP", res, res)
		}
		group = g
	}
	return rbac.Attributes{Verb: verb, Group: group, Resource: res, Subresource: sub, Namespace: namespace, Name: name}, nil
}

// builtinGroups maps each built-in resource (plural) to its API group,
// preferring the core group when a name exists in several.
func builtinGroups() map[string]string {
	out := map[string]string{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || strings.HasSuffix(gvk.Kind, "Options") || gvk.Version == "__internal" {
			continue
		}
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		if cur, ok := out[plural.Resource]; !ok || (gvk.Group == "" && cur != "") {
			out[plural.Resource] = gvk.Group
		}
	}
	return out
}

// parseSubject reads user:NAME, group:NAME, serviceaccount:NS:NAME or
// system:serviceaccount:NS:NAME.
func parseSubject(s string, groups []string) (rbac.User, error) {
	kind, rest, ok := strings.Cut(s, ":")
	switch {
	case ok && (kind == "user" || kind == "u"):
		return rbac.User{Name: rest, Groups: append([]string{rbac.GroupAuthenticated}, groups...)}, nil
	case ok && (kind == "group" || kind == "g"):
		return rbac.User{Name: "(any member of " + rest + ")", Groups: []string{rest}}, nil
	case ok && (kind == "serviceaccount" || kind == "sa"):
		if ns, n, ok := strings.Cut(rest, ":"); ok {
			return rbac.ServiceAccountUser(ns, n), nil
		}
	case strings.HasPrefix(s, "system:serviceaccount:"):
		parts := strings.Split(s, ":")
		if len(parts) == 4 {
			return rbac.ServiceAccountUser(parts[2], parts[3]), nil
		}
	}
	return rbac.User{}, usageErr("subject %q: use user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME", s)
}

func subjectString(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return "ServiceAccount " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

func scopeString(ns string) string {
	if ns == "" {
		return "cluster-wide"
	}
	return "namespace " + ns
}

func groupsString(gs []string) string {
	var out []string
	for _, g := range gs {
		if g == "" {
			g = `""`
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// chain formats subject → binding → role → rule.
func chain(g rbac.Grant) string {
	if g.BindingKind == "" {
		return "member of system:masters (bypasses RBAC)"
	}
	b := g.BindingName
	if g.BindingNamespace != "" {
		b = g.BindingNamespace + "/" + b
	}
	return fmt.Sprintf("%s %s → %s %s → rules[%d]", g.BindingKind, b, g.RoleKind, g.RoleName, g.RuleIndex)
}

// structured writes v for -o json or -o yaml and reports whether it did.
func (o *rbacOptions) structured(streams IO, v any) (bool, error) {
	switch o.output {
	case "json":
		return true, writeJSON(streams.Out, v)
	case "yaml":
		return true, writeYAML(streams.Out, v)
	}
	return false, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeYAML writes v as YAML with its JSON field names.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	y, err := sigsyaml.JSONToYAML(b)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}
