package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "workload-kube-system", Title: "Workload in kube-system", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale: "kube-system holds the control plane's own credentials and is often exempt from Pod Security and admission policies; an application there sits next to the most privileged service accounts. " +
				"A workload that declares itself a cluster component (priority class system-cluster-critical or system-node-critical, which the API server grants only in kube-system by default, " +
				"or the addon manager's labels) is reported at low: it belongs there, and only the explicit exception is left to write.",
			Remediation: "Move application workloads to their own namespace; keep kube-system for cluster components and except those explicitly.",
			Example:     "metadata:\n  namespace: shop",
			References:  []api.Reference{nsa("Network separation and hardening: namespaces"), mitreValidAcct},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			if in.Object.Namespace() != "kube-system" {
				return nil
			}
			v := Violation{Message: "metadata.namespace is \"kube-system\"", Field: "metadata.namespace"}
			if why := clusterComponent(in); why != "" {
				v.Message += " and it is a cluster component (" + why + "): except it explicitly"
				v.Severity = severity(api.SeverityLow)
			}
			return []Violation{v}
		},
	})
}

// clusterComponent says why a kube-system workload declares itself part of
// the cluster, or "" when nothing does.
func clusterComponent(in *Input) string {
	switch pc := in.Workload.Spec.PriorityClassName; pc {
	case "system-cluster-critical", "system-node-critical":
		return "priorityClassName " + pc
	}
	labels := in.Object.Meta.GetLabels()
	if m := labels["addonmanager.kubernetes.io/mode"]; m != "" {
		return "addonmanager.kubernetes.io/mode=" + m
	}
	if labels["kubernetes.io/cluster-service"] == "true" {
		return "kubernetes.io/cluster-service=true"
	}
	return ""
}
