package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "secret-in-args", Title: "Secret in command or args", Severity: api.SeverityHigh, Category: api.CategorySecrets,
			Rationale:   "Command lines are stored in the workload object and are visible to every process on the node through /proc and in `ps`.",
			Remediation: "Read the credential from a mounted Secret file (most tools take --password-file or an env var from a file); rotate the exposed credential.",
			Example:     "args: [\"--password-file=/var/run/secrets/db/password\"]\nvolumeMounts:\n- name: db\n  mountPath: /var/run/secrets/db\n  readOnly: true",
			References:  []api.Reference{nsa("Network separation and hardening: secrets"), mitreCredsFiles},
		},
		Scope: ScopeWorkload,
		Check: checkSecretInArgs,
	})
}

func checkSecretInArgs(in *Input) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		for _, list := range []struct {
			name string
			args []string
		}{{"command", c.C.Command}, {"args", c.C.Args}} {
			for j := range list.args {
				key, val := flagValue(list.args, j)
				for _, m := range secrets.Scan(key, val) {
					what, sev := evidence(m)
					v := containerViolation(c, "", list.name+"/"+itoa(j)+"/"+m.Detector, "%s[%d] holds a %s", list.name, j, what)
					v.Field, v.Severity = c.Field(list.name+"["+itoa(j)+"]"), sev
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// flagValue reads argument j as a flag value: "--password=x" gives
// ("password", "x"); "x" after a bare "--password" gives ("password", "x");
// anything else is a value without a name.
func flagValue(args []string, j int) (key, value string) {
	a := args[j]
	if strings.HasPrefix(a, "-") {
		if k, v, ok := strings.Cut(strings.TrimLeft(a, "-"), "="); ok {
			return k, v
		}
		return "", "" // a bare flag; its value is the next argument
	}
	if j > 0 && strings.HasPrefix(args[j-1], "-") && !strings.Contains(args[j-1], "=") {
		return strings.TrimLeft(args[j-1], "-"), a
	}
	return "", a
}
