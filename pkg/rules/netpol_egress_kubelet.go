package rules

import (
	"fmt"
	"net/netip"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	corev1 "k8s.io/api/core/v1"
)

// nodePorts are the node services a workload has no business calling.
var nodePorts = []struct {
	port int32
	name string
}{{10250, "kubelet API"}, {10255, "kubelet read-only API"}, {2379, "etcd"}}

// privateNodeProbes stand for node addresses when no Node objects are
// known: one address in each RFC 1918 range.
var privateNodeProbes = []netip.Addr{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("172.16.0.10"), netip.MustParseAddr("192.168.0.10")}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "netpol-egress-kubelet", Title: "Egress allowed to node kubelet or etcd ports", Severity: api.SeverityHigh, Category: api.CategoryNetwork,
			Rationale: "The kubelet API (10250, and the read-only 10255) runs commands in and reads from every pod of the node, and etcd (2379) holds the cluster's state; " +
				"a pod whose egress policy reaches node addresses on these ports is one misconfiguration away from the node. Broad private ipBlocks (10.0.0.0/8) usually cover the nodes.",
			Remediation: "Except the node CIDR from broad egress ipBlocks, or restrict the egress rule's ports to the ones the workload needs.",
			Example:     "egress:\n- to:\n  - ipBlock:\n      cidr: 10.0.0.0/8\n      except: [10.0.0.0/24]   # the nodes\n  ports:\n  - port: 443",
			References:  []api.Reference{mitre("T1613", "Container and Resource Discovery"), nsa("Network separation and hardening: network policies")},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(everywhere(kindNetworkPolicy, kindNamespace, kindNode), inNamespace(kindService)),
		Check: func(in *Input) []Violation {
			m, src := workloadPod(in)
			if src == nil {
				return nil
			}
			addrs, known := nodeAddresses(in.Inventory)
			for _, np := range nodePorts {
				for _, addr := range addrs {
					e := m.CheckExternal(src, addr, np.port, "")
					if !e.Egress.Isolated {
						return nil // not isolated for egress: the namespace default-deny rules report it
					}
					if e.Verdict != netpol.Allow {
						continue
					}
					what := "a private address where nodes usually live"
					if known {
						what = "node address"
					}
					return []Violation{{Message: fmt.Sprintf("egress to %s (%s) on %d (%s) is allowed by %s", addr, what, np.port, np.name, joinList(dedupe(e.Egress.Because))),
						Field: in.Workload.Field("containers"), Key: "node-ports"}}
				}
			}
			return nil
		},
	})
}

// nodeAddresses are the InternalIP and ExternalIP of the Node objects
// (a live scan) and known is true, or private probes when there are none
// (manifests).
func nodeAddresses(inv *inventory.Inventory) (addrs []netip.Addr, known bool) {
	found := inv.Memo("rules/node-addresses", func(inv *inventory.Inventory) any {
		var out []netip.Addr
		for _, o := range inv.ByKind(kindNode) {
			n, ok := o.Obj.(*corev1.Node)
			if !ok {
				continue
			}
			for _, a := range n.Status.Addresses {
				if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
					continue
				}
				if addr, err := netip.ParseAddr(a.Address); err == nil {
					out = append(out, addr)
				}
			}
		}
		return out
	}).([]netip.Addr)
	if len(found) == 0 {
		return privateNodeProbes, false
	}
	return found, true
}
