package rules

import (
	"path"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// sensitiveHostPaths are node paths whose exposure hands over the node. The
// value says why.
var sensitiveHostPaths = map[string]string{
	"/":                                   "the node's whole filesystem",
	"/etc":                                "node configuration and credentials",
	"/etc/kubernetes":                     "cluster PKI and kubeconfigs",
	"/etc/kubernetes/pki":                 "the cluster's private keys and certificates",
	"/etc/kubernetes/manifests":           "the static pods the kubelet runs: code runs on the node",
	"/etc/kubernetes/kubelet":             "the kubelet's configuration and credentials",
	"/proc":                               "every process of the node",
	"/sys":                                "kernel interfaces",
	"/dev":                                "node devices",
	"/boot":                               "the node's kernel and boot loader",
	"/root":                               "root's home directory",
	"/var/lib/kubelet":                    "every pod's volumes, secrets and the kubelet's credentials",
	"/var/lib/docker":                     "every container's filesystem",
	"/var/lib/containerd":                 "every container's filesystem",
	"/var/run":                            "the container runtime socket",
	"/run":                                "the container runtime socket",
	"/var/log":                            "every pod's logs (and symlink tricks to read node files)",
	"/var/run/docker.sock":                "the Docker socket: full control of the node",
	"/run/docker.sock":                    "the Docker socket: full control of the node",
	"/var/run/containerd/containerd.sock": "the containerd socket: full control of the node",
	"/run/containerd/containerd.sock":     "the containerd socket: full control of the node",
	"/var/run/crio/crio.sock":             "the CRI-O socket: full control of the node",
	"/run/crio/crio.sock":                 "the CRI-O socket: full control of the node",
	"/var/run/cri-dockerd.sock":           "the cri-dockerd socket: full control of the node",
	"/run/k3s/containerd/containerd.sock": "the k3s containerd socket: full control of the node",
	"/etc/cron.d":                         "the node's scheduled jobs: code runs as root on the node",
	"/etc/ssh":                            "the node's SSH configuration and host keys",
	"/etc/sudoers.d":                      "the node's sudo rules",
	"/usr":                                "the node's programs",
	"/usr/bin":                            "the node's programs: a replaced binary runs as root",
	"/usr/local/bin":                      "the node's programs: a replaced binary runs as root",
	"/usr/sbin":                           "the node's programs: a replaced binary runs as root",
	"/bin":                                "the node's programs: a replaced binary runs as root",
	"/sbin":                               "the node's programs: a replaced binary runs as root",
	"/lib/modules":                        "the node's kernel modules",
	"/opt/cni/bin":                        "the CNI plugins the kubelet runs as root",
	"/etc/cni":                            "the CNI configuration of every pod network",
	"/var/lib/etcd":                       "etcd's data: every Secret of the cluster",
	"/home":                               "users' home directories and SSH keys",
	"/etc/crontab":                        "the node's scheduled jobs: code runs as root on the node",
	"/etc/sudoers":                        "the node's sudo rules",
	"/etc/shadow":                         "the node's password hashes",
	"/etc/passwd":                         "the node's accounts",
	"/etc/systemd":                        "the node's services: code runs as root on the node",
	"/etc/containerd":                     "the container runtime's configuration",
	"/etc/crio":                           "the container runtime's configuration",
	"/etc/docker":                         "the container runtime's configuration",
	"/run/containerd":                     "the containerd socket: full control of the node",
	"/var/run/containerd":                 "the containerd socket: full control of the node",
	"/run/crio":                           "the CRI-O socket: full control of the node",
	"/var/run/crio":                       "the CRI-O socket: full control of the node",
	"/run/k3s":                            "the k3s containerd socket: full control of the node",
	"/var/run/docker":                     "the Docker runtime state and socket",
	"/run/docker":                         "the Docker runtime state and socket",
}

// sensitiveSubtrees are paths where anything below is as sensitive as the path.
// /etc/kubernetes is sensitive as a whole and in its credential-bearing
// parts (pki, manifests, the kubelet's, any kubeconfig or key file; see
// kubernetesCredential), not in an agent's own directory below it
// (/etc/kubernetes/node-feature-discovery): a hostPath of a subdirectory
// cannot reach its siblings.
// /etc, /run and /var/run are sensitive as a whole (they hold the runtime
// socket and node credentials) but not below it: /run/xtables.lock,
// /var/run/calico and /etc/calico are an agent's own files, so only the
// listed paths below them count.
var sensitiveSubtrees = []string{"/etc/kubernetes/pki", "/etc/kubernetes/manifests", "/etc/kubernetes/kubelet", "/etc/cron.d", "/etc/ssh", "/etc/sudoers.d", "/etc/systemd",
	"/etc/containerd", "/etc/crio", "/etc/docker", "/etc/cni",
	"/run/containerd", "/var/run/containerd", "/run/crio", "/var/run/crio", "/run/k3s", "/var/run/docker", "/run/docker",
	"/proc", "/sys", "/dev", "/boot", "/root", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/log",
	"/usr", "/bin", "/sbin", "/lib/modules", "/opt/cni/bin", "/var/lib/etcd"}

// kubeletPluginDirs are where CSI drivers and device plugins keep the
// sockets the kubelet calls: a node plugin needs its own one, and what it
// exposes is that plugin's socket, not the kubelet's secrets. Graded
// medium; /var/lib/kubelet itself and /var/lib/kubelet/pods stay critical.
var kubeletPluginDirs = []string{"/var/lib/kubelet/plugins", "/var/lib/kubelet/plugins_registry", "/var/lib/kubelet/device-plugins"}

// pluginDir reports whether p is a kubelet plugin socket directory.
func pluginDir(p string) bool {
	p = path.Clean("/" + strings.TrimSpace(p))
	for _, d := range kubeletPluginDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// readOnlyMilder are paths whose read-only mount exposes information, not
// control: node exporters mount /proc and /sys read-only by design. A
// socket, a device, credentials (/etc/kubernetes, /var/lib/kubelet) and the
// node's root are as dangerous read-only (a socket and a device node are
// written through a read-only mount), so they are not here.
var readOnlyMilder = map[string]api.Severity{
	"/sys": api.SeverityMedium, "/proc": api.SeverityHigh, "/var/log": api.SeverityMedium,
	"/boot": api.SeverityMedium, "/lib/modules": api.SeverityMedium, "/usr": api.SeverityMedium,
	"/bin": api.SeverityMedium, "/sbin": api.SeverityMedium, "/opt/cni/bin": api.SeverityMedium, "/etc/cni": api.SeverityMedium,
}

// kubernetesCredential reports whether p, under /etc/kubernetes, is a
// file that holds credentials by its kind (admin.conf, kubelet.conf, a
// key or certificate).
func kubernetesCredential(p string) bool {
	if !strings.HasPrefix(p, "/etc/kubernetes/") {
		return false
	}
	for _, ext := range []string{".conf", ".kubeconfig", ".key", ".crt", ".pem"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// procInfo are files at the top of /proc that describe the node (swap,
// memory, CPUs, load) without reaching any process: a node agent reads them
// to report the node's features. Read-only, they are graded low.
var procInfo = map[string]bool{"/proc/swaps": true, "/proc/meminfo": true, "/proc/cpuinfo": true, "/proc/loadavg": true,
	"/proc/uptime": true, "/proc/version": true, "/proc/stat": true, "/proc/vmstat": true, "/proc/diskstats": true}

// readOnlySeverity grades a read-only mount of host path p, or nil when a
// read-only mount of it is as dangerous as a writable one. A path that is
// sensitive only because it holds sensitive paths (/lib holds
// /lib/modules) is graded as the worst of them read-only.
func readOnlySeverity(p string) *api.Severity {
	p = path.Clean("/" + strings.TrimSpace(p))
	if procInfo[p] {
		return severity(api.SeverityLow)
	}
	for q := p; ; q = path.Dir(q) {
		if sev, ok := readOnlyMilder[q]; ok {
			return severity(sev)
		}
		if q == "/" || sensitiveHostPaths[q] != "" {
			break
		}
	}
	if _, own := sensitiveHostPaths[p]; own || hostPathRiskOwn(p) {
		return nil
	}
	var worst *api.Severity
	for _, sp := range sortedKeys(sensitiveHostPaths) {
		if !strings.HasPrefix(sp, p+"/") {
			continue
		}
		sev := readOnlySeverity(sp)
		if sev == nil {
			return nil
		}
		if worst == nil || *sev > *worst {
			worst = sev
		}
	}
	return worst
}

// hostPathRiskOwn reports whether p is sensitive in itself (a listed path,
// below a sensitive subtree, a credential file), not only for what it holds.
func hostPathRiskOwn(p string) bool {
	for _, s := range sensitiveSubtrees {
		if strings.HasPrefix(p, s+"/") {
			return true
		}
	}
	return kubernetesCredential(p) || pluginDir(p)
}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "hostpath-sensitive", Title: "Sensitive host path mounted", Severity: api.SeverityCritical, Category: api.CategoryHardening,
			Rationale:   "Mounting the container runtime socket, /, /etc, /proc, /var/lib/kubelet or /var/run gives the pod control of the node or other pods' secrets; readOnly does not protect a socket.",
			Remediation: "Remove the hostPath volume. Use the Kubernetes API, a CSI driver or a projected volume for what the pod needs.",
			Example:     "# Instead of the runtime socket or node paths, use the API or a CSI driver:\nvolumes:\n- name: data\n  persistentVolumeClaim:\n    claimName: data",
			References:  []api.Reference{cis("5.2.12", "Minimize the admission of HostPath volumes"), nsa("Pod security: hardening container environments"), mitreEscape},
		},
		Scope:    ScopeWorkload,
		Subsumes: []string{"pss-host-path-volumes", "pss-restricted-volumes"},
		Check:    checkSensitiveHostPath,
	})
}

