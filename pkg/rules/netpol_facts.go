package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
)

// segmentation is the reachability model of the inventory, built once.
func segmentation(inv *inventory.Inventory) *netpol.Model {
	return inv.Memo("rules/netpol", func(inv *inventory.Inventory) any { return netpol.FromInventory(inv) }).(*netpol.Model)
}

// podOf finds the model's pod for a workload object.
func podOf(m *netpol.Model, o *inventory.Object) *netpol.Pod {
	return m.Pod(o.Namespace() + "/" + o.GVK.Kind + "/" + o.Name())
}

// probe is a hypothetical pod: no labels, in a namespace of its own.
func probe(ns string, labels map[string]string) *netpol.Pod {
	return &netpol.Pod{Namespace: ns, Name: "probe", Labels: labels}
}

// workloadPod returns the segmentation model and the checked workload's
// pod in it (nil when the object is not a workload). A host-network pod is
// also nil: NetworkPolicies do not govern it (it uses the node's address,
// and pss-host-namespaces already reports that), so every segmentation
// finding on it would repeat one fact.
func workloadPod(in *Input) (*netpol.Model, *netpol.Pod) {
	m := segmentation(in.Inventory)
	p := podOf(m, in.Object)
	if p != nil && p.HostNetwork {
		return m, nil
	}
	return m, p
}
