package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

// The two default-deny rules differ only in direction; they share this file
// because they are one check applied twice.

func init() {
	for _, egress := range []bool{false, true} {
		dir, id, example := "ingress", "namespace-no-default-deny-ingress", "policyTypes: [Ingress]"
		if egress {
			dir, id, example = "egress", "namespace-no-default-deny-egress", "policyTypes: [Egress]"
		}
		register(Rule{
			RuleInfo: api.RuleInfo{
				ID: id, Title: "No default-deny " + dir + " policy", Severity: api.SeverityMedium, Category: api.CategoryNetwork,
				Rationale:   "NetworkPolicies only isolate the pods they select. Without a policy that selects every pod for " + dir + ", a new or relabelled pod is open by default: allow-lists never become deny-by-default.",
				Remediation: "Add a NetworkPolicy with podSelector: {} and " + example + " and no rules, next to the policies that allow the needed flows.",
				Example:     "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-" + dir + "\nspec:\n  podSelector: {}\n  " + example,
				References:  []api.Reference{cis("5.3.2", "Ensure that all Namespaces have Network Policies defined"), nsa("Network separation and hardening: network policies")},
			},
			Scope:              ScopeNamespace,
			SeverityByExposure: true,
			Reads:              inNamespace(kindNetworkPolicy, WorkloadKind, kindNamespace),
			Check:              noDefaultDeny(egress, dir),
		})
	}
}

func noDefaultDeny(egress bool, dir string) func(*Input) []Violation {
	return func(in *Input) []Violation {
		if !namespaceInScope(in) {
			return nil
		}
		nps := networkPolicies(in.Inventory, in.Namespace)
		if len(nps) == 0 {
			return nil // namespace-no-network-policy reports this namespace
		}
		for _, np := range nps {
			if defaultDeny(np, egress) {
				return nil
			}
		}
		return []Violation{{Message: "namespace " + quote(in.Namespace) + " has NetworkPolicies but none denies " + dir + " by default", Field: "metadata.name", Key: "ns/" + in.Namespace}}
	}
}