// publicHostPaths hold public data a pod may read from the node: CA
// certificates and time zones.
var publicHostPaths = []string{"/etc/ssl", "/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates",
	"/etc/localtime", "/usr/share/zoneinfo", "/etc/timezone", "/etc/machine-id"}

// hostPathRisk says why p is sensitive, or "" when it is not.
func hostPathRisk(p string) string {
	p = path.Clean("/" + strings.TrimSpace(p))
	for _, pub := range publicHostPaths {
		if p == pub || strings.HasPrefix(p, pub+"/") {
			return ""
		}
	}
	if why, ok := sensitiveHostPaths[p]; ok {
		return why
	}
	if pluginDir(p) {
		return "the kubelet's plugin sockets: a CSI driver or device plugin registers through them"
	}
	if strings.HasPrefix(p, "/home/") && strings.Contains(p+"/", "/.ssh/") {
		return "a user's SSH keys"
	}
	if procInfo[p] {
		return "node information: " + strings.TrimPrefix(p, "/proc/")
	}
	for _, s := range sensitiveSubtrees {
		if strings.HasPrefix(p, s+"/") {
			return sensitiveHostPaths[s]
		}
	}
	if kubernetesCredential(p) {
		return "a kubeconfig, key or certificate of the cluster"
	}
	// An ancestor of a sensitive path exposes it too ("/var" holds /var/run).
	var inside []string
	for _, sp := range sortedKeys(sensitiveHostPaths) {
		if strings.HasPrefix(sp, p+"/") && !strings.HasSuffix(sp, ".sock") {
			inside = append(inside, sp)
		}
	}
	// Name only the outermost of nested paths (/var/run, not also /var/run/crio).
	top := inside[:0]
	for _, sp := range inside {
		if len(top) == 0 || !strings.HasPrefix(sp, top[len(top)-1]+"/") {
			top = append(top, sp)
		}
	}
	if len(top) > 0 {
		return "contains " + strings.Join(top, ", ")
	}
	return ""
}

