package rules

import (
	"net/netip"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
)

// metadataEndpoints are the cloud instance metadata services (IMDS).
var metadataEndpoints = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "netpol-egress-metadata", Title: "Egress allowed to the cloud metadata endpoint", Severity: api.SeverityHigh, Category: api.CategoryNetwork,
			Rationale:   "The instance metadata service hands out the node's cloud credentials; a pod that can reach 169.254.169.254 (or fd00:ec2::254) can often act as the node in the cloud account.",
			Remediation: "Except the metadata addresses from broad egress ipBlocks, or allow only the destinations the workload needs.",
			Example:     "egress:\n- to:\n  - ipBlock:\n      cidr: 0.0.0.0/0\n      except: [169.254.169.254/32]",
			References:  []api.Reference{mitre("T1552.005", "Unsecured Credentials: Cloud Instance Metadata API")},
		},
		Scope:       ScopeWorkload,
		CrossObject: true,
		Reads:       reads(everywhere(kindNetworkPolicy, kindNamespace, kindNode), inNamespace(kindService)),
		Check: func(in *Input) []Violation {
			m, src := workloadPod(in)
			if src == nil {
				return nil
			}
			for _, addr := range metadataEndpoints {
				e := m.CheckExternal(src, addr, 80, "")
				// Not isolated for egress: everything is reachable, and the
				// namespace default-deny rules report that.
				if e.Egress.Isolated && e.Verdict == netpol.Allow {
					return []Violation{{Message: "egress to " + addr.String() + " (cloud metadata) is allowed by " + joinList(dedupe(e.Egress.Because)),
						Field: in.Workload.Field("containers"), Key: "metadata"}}
				}
			}
			return nil
		},
	})
}
