package rules

import (
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
)

// minSafeID is the lowest UID/GID that cannot collide with a host account.
const minSafeID = 10000

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-low-uid", Title: "Runs with a low or unset UID/GID", Severity: api.SeverityLow, Category: api.CategoryHardening,
			Rationale:   "UIDs and GIDs below 10000 overlap the accounts of the node; a process that escapes the container keeps that identity's files and privileges. Left unset, the image decides, often root. GID 0 gives access to root-group files.",
			Remediation: "Set runAsUser and runAsGroup to 10000 or more in the pod securityContext (containers inherit them).",
			Example:     "spec:\n  securityContext:\n    runAsUser: 10001\n    runAsGroup: 10001\n    runAsNonRoot: true",
			References:  []api.Reference{nsa("Pod security: non-root containers and rootless container engines"), mitrePrivEsc},
		},
		Scope: ScopeWorkload,
		Check: checkLowUID,
	})
}

func checkLowUID(in *Input) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		u, g := c.Security.RunAsUser, c.Security.RunAsGroup
		switch {
		case !u.Set && !g.Set:
			// One fact: the image decides both.
			out = append(out, containerViolation(c, "securityContext.runAsUser", "uid", "runAsUser and runAsGroup are not set, so the image's user and group apply (often root)"))
		case !u.Set:
			out = append(out, containerViolation(c, "securityContext.runAsUser", "uid", "runAsUser is not set, so the image's user applies"))
		case u.Value < minSafeID:
			v := containerViolation(c, "", "uid", "runAsUser %d is below %d", u.Value, minSafeID)
			v.Field = workload.FieldOf(c, u)
			if u.Value != 0 {
				v.Covers = []string{c.Name + "/low-uid"} // a fact no PSS check states
			}
			out = append(out, v)
		}
		if !g.Set && u.Set {
			v := containerViolation(c, "securityContext.runAsGroup", "gid", "runAsGroup is not set, so the image's group applies (often GID 0, the root group)")
			v.Covers = []string{c.Name + "/gid"}
			out = append(out, v)
		}
		if g.Set && g.Value < minSafeID {
			v := containerViolation(c, "", "gid", "runAsGroup %d is below %d", g.Value, minSafeID)
			if g.Value == 0 {
				v.Message = c.String() + ": runAsGroup 0 is the root group"
			}
			v.Field = workload.FieldOf(c, g)
			v.Covers = []string{c.Name + "/gid"} // a fact no PSS check states
			out = append(out, v)
		}
	}
	return out
}
