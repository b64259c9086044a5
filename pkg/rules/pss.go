package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// The Pod Security Standards family is not re-implemented: each upstream
// check of k8s.io/pod-security-admission/policy becomes one Guardrail rule,
// evaluated by the official evaluator at the selected version. The table
// below gives each check its stable Guardrail ID and metadata; the registry
// test fails when upstream adds a check that the table does not name.
//
// These rules share one file because their logic is upstream's: the file
// holds only the mapping, not checks.

type pssMeta struct {
	id, title, control string
	subsumes           []string
	severity           api.Severity
	rationale, fix     string
	example            string
	refs               []api.Reference
}

var pssChecks = map[policy.CheckID]pssMeta{
	"privileged": {id: "pss-privileged", title: "Privileged container", control: "Privileged Containers", severity: api.SeverityCritical,
		rationale: "A privileged container has all capabilities and full access to the host's devices; escaping to the node is trivial.",
		fix:       "Remove securityContext.privileged or set it to false.", example: "securityContext:\n  privileged: false",
		refs: []api.Reference{cis("5.2.2", "Minimize the admission of privileged containers"), nsa("Pod security: non-root containers and rootless container engines"), mitreEscape}},
	"hostNamespaces": {id: "pss-host-namespaces", title: "Host namespaces shared", control: "Host Namespaces", severity: api.SeverityHigh,
		rationale: "hostNetwork, hostPID or hostIPC put the pod in the node's namespaces: it sees node traffic and processes and bypasses NetworkPolicies.",
		fix:       "Remove hostNetwork, hostPID and hostIPC, or set them to false.", example: "spec:\n  hostNetwork: false\n  hostPID: false\n  hostIPC: false",
		refs: []api.Reference{cis("5.2.3", "Minimize the admission of containers wishing to share the host process ID namespace"), cis("5.2.4", "Minimize the admission of containers wishing to share the host IPC namespace"), cis("5.2.5", "Minimize the admission of containers wishing to share the host network namespace"), mitreEscape}},
	"hostPathVolumes": {id: "pss-host-path-volumes", title: "hostPath volume", control: "HostPath Volumes", severity: api.SeverityHigh,
		rationale: "A hostPath volume exposes the node's filesystem to the container.",
		fix:       "Use a persistentVolumeClaim, configMap, secret, emptyDir or projected volume instead of hostPath.", example: "volumes:\n- name: cache\n  emptyDir: {}",
		refs: []api.Reference{cis("5.2.12", "Minimize the admission of HostPath volumes"), mitreEscape}},
	"hostPorts": {id: "pss-host-ports", title: "hostPort used", control: "Host Ports", severity: api.SeverityHigh,
		rationale: "A hostPort binds the node's address, exposing the pod outside any Service and NetworkPolicy review and pinning it to nodes.",
		fix:       "Remove hostPort and expose the pod through a Service.", example: "ports:\n- containerPort: 8080   # no hostPort; expose with a Service",
		refs: []api.Reference{cis("5.2.13", "Minimize the admission of containers which use HostPorts"), mitreExternal}},
	"capabilities_baseline": {id: "pss-capabilities-baseline", title: "Non-default capabilities added", control: "Capabilities", severity: api.SeverityHigh,
		rationale: "Capabilities beyond the container runtime's default set widen the kernel attack surface.",
		fix:       "Remove the added capabilities from securityContext.capabilities.add.", example: "securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
		refs: []api.Reference{cis("5.2.9", "Minimize the admission of containers with added capabilities"), mitrePrivEsc}},
	"appArmorProfile": {id: "pss-apparmor", title: "AppArmor disabled", control: "AppArmor", severity: api.SeverityHigh,
		rationale: "An Unconfined AppArmor profile removes a mandatory access control layer.",
		fix:       "Use the RuntimeDefault or a Localhost AppArmor profile.", example: "securityContext:\n  appArmorProfile:\n    type: RuntimeDefault",
		refs: []api.Reference{nsa("Pod security: hardening container environments"), mitreEscape}},
	"seLinuxOptions": {id: "pss-selinux", title: "Custom SELinux options", control: "SELinux", severity: api.SeverityHigh,
		rationale: "Setting a custom SELinux type or user/role can disable the confinement SELinux provides.",
		fix:       "Remove seLinuxOptions.type, user and role, or use an allowed type (container_t, container_init_t, container_kvm_t, container_engine_t).", example: "securityContext:\n  seLinuxOptions:\n    level: \"s0:c123,c456\"   # no type, user or role",
		refs: []api.Reference{mitreEscape}},
	"procMount": {id: "pss-proc-mount", title: "Unmasked /proc", control: "/proc Mount Type", severity: api.SeverityHigh,
		rationale: "procMount: Unmasked exposes kernel interfaces that the default mask hides.",
		fix:       "Remove securityContext.procMount or set it to Default.", example: "securityContext:\n  procMount: Default",
		refs: []api.Reference{mitreEscape}},
	"seccompProfile_baseline": {id: "pss-seccomp-baseline", title: "Seccomp unconfined", control: "Seccomp", severity: api.SeverityHigh,
		rationale: "An Unconfined seccomp profile lets the container call every system call, including those used in kernel exploits.",
		fix:       "Use the RuntimeDefault or a Localhost seccomp profile.", example: "securityContext:\n  seccompProfile:\n    type: RuntimeDefault",
		refs: []api.Reference{cis("5.7.2", "Ensure that the seccomp profile is set to docker/default in your pod definitions"), mitreEscape}},
	"sysctls": {id: "pss-sysctls", title: "Unsafe sysctls", control: "Sysctls", severity: api.SeverityHigh,
		rationale: "Sysctls outside the safe set change node-wide kernel parameters from inside a pod.",
		fix:       "Set only the safe sysctls, or none.", example: "securityContext:\n  sysctls:\n  - name: net.ipv4.ip_unprivileged_port_start\n    value: \"0\"",
		refs: []api.Reference{mitreEscape}},
	"windowsHostProcess": {id: "pss-windows-host-process", title: "Windows HostProcess container", control: "HostProcess", severity: api.SeverityCritical,
		rationale: "A Windows HostProcess container runs directly on the host with privileged access.",
		fix:       "Remove windowsOptions.hostProcess or set it to false.", example: "securityContext:\n  windowsOptions:\n    hostProcess: false",
		refs: []api.Reference{cis("5.2.11", "Minimize the admission of Windows HostProcess Containers"), mitreEscape}},
	"hostProbesAndHostLifecycle": {id: "pss-host-probes", title: "Probe or lifecycle handler targets another host", control: "Host Probes / Lifecycle Hooks", severity: api.SeverityHigh,
		rationale: "A probe or lifecycle hook with a host field makes the kubelet send requests to an arbitrary address (server-side request forgery from the node).",
		fix:       "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers.", example: "livenessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080   # no host field",
		refs: []api.Reference{mitre("T1090", "Proxy")}},
	"allowPrivilegeEscalation": {id: "pss-allow-privilege-escalation", title: "Privilege escalation allowed", control: "Privilege Escalation", severity: api.SeverityMedium,
		rationale: "Without allowPrivilegeEscalation: false, setuid binaries and file capabilities can raise a process's privileges.",
		fix:       "Set securityContext.allowPrivilegeEscalation to false in every container.", example: "securityContext:\n  allowPrivilegeEscalation: false",
		refs: []api.Reference{cis("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"), mitrePrivEsc}},
	"capabilities_restricted": {id: "pss-capabilities-restricted", title: "Capabilities not dropped", control: "Capabilities (restricted)", severity: api.SeverityMedium,
		rationale: "The restricted level requires dropping ALL capabilities and adding back at most NET_BIND_SERVICE.",
		fix:       "Set capabilities.drop: [ALL] and add only NET_BIND_SERVICE if needed.", example: "securityContext:\n  capabilities:\n    drop: [ALL]",
		refs: []api.Reference{cis("5.2.10", "Minimize the admission of containers with capabilities assigned"), mitrePrivEsc}},
	"restrictedVolumes": {id: "pss-restricted-volumes", title: "Volume type not allowed", control: "Volume Types", severity: api.SeverityMedium,
		rationale: "The restricted level allows only volume types that cannot reach the node: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret, image.",
		fix:       "Replace the volume with one of the allowed types.", example: "volumes:\n- name: data\n  persistentVolumeClaim:\n    claimName: data",
		refs: []api.Reference{mitreEscape}},
	"runAsNonRoot": {id: "pss-run-as-non-root", title: "May run as root", control: "Running as Non-root", severity: api.SeverityMedium,
		rationale: "Without runAsNonRoot: true the image's user applies, which is often root.",
		fix:       "Set runAsNonRoot: true in the pod or every container securityContext.", example: "securityContext:\n  runAsNonRoot: true",
		refs: []api.Reference{cis("5.2.7", "Minimize the admission of root containers"), nsa("Pod security: non-root containers and rootless container engines"), mitrePrivEsc}},
	"runAsUser": {id: "pss-run-as-user", title: "Runs as UID 0", control: "Running as Non-root user", severity: api.SeverityHigh,
		subsumes:  []string{"container-low-uid"}, // runAsUser: 0 is one fact
		rationale: "runAsUser: 0 runs the container as root.",
		fix:       "Set runAsUser to a non-zero UID, or remove it and set runAsNonRoot.", example: "securityContext:\n  runAsUser: 10001\n  runAsNonRoot: true",
		refs: []api.Reference{cis("5.2.7", "Minimize the admission of root containers"), mitrePrivEsc}},
	"seccompProfile_restricted": {id: "pss-seccomp-restricted", title: "Seccomp profile not set", control: "Seccomp (restricted)", severity: api.SeverityMedium,
		rationale: "The restricted level requires an explicit RuntimeDefault or Localhost seccomp profile.",
		fix:       "Set seccompProfile.type: RuntimeDefault on the pod.", example: "spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault",
		refs: []api.Reference{cis("5.7.2", "Ensure that the seccomp profile is set to docker/default in your pod definitions"), mitreEscape}},
	"procMount_restricted": {id: "pss-proc-mount-restricted", title: "Unmasked /proc with user namespaces", control: "/proc Mount Type (restricted)", severity: api.SeverityMedium,
		rationale: "The restricted level forbids procMount: Unmasked in all pods.",
		fix:       "Remove securityContext.procMount or set it to Default.", example: "securityContext:\n  procMount: Default",
		refs: []api.Reference{mitreEscape}},
}

