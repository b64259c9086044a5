package cluster

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// sameTemplate reports whether a pod spec (or a ReplicaSet's or Job's
// template) is what a controller's template makes, in every field the
// rules read. It is written by hand because no library answers it: the
// controllers and admission plugins change what they create in known
// ways, and those are left out of the comparison:
//
//   - the ServiceAccount admission plugin adds the kube-api-access-*
//     token volume and its mounts, and fills serviceAccountName;
//   - the StatefulSet controller adds a volume per volumeClaimTemplate;
//   - LimitRanger fills resources; the scheduler and the DaemonSet
//     controller set the node, affinity and tolerations.
//
// Everything else a rule reads must be equal: containers (image, command,
// security context, ports, mounts, env), ephemeral containers (a template
// has none, so a pod with one never folds), volumes, the pod security
// context, the host namespaces and the service account.
func sameTemplate(got, tmpl *corev1.PodSpec) bool {
	if got == nil || tmpl == nil {
		return got == tmpl
	}
	return reflect.DeepEqual(comparable(got), comparable(tmpl))
}

type podShape struct {
	Containers, Init          []containerShape
	Ephemeral                 int
	Volumes                   []corev1.Volume
	Security                  *corev1.PodSecurityContext
	HostNetwork, HostPID, IPC bool
	HostUsers                 *bool
	ServiceAccount            string
	Automount                 *bool
	ShareProcessNamespace     *bool
}

type containerShape struct {
	Name, Image     string
	Command, Args   []string
	Security        *corev1.SecurityContext
	Ports           []corev1.ContainerPort
	Mounts          []corev1.VolumeMount
	Env             []corev1.EnvVar
	EnvFrom         []corev1.EnvFromSource
	RestartPolicy   *corev1.ContainerRestartPolicy
	Probes          [3]*corev1.Probe
	Lifecycle       *corev1.Lifecycle
	ImagePullPolicy corev1.PullPolicy
}

func comparable(s *corev1.PodSpec) podShape {
	sa := s.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	out := podShape{Ephemeral: len(s.EphemeralContainers), Security: s.SecurityContext, HostNetwork: s.HostNetwork,
		HostPID: s.HostPID, IPC: s.HostIPC, HostUsers: s.HostUsers, ServiceAccount: sa, Automount: s.AutomountServiceAccountToken,
		ShareProcessNamespace: s.ShareProcessNamespace}
	for _, v := range s.Volumes {
		if injectedVolume(v) {
			continue
		}
		out.Volumes = append(out.Volumes, v)
	}
	shape := func(cs []corev1.Container) []containerShape {
		var out []containerShape
		for _, c := range cs {
			cc := containerShape{Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args, Security: c.SecurityContext,
				Ports: c.Ports, Env: c.Env, EnvFrom: c.EnvFrom, RestartPolicy: c.RestartPolicy,
				Probes: [3]*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe}, Lifecycle: c.Lifecycle, ImagePullPolicy: c.ImagePullPolicy}
			for _, m := range c.VolumeMounts {
				if !strings.HasPrefix(m.Name, "kube-api-access-") {
					cc.Mounts = append(cc.Mounts, m)
				}
			}
			out = append(out, cc)
		}
		return out
	}
	out.Containers, out.Init = shape(s.Containers), shape(s.InitContainers)
	return out
}

// injectedVolume is a volume that controllers or admission add to what a
// template makes: the service account token and StatefulSet claims.
func injectedVolume(v corev1.Volume) bool {
	return (strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil) || v.PersistentVolumeClaim != nil
}
