package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-no-network-policy", Title: "Namespace without any NetworkPolicy", Severity: api.SeverityHigh, Category: api.CategoryNetwork,
			Rationale:   "With no NetworkPolicy every pod of the namespace accepts connections from, and connects to, every pod of the cluster: one compromised pod reaches all of them.",
			Remediation: "Add a default-deny NetworkPolicy for ingress and egress, then allow the flows the workloads need (`guardrail netpol generate` writes them from intents).",
			Example:     "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]",
			References:  []api.Reference{cis("5.3.2", "Ensure that all Namespaces have Network Policies defined"), nsa("Network separation and hardening: network policies"), mitre("T1210", "Exploitation of Remote Services")},
		},
		Scope:              ScopeNamespace,
		SeverityByExposure: true,
		Reads:              inNamespace(kindNetworkPolicy, WorkloadKind, kindNamespace),
		Check: func(in *Input) []Violation {
			if !namespaceInScope(in) || len(networkPolicies(in.Inventory, in.Namespace)) > 0 {
				return nil
			}
			return []Violation{{Message: "namespace " + quote(in.Namespace) + " has no NetworkPolicy in the scanned input", Field: "metadata.name", Key: "ns/" + in.Namespace}}
		},
	})
}