func init() {
	for _, c := range policy.DefaultChecks() {
		m, ok := pssChecks[c.ID]
		if !ok {
			// Caught by TestEveryPSSCheckIsMapped; skip rather than crash a release.
			continue
		}
		refs := append([]api.Reference{pss(m.control)}, m.refs...)
		register(Rule{
			RuleInfo: api.RuleInfo{ID: m.id, Title: m.title, Severity: m.severity, Category: api.CategoryPodSecurity,
				Rationale: m.rationale, Remediation: m.fix, Example: m.example, References: refs},
			Scope:    ScopeWorkload,
			Subsumes: m.subsumes,
			PSSLevel: c.Level,
			Check:    pssCheck(c),
		})
	}
}

// pssCheck evaluates one upstream check with the official evaluator.
func pssCheck(c policy.Check) func(*Input) []Violation {
	ev, err := policy.NewEvaluator([]policy.Check{c}, nil)
	if err != nil {
		panic(fmt.Sprintf("rules: pod security check %s: %v", c.ID, err))
	}
	return func(in *Input) []Violation {
		s := in.Settings
		if c.Level == psaapi.LevelRestricted && s.PSSLevel == psaapi.LevelBaseline {
			return nil
		}
		if c.Level == psaapi.LevelBaseline && s.PSSLevel == psaapi.LevelRestricted && overridden(c.ID, s.PSSVersion) {
			return nil
		}
		w := in.Workload
		var out []Violation
		for _, r := range ev.EvaluatePod(psaapi.LevelVersion{Level: c.Level, Version: s.PSSVersion}, w.Meta, w.Spec) {
			if r.Allowed {
				continue
			}
			msg := r.ForbiddenReason
			if r.ForbiddenDetail != "" {
				msg += ": " + r.ForbiddenDetail
			}
			field, container := locatePSS(w, c.ID, r.ForbiddenDetail)
			v := Violation{Message: msg, Field: field, Container: container, Key: string(c.ID), Covers: pssCovers(w, r.ForbiddenDetail)}
			// A restricted check replaces the baseline checks it overrides:
			// when the pod also breaks one of those, the finding is graded
			// as the baseline rule is, so a stricter profile never gates a
			// baseline violation more weakly than pss-baseline does.
			// A probe's host field lets the kubelet reach addresses the pod
			// cannot; a host-network pod already has the node's network, so
			// there it adds no reach and is graded medium.
			if c.ID == "hostProbesAndHostLifecycle" && w.Spec.HostNetwork {
				v.Severity = severity(api.SeverityMedium)
				v.Message += " (the pod uses the host network, so the kubelet reaches nothing the pod cannot)"
			}
			if c.Level == psaapi.LevelRestricted {
				if sev, ok := baselineAlsoViolated(c, s.PSSVersion, w); ok && sev > pssChecks[c.ID].severity {
					v.Severity = severity(sev)
					v.Message += " (a baseline violation too)"
				}
			}
			out = append(out, v)
		}
		return out
	}
}