func checkSensitiveHostPath(in *Input) []Violation {
	w := in.Workload
	var out []Violation
	for i, v := range w.Spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		why := hostPathRisk(v.HostPath.Path)
		if why == "" {
			continue
		}
		desc := "volume " + quote(v.Name) + " mounts host path " + v.HostPath.Path + " (" + why + ")"
		field := w.Field("volumes[" + itoa(i) + "].hostPath.path")
		mounted := false
		for ci := range w.Containers {
			c := &w.Containers[ci]
			for mi, m := range c.C.VolumeMounts {
				if m.Name != v.Name {
					continue
				}
				mounted = true
				viol := Violation{Message: c.String() + ": " + desc + " at " + m.MountPath,
					Field: c.Field("volumeMounts[" + itoa(mi) + "]"), Container: c.Name, Key: string(c.Type) + "/" + c.Name + "/volume/" + v.Name,
					Covers: []string{"volume/" + v.Name}}
				if pluginDir(v.HostPath.Path) {
					viol.Severity = severity(api.SeverityMedium)
				} else if m.ReadOnly && !strings.HasSuffix(v.HostPath.Path, ".sock") {
					if sev := readOnlySeverity(v.HostPath.Path); sev != nil {
						viol.Message += " read-only"
						viol.Severity = sev
					}
				}
				out = append(out, viol)
			}
		}
		if !mounted {
			out = append(out, Violation{Message: desc + ", mounted by no container yet", Field: field, Key: "volume/" + v.Name, Covers: []string{"volume/" + v.Name}})
		}
	}
	return out
}
