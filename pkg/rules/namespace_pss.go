package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Pod Security Admission label rules read the same three labels and
// share this file; each is a separate rule so each can be excepted alone.

const (
	psaEnforce = "pod-security.kubernetes.io/enforce"
	psaWarn    = "pod-security.kubernetes.io/warn"
	psaAudit   = "pod-security.kubernetes.io/audit"
)

var psaRefs = []api.Reference{pss("Pod Security Admission"), nsa("Pod security: Pod Security enforcement"), mitreDeploy}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-pss-missing", Title: "Namespace without Pod Security labels", Severity: api.SeverityMedium, Category: api.CategoryPodSecurity,
			Rationale:   "Without pod-security.kubernetes.io labels the namespace gets the cluster default, which is privileged unless configured: any pod is admitted.",
			Remediation: "Label the namespace with pod-security.kubernetes.io/enforce: restricted (or baseline), and warn/audit at restricted.",
			Example:     "metadata:\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: latest",
			References:  psaRefs,
		},
		Scope:              ScopeObject,
		CrossObject:        true, // reads the namespace's workloads for its severity
		SeverityByExposure: true,
		Kinds:              []schema.GroupKind{kindNamespace},
		Reads:              inNamespace(WorkloadKind),
		Check: func(in *Input) []Violation {
			l := in.Object.Meta.GetLabels()
			_, e := l[psaEnforce]
			_, w := l[psaWarn]
			_, a := l[psaAudit]
			if e || w || a {
				return nil
			}
			return []Violation{{Message: "no pod-security.kubernetes.io labels: the cluster default level applies", Field: "metadata.labels"}}
		},
	})
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-pss-privileged", Title: "Namespace enforces the privileged level", Severity: api.SeverityHigh, Category: api.CategoryPodSecurity,
			Rationale:   "enforce: privileged admits any pod, including privileged containers and host namespaces.",
			Remediation: "Enforce baseline or restricted; isolate the few workloads that need privileges in a dedicated, tightly controlled namespace.",
			Example:     "metadata:\n  labels:\n    pod-security.kubernetes.io/enforce: baseline",
			References:  psaRefs,
		},
		Scope:              ScopeObject,
		CrossObject:        true, // reads the namespace's workloads for its severity
		SeverityByExposure: true,
		Kinds:              []schema.GroupKind{kindNamespace},
		Reads:              inNamespace(WorkloadKind),
		Check: func(in *Input) []Violation {
			if in.Object.Meta.GetLabels()[psaEnforce] == "privileged" {
				return []Violation{{Message: psaEnforce + " is privileged: any pod is admitted", Field: "metadata.labels[" + psaEnforce + "]"}}
			}
			return nil
		},
	})
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "namespace-pss-not-enforced", Title: "Pod Security only warns or audits", Severity: api.SeverityMedium, Category: api.CategoryPodSecurity,
			Rationale:   "warn and audit labels report violations but admit the pod; without enforce the namespace is under supervision, not protection.",
			Remediation: "Add pod-security.kubernetes.io/enforce once the warnings are resolved.",
			Example:     "metadata:\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/audit: restricted",
			References:  psaRefs,
		},
		Scope:              ScopeObject,
		CrossObject:        true, // reads the namespace's workloads for its severity
		SeverityByExposure: true,
		Kinds:              []schema.GroupKind{kindNamespace},
		Reads:              inNamespace(WorkloadKind),
		Check: func(in *Input) []Violation {
			l := in.Object.Meta.GetLabels()
			if _, e := l[psaEnforce]; e {
				return nil
			}
			for _, k := range []string{psaWarn, psaAudit} {
				if v, ok := l[k]; ok {
					return []Violation{{Message: k + " is " + v + " but nothing is enforced", Field: "metadata.labels[" + k + "]"}}
				}
			}
			return nil
		},
	})
}