// baselineAlsoViolated evaluates the baseline checks that restricted check c
// overrides at version v, and returns the highest severity among those the
// pod breaks.
func baselineAlsoViolated(c policy.Check, v psaapi.Version, w *workload.Workload) (api.Severity, bool) {
	var applicable *policy.VersionedCheck
	for i := range c.Versions {
		if v.Latest() || !v.Older(c.Versions[i].MinimumVersion) {
			applicable = &c.Versions[i]
		}
	}
	if applicable == nil {
		return 0, false
	}
	var worst api.Severity
	found := false
	for _, id := range applicable.OverrideCheckIDs {
		ev, ok := baselineEvaluators[id]
		if !ok {
			continue
		}
		for _, r := range ev.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelBaseline, Version: v}, w.Meta, w.Spec) {
			if !r.Allowed {
				found = true
				worst = max(worst, pssChecks[id].severity)
			}
		}
	}
	return worst, found
}

// baselineEvaluators evaluate each baseline check on its own.
var baselineEvaluators = func() map[policy.CheckID]policy.Evaluator {
	out := map[policy.CheckID]policy.Evaluator{}
	for _, c := range policy.DefaultChecks() {
		if c.Level != psaapi.LevelBaseline {
			continue
		}
		ev, err := policy.NewEvaluator([]policy.Check{c}, nil)
		if err != nil {
			panic(fmt.Sprintf("rules: pod security check %s: %v", c.ID, err))
		}
		out[c.ID] = ev
	}
	return out
}()

