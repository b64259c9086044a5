package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-readonly-rootfs", Title: "Root filesystem is writable", Severity: api.SeverityMedium, Category: api.CategoryHardening,
			Rationale:   "A writable root filesystem lets an intruder drop tools, alter binaries and persist inside the container.",
			Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application must write.",
			Example:     "securityContext:\n  readOnlyRootFilesystem: true\nvolumeMounts:\n- name: tmp\n  mountPath: /tmp",
			References:  []api.Reference{nsa("Pod security: immutable container file systems"), mitreImplant},
		},
		Scope: ScopeWorkload,
		Check: checkReadOnlyRootFS,
	})
}

func checkReadOnlyRootFS(in *Input) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		c := &in.Workload.Containers[i]
		if s := c.Security.ReadOnlyRootFilesystem; !s.Set || !s.Value {
			out = append(out, containerViolation(c, "securityContext.readOnlyRootFilesystem", "rootfs",
				"securityContext.readOnlyRootFilesystem is not true"))
		}
	}
	return out
}
