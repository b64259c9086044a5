package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-env-from-secret", Title: "Secret passed as an environment variable", Severity: api.SeverityLow, Category: api.CategorySecrets,
			Rationale:   "Environment variables leak: they are inherited by every child process, written to crash dumps and debug endpoints, and cannot be rotated without a restart. Files from a Secret volume are updated in place.",
			Remediation: "Mount the Secret as a volume and read the file, instead of env valueFrom.secretKeyRef or envFrom.secretRef.",
			Example:     "volumeMounts:\n- name: creds\n  mountPath: /var/run/secrets/app\n  readOnly: true",
			References:  []api.Reference{cis("5.4.1", "Prefer using Secrets as files over Secrets as environment variables"), mitreCredsFiles},
		},
		Scope: ScopeWorkload,
		Check: func(in *Input) []Violation {
			var out []Violation
			for i := range in.Workload.Containers {
				c := &in.Workload.Containers[i]
				for j, e := range c.C.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						r := e.ValueFrom.SecretKeyRef
						v := containerViolation(c, "", "env/"+e.Name, "env %s is read from Secret %q key %q", e.Name, r.Name, r.Key)
						v.Field = c.Field("env[" + itoa(j) + "].valueFrom.secretKeyRef")
						out = append(out, v)
					}
				}
				for j, e := range c.C.EnvFrom {
					if e.SecretRef != nil {
						v := containerViolation(c, "", "envFrom/"+e.SecretRef.Name, "envFrom imports every key of Secret %q", e.SecretRef.Name)
						v.Field = c.Field("envFrom[" + itoa(j) + "].secretRef")
						out = append(out, v)
					}
				}
			}
			return out
		},
	})
}