// overridden reports whether a restricted check replaces baseline check id at version v.
func overridden(id policy.CheckID, v psaapi.Version) bool {
	for _, rc := range restrictedChecks {
		var applicable *policy.VersionedCheck
		for i := range rc.Versions {
			if min := rc.Versions[i].MinimumVersion; v.Latest() || !v.Older(min) {
				applicable = &rc.Versions[i]
			}
		}
		if applicable == nil {
			continue
		}
		for _, o := range applicable.OverrideCheckIDs {
			if o == id {
				return true
			}
		}
	}
	return false
}

var restrictedChecks = func() []policy.Check {
	var out []policy.Check
	for _, c := range policy.DefaultChecks() {
		if c.Level == psaapi.LevelRestricted {
			out = append(out, c)
		}
	}
	return out
}()

// pssContainerField is the container field each check reads, so that a
// finding points at the offending line (privileged: true), or, when the
// field is missing, at its nearest written parent, rather than at the
// container's first line.
var pssContainerField = map[policy.CheckID]string{
	"privileged":                "securityContext.privileged",
	"allowPrivilegeEscalation":  "securityContext.allowPrivilegeEscalation",
	"capabilities_baseline":     "securityContext.capabilities.add",
	"capabilities_restricted":   "securityContext.capabilities",
	"runAsNonRoot":              "securityContext.runAsNonRoot",
	"runAsUser":                 "securityContext.runAsUser",
	"seccompProfile_baseline":   "securityContext.seccompProfile",
	"seccompProfile_restricted": "securityContext.seccompProfile",
	"procMount":                 "securityContext.procMount",
	"procMount_restricted":      "securityContext.procMount",
	"seLinuxOptions":            "securityContext.seLinuxOptions",
	"appArmorProfile":           "securityContext.appArmorProfile",
	"windowsHostProcess":        "securityContext.windowsOptions.hostProcess",
	"hostPorts":                 "ports",
}

// locatePSS points a PSS result at the field its check reads in the first
// container its detail names, or at the pod-level field it mentions.
func locatePSS(w *workload.Workload, id policy.CheckID, detail string) (field, container string) {
	for _, c := range w.Containers {
		if strings.Contains(detail, fmt.Sprintf("%q", c.Name)) {
			if sub, ok := pssContainerField[id]; ok {
				return c.Path + "." + sub, c.Name
			}
			return c.Path, c.Name
		}
	}
	if strings.Contains(detail, "pod must") {
		return w.Field("securityContext"), ""
	}
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC", "securityContext", "volumes"} {
		if strings.Contains(detail, f) || (f == "volumes" && strings.Contains(detail, "volume")) {
			return w.Field(f), ""
		}
	}
	return w.SpecPath, ""
}

// pssCovers lists the containers and volumes a PSS result names (each
// quoted in its detail), so that a rule subsuming it folds it only when it
// reports on all of them.
func pssCovers(w *workload.Workload, detail string) []string {
	// The upstream detail quotes every name it is about; read them once,
	// since a pod may have thousands of containers.
	quoted := map[string]bool{}
	for rest := detail; ; {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		q, err := strconv.QuotedPrefix(rest[i:])
		if err != nil {
			rest = rest[i+1:]
			continue
		}
		if name, err := strconv.Unquote(q); err == nil {
			quoted[name] = true
		}
		rest = rest[i+len(q):]
	}
	var out []string
	for _, c := range w.Containers {
		if quoted[c.Name] {
			out = append(out, c.Name)
		}
	}
	for _, v := range w.Spec.Volumes {
		if quoted[v.Name] {
			out = append(out, "volume/"+v.Name)
		}
	}
	return out
}

// PSSRuleIDs maps each upstream Pod Security check to its Guardrail rule ID.
func PSSRuleIDs() map[policy.CheckID]string {
	out := make(map[policy.CheckID]string, len(pssChecks))
	for id, m := range pssChecks {
		out[id] = m.id
	}
	return out
}
