package cli

import (
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"github.com/guardrail-k8s/guardrail/pkg/platform"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	"github.com/guardrail-k8s/guardrail/pkg/report"
)

// maxGraphWorkloads bounds the network drawn in an HTML report: above it
// the matrix (quadratic in unisolated workloads) is left out, and the
// page says to use netpol matrix on a namespace.
const maxGraphWorkloads = 3000

// setHTMLContext gives an HTML printer the objects per namespace and the
// network matrix of what was scanned, with the default peers.
func setHTMLContext(p report.Printer, inv *inventory.Inventory, source string, live bool) {
	if cs, ok := p.(report.ContextSetter); ok && inv != nil {
		cs.SetContext(htmlContext(inv, source, live))
	}
}

// htmlContext is what the HTML page shows besides the findings.
func htmlContext(inv *inventory.Inventory, source string, live bool) report.Context {
	c := report.Context{ObjectsPerNamespace: map[string]int{}, Source: source}
	workloads := 0
	for _, o := range inv.Objects() {
		c.ObjectsPerNamespace[o.Namespace()]++
		if o.Workload != nil {
			workloads++
		}
	}
	if workloads > 0 && workloads <= maxGraphWorkloads {
		m := netpol.FromInventory(inv)
		m.SetPeers(netpol.DefaultPeers())
		rep := m.NewMatrixReport(netpol.EdgeOptions{})
		c.Network, c.Because = &rep, m.Because
	}
	c.RBAC = rbacChains(inv, live)
	return c
}

// maxRBACChains bounds the RBAC graph: the riskiest subjects first.
const maxRBACChains = 400

// rbacChains are the chains of `rbac risks` (live: as the cluster holds
// them; manifests: with the bootstrap ClusterRoles), riskiest subjects first,
// without the platform's own (as rbac risks splits them), which a user
// cannot act on.
func rbacChains(inv *inventory.Inventory, live bool) []report.RBACChain {
	var out []report.RBACChain
	objs := inv.Objects()
	if !live {
		objs = withBootstrapRoles(objs, false) // manifests bind the API server's built-in roles, as rbac risks reads them
	}
	users, _ := platform.SplitRisks(rbac.FromObjects(objs).RiskReport())
	for _, s := range users {
		sub := s.Subject
		name := sub.Kind + " " + sub.Name
		if sub.Namespace != "" {
			name = sub.Kind + " " + sub.Namespace + "/" + sub.Name
		}
		for _, r := range s.Risks {
			g := r.Grant
			b := g.BindingKind + " " + g.BindingName
			if g.BindingNamespace != "" {
				b = g.BindingKind + " " + g.BindingNamespace + "/" + g.BindingName
			}
			scope := r.Scope
			if scope == "" {
				scope = "cluster-wide"
			}
			out = append(out, report.RBACChain{Subject: name, Score: s.Score, Binding: b, Role: g.RoleKind + " " + g.RoleName, Risk: r.Risk.Title, Scope: scope})
			if len(out) >= maxRBACChains {
				return out
			}
		}
	}
	return out
}
