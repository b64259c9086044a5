package engine

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// evalNamespaces runs the namespace rules once per namespace of inv, with
// cp's cached violations where nothing they read changed.
func (e *Engine) evalNamespaces(inv *inventory.Inventory, cp *crossPass, t *tally) []raw {
	var out []raw
	if len(e.cross.namespace) == 0 {
		return out
	}
	for _, ns := range inv.Namespaces() {
		nsObj := inv.NamespaceObject(ns)
		anchor := nsObj
		if anchor == nil {
			if objs := inv.InNamespace(ns); len(objs) > 0 {
				anchor = objs[0]
			}
		}
		if anchor == nil {
			continue
		}
		in := rules.Input{Object: nsObj, Namespace: ns, Inventory: inv, Settings: &e.settings}
		exp := -1 // exposure of the namespace, computed on first need
		installedInto := nsObj == nil && renderedOnly(inv.InNamespace(ns))
		entry := cp.namespaceEntry(ns, nsObj)
		for _, r := range e.cross.namespace {
			t.checks[r.Severity]++
			vs, _, _ := cp.check(r, &in, entry, ns)
			for _, v := range vs {
				o := v.Object
				if o == nil {
					o = anchor
				}
				if r.SeverityByExposure && v.Severity == nil {
					if exp < 0 {
						exp = int(exposureOf(inv, ns))
					}
					v.Severity = exposedSeverity(r.Severity, exposure(exp))
				}
				if installedInto {
					// A chart is installed into a namespace someone else
					// creates and guards: its NetworkPolicies and Pod
					// Security labels belong with that namespace, not in
					// the chart. Still worth knowing, not a gate.
					sev := min(r.Severity, api.SeverityLow)
					if v.Severity != nil {
						sev = min(*v.Severity, api.SeverityLow)
					}
					v.Severity = &sev
					v.Message += " (a Helm chart's release namespace: the chart does not create it, so its policies are the namespace owner's; enable the chart's own NetworkPolicy values if it has them)"
				}
				out = append(out, raw{rule: r, obj: o, v: v, namespace: ns})
			}
		}
	}
	return out
}

// renderedOnly reports whether every object of a namespace came from a
// Helm chart's rendering.
func renderedOnly(objs []*inventory.Object) bool {
	for _, o := range objs {
		if o.Rendered == nil {
			return false
		}
	}
	return len(objs) > 0
}
