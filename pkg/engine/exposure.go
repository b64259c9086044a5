package engine

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// exposure grades what runs in a namespace, for rules whose severity
// follows it (rules.Rule.SeverityByExposure).
type exposure int

const (
	// exposureEmpty: the namespace runs no workload.
	exposureEmpty exposure = iota
	// exposureWorkloads: workloads run, no Service selects them.
	exposureWorkloads
	// exposureService: a Service selects the namespace's pods.
	exposureService
)

// exposureOf grades namespace ns of inv.
func exposureOf(inv *inventory.Inventory, ns string) exposure {
	if len(inv.Workloads(ns)) == 0 {
		return exposureEmpty
	}
	for _, o := range inv.InNamespace(ns) {
		svc, ok := o.Obj.(*corev1.Service)
		if !ok || len(svc.Spec.Selector) == 0 {
			continue
		}
		if len(inv.PodsMatching(ns, labels.SelectorFromSet(svc.Spec.Selector))) > 0 {
			return exposureService
		}
	}
	return exposureWorkloads
}

// exposedSeverity is def graded by exposure x: at most low where nothing
// runs, def where workloads run, one level higher where a Service selects
// them.
func exposedSeverity(def api.Severity, x exposure) *api.Severity {
	s := def
	switch x {
	case exposureEmpty:
		s = min(def, api.SeverityLow)
	case exposureService:
		s = min(def+1, api.SeverityCritical)
	}
	return &s
}
