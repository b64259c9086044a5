package rules

import (
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// dangerousCapabilities maps each capability that breaks container isolation
// to what it gives an attacker.
var dangerousCapabilities = map[string]string{
	"ALL":             "every capability",
	"SYS_ADMIN":       "near-root: mount, namespaces, BPF and more",
	"NET_ADMIN":       "reconfigure interfaces, routes and firewall rules",
	"SYS_PTRACE":      "trace and inject into other processes",
	"SYS_MODULE":      "load kernel modules",
	"DAC_READ_SEARCH": "read any file, bypassing permissions (shocker escape)",
	"DAC_OVERRIDE":    "write any file, bypassing permissions",
	"SYS_RAWIO":       "raw device and port I/O",
	"SYS_BOOT":        "reboot the node",
	"SYS_TIME":        "set the node clock",
	"BPF":             "load BPF programs",
	"PERFMON":         "observe kernel and other processes",
	"MAC_ADMIN":       "change mandatory access control policy",
	"MAC_OVERRIDE":    "bypass mandatory access control",
	"NET_RAW":         "craft raw packets (ARP and DNS spoofing)",
	"SETFCAP":         "grant file capabilities",
	"SYSLOG":          "read kernel logs and addresses",
}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-dangerous-capabilities", Title: "Dangerous capability added", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or SYS_MODULE give a container powers that lead to escaping to the node or attacking its neighbours.",
			Remediation: "Remove the capability from securityContext.capabilities.add; drop ALL and add back only what the process needs (usually NET_BIND_SERVICE at most).",
			Example:     "securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
			References:  []api.Reference{cis("5.2.8", "Minimize the admission of containers with the NET_RAW capability"), cis("5.2.9", "Minimize the admission of containers with added capabilities"), mitreEscape},
		},
		Scope:    ScopeWorkload,
		Subsumes: []string{"pss-capabilities-baseline", "pss-capabilities-restricted"},
		Check:    checkDangerousCapabilities,
	})
}

func checkDangerousCapabilities(in *Input) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		for j, add := range c.Security.Capabilities.Value.Add {
			name := strings.TrimPrefix(strings.ToUpper(string(add)), "CAP_")
			if what, ok := dangerousCapabilities[name]; ok {
				v := containerViolation(c, "securityContext.capabilities.add", "cap/"+name, "adds capability %s (%s)", name, what)
				v.Field = c.Field("securityContext.capabilities.add") + "[" + itoa(j) + "]"
				out = append(out, v)
			}
		}
	}
	return out
}
