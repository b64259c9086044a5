package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// CNI DaemonSets by whether the plugin enforces NetworkPolicies, matched by
// name prefix in kube-system (and the CNIs' own namespaces).
var (
	nonEnforcingCNIs = []string{"kube-flannel", "flannel", "kindnet"}
	enforcingCNIs    = []string{"calico-node", "canal", "cilium", "weave-net", "antrea-agent", "kube-router",
		"kube-network-policies", "azure-npm", "romana", "kube-ovn", "ovnkube-node", "aws-network-policy-agent"}
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "networkpolicy-not-enforced", Title: "NetworkPolicies under a CNI that does not enforce them", Severity: api.SeverityHigh, Category: api.CategoryNetwork,
			Rationale:   "NetworkPolicy is enforced by the network plugin, not the API server. Flannel or kindnet alone accept the objects and ignore them: the policies are paper, every pod still reaches every pod.",
			Remediation: "Run a CNI that enforces NetworkPolicy (Calico, Cilium, Antrea...), or add an enforcer beside the current one (Canal, kube-network-policies).",
			Example:     "# e.g. Canal: Flannel networking with Calico policy enforcement\nkubectl apply -f canal.yaml",
			References:  []api.Reference{nsa("Network separation and hardening: network policies"), mitreImpairDef},
		},
		JudgesPlatform: true,
		Scope:          ScopeWorkload,
		CrossObject:    true,
		Input:          ClusterOnly,
		Reads:          everywhere(WorkloadKind, kindNetworkPolicy),
		Check: func(in *Input) []Violation {
			if in.Object.GVK.Kind != "DaemonSet" || !hasPrefix(in.Object.Name(), nonEnforcingCNIs) {
				return nil
			}
			cni := cniFacts(in.Inventory)
			if cni.enforcing || cni.policies == 0 {
				return nil
			}
			return []Violation{{Message: "DaemonSet " + in.Object.Name() + " is a CNI that does not enforce NetworkPolicy, and no enforcing CNI runs: " +
				itoa(cni.policies) + " NetworkPolicies in " + itoa(cni.namespaces) + " namespaces protect nothing", Field: "metadata.name"}}
		},
	})
}

type cniSummary struct {
	enforcing            bool
	policies, namespaces int
}

func cniFacts(inv *inventory.Inventory) cniSummary {
	return inv.Memo("rules/cni", func(inv *inventory.Inventory) any {
		var s cniSummary
		for _, ns := range inv.Namespaces() {
			for _, o := range inv.Workloads(ns) {
				if o.GVK.Kind == "DaemonSet" && hasPrefix(o.Name(), enforcingCNIs) {
					s.enforcing = true
				}
			}
		}
		seen := map[string]bool{}
		for _, np := range inv.ByKind(kindNetworkPolicy) {
			s.policies++
			seen[np.Namespace()] = true
		}
		s.namespaces = len(seen)
		return s
	}).(cniSummary)
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
