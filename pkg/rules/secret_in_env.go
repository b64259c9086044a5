package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-in-env", Title: "Secret in an environment variable value", Severity: api.SeverityHigh, Category: api.CategorySecrets,
			Rationale:   "A literal credential in env is stored in the workload object, readable by anyone who can read Deployments, kept in Git and in last-applied annotations, and visible in `kubectl describe`.",
			Remediation: "Move the value to a Secret managed outside Git (External Secrets, Sealed Secrets, SOPS) and mount it as a file; rotate the exposed credential.",
			Example:     "volumeMounts:\n- name: db\n  mountPath: /var/run/secrets/db\n  readOnly: true\nvolumes:\n- name: db\n  secret:\n    secretName: db",
			References:  []api.Reference{cis("5.4.1", "Prefer using Secrets as files over Secrets as environment variables"), nsa("Network separation and hardening: secrets"), mitreCredsFiles},
		},
		Scope: ScopeWorkload,
		Check: checkSecretInEnv,
	})
}

func checkSecretInEnv(in *Input) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		for j, e := range c.C.Env {
			if e.ValueFrom != nil || e.Value == "" {
				continue
			}
			for _, m := range secrets.Scan(e.Name, e.Value) {
				what, sev := evidence(m)
				v := containerViolation(c, "", "env/"+e.Name+"/"+m.Detector, "env %s holds a %s", e.Name, what)
				v.Field, v.Severity = c.Field("env["+itoa(j)+"].value"), sev
				out = append(out, v)
			}
		}
	}
	return out
}
