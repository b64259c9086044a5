package cli

import (
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"github.com/guardrail-k8s/guardrail/pkg/report"
)

// maxGraphWorkloads bounds the network drawn in an HTML report: above it
// the matrix (quadratic in unisolated workloads) is left out, and the
// page says to use netpol matrix on a namespace.
const maxGraphWorkloads = 3000

// setHTMLContext gives an HTML printer the objects per namespace and the
// network matrix of what was scanned, with the default peers.
func setHTMLContext(p report.Printer, inv *inventory.Inventory, source string) {
	if cs, ok := p.(report.ContextSetter); ok && inv != nil {
		cs.SetContext(htmlContext(inv, source))
	}
}

// htmlContext is what the HTML page shows besides the findings.
func htmlContext(inv *inventory.Inventory, source string) report.Context {
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
	return c
}
