package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "ingress-no-tls", Title: "Ingress serves plain HTTP", Severity: api.SeverityMedium, Category: api.CategoryExposure,
			Rationale:   "Without TLS, credentials and session cookies cross the network in clear text and can be read or altered on the way.",
			Remediation: "Add spec.tls entries covering every host, with a certificate Secret (for example issued by cert-manager).",
			Example:     "spec:\n  tls:\n  - hosts: [app.example.com]\n    secretName: app-tls",
			References:  []api.Reference{nsa("Network separation and hardening"), mitre("T1040", "Network Sniffing")},
		},
		Scope: ScopeObject,
		Kinds: []schema.GroupKind{kindIngress},
		Check: func(in *Input) []Violation {
			ing, ok := in.Object.Obj.(*networkingv1.Ingress)
			if !ok {
				return nil
			}
			if len(ing.Spec.TLS) == 0 {
				return []Violation{{Message: "spec.tls is empty: every host is served over plain HTTP", Field: "spec", Key: "no-tls"}}
			}
			covered := map[string]bool{}
			for _, t := range ing.Spec.TLS {
				for _, h := range t.Hosts {
					covered[h] = true
				}
			}
			var out []Violation
			for i, r := range ing.Spec.Rules {
				if r.Host != "" && !covered[r.Host] && !covered[wildcardOf(r.Host)] {
					out = append(out, Violation{Message: "host " + r.Host + " is not covered by spec.tls", Field: "spec.rules[" + itoa(i) + "].host", Key: "host/" + r.Host})
				}
			}
			return out
		},
	})
}

// wildcardOf returns "*.example.com" for "a.example.com".
func wildcardOf(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			return "*" + host[i:]
		}
	}
	return ""
}
