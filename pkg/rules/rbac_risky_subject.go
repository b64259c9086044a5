package rules

import (
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
)

// riskyWeight is the lowest risk weight reported in scans (the per-role
// rules already cover secret read, exec and workload creation).
const riskyWeight = 40

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "rbac-risky-subject", Title: "Binding gives a subject high-impact capabilities", Severity: api.SeverityHigh, Category: api.CategoryRBAC,
			Rationale:   "Seen from the subject, some grants amount to owning the cluster: admin equivalence, escalate/bind, impersonation, nodes/proxy, webhook or RBAC management, CSR approval, minting tokens. `guardrail rbac risks` ranks every subject; this rule puts the bindings that grant these in the scan.",
			Remediation: "Replace the bound role with one that grants only what the subject needs, or bind it in a namespace instead of cluster-wide; `guardrail rbac can SUBJECT` lists what it holds.",
			Example:     "roleRef:\n  kind: Role\n  name: deployer   # namespaced, only the verbs the pipeline uses",
			References:  []api.Reference{cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"), mitreValidAcct},
		},
		Scope:       ScopeObject,
		Kinds:       bindingKinds,
		CrossObject: true,
		Reads:       everywhere(kindRole, kindClusterRole, kindRoleBinding, kindClusterRoleBinding),
		Check: func(in *Input) []Violation {
			grants := riskyGrants(in.Inventory)[in.Object.GVK.Kind+"/"+in.Object.Namespace()+"/"+in.Object.Name()]
			var out []Violation
			for _, subject := range sortedKeys(grants) {
				risks := grants[subject]
				if len(risks.high) > 0 {
					sort.Strings(risks.high)
					out = append(out, Violation{Message: subject + " gains: " + strings.Join(risks.high, "; "), Field: "roleRef", Key: "subject/" + subject})
				}
				if len(risks.medium) > 0 {
					out = append(out, Violation{Message: subject + " gains: " + strings.Join(risks.medium, "; "), Field: "roleRef",
						Key: "subject/" + subject + "/medium", Severity: severity(api.SeverityMedium)})
				}
			}
			return out
		},
	})
}

// riskyGrants indexes, per binding ("Kind/ns/name"), the subjects it gives
// high-impact capabilities to, computed once per inventory with the same
// authorizer semantics and risk catalogue as `guardrail rbac risks`.
func riskyGrants(inv *inventory.Inventory) map[string]map[string]*subjectRisks {
	kinds := append(append(roleKinds[:0:0], roleKinds...), bindingKinds...)
	return inv.MemoKinds("rules/risky-grants", kinds, func(inv *inventory.Inventory) any {
		var objs []*inventory.Object
		for _, gk := range append(append(roleKinds[:0:0], roleKinds...), bindingKinds...) {
			objs = append(objs, inv.ByKind(gk)...)
		}
		out := map[string]map[string]*subjectRisks{}
		for _, rs := range rbac.FromObjects(objs).RiskReport() {
			for _, rg := range rs.Risks {
				if rg.Risk.Weight < riskyWeight && !mediumRisks[rg.Risk.ID] {
					continue
				}
				g := rg.Grant
				key := g.BindingKind + "/" + g.BindingNamespace + "/" + g.BindingName
				subject := rs.Subject.Kind + " " + strings.TrimPrefix(rs.Subject.Namespace+"/"+rs.Subject.Name, "/")
				if out[key] == nil {
					out[key] = map[string]*subjectRisks{}
				}
				if out[key][subject] == nil {
					out[key][subject] = &subjectRisks{}
				}
				scope := "cluster-wide"
				if rg.Scope != "" {
					scope = "in " + rg.Scope
				}
				sr := out[key][subject]
				what := rg.Risk.Title
				if len(rg.Resources) > 0 {
					what += ": " + strings.Join(rg.Resources, ", ")
				}
				if rg.Risk.Weight >= riskyWeight {
					sr.high = append(sr.high, what+" ("+scope+")")
				} else {
					sr.medium = append(sr.medium, what+" ("+scope+")")
				}
			}
		}
		return out
	}).(map[string]map[string]*subjectRisks)
}

// subjectRisks are a subject's risky capabilities through one binding,
// split by how the scan grades them.
type subjectRisks struct{ high, medium []string }

// mediumRisks are the catalogue's lower-weight risks that no per-role rule
// reports (rbac-pod-exec, rbac-secret-read and rbac-workload-create cover
// theirs): the scan reports them at medium, in catalogue order.
var mediumRisks = map[string]bool{"ephemeral-containers": true, "write-networkpolicies": true, "write-configmaps-cluster-wide": true,
	"patch-nodes": true, "destroy": true, "delete-events": true, "create-pv": true, "relabel": true}
