package workload

import (
	corev1 "k8s.io/api/core/v1"
)

// Setting is one effective security setting and where it was set.
type Setting[T any] struct {
	// Value is the effective value; the zero value when not Set.
	Value T
	// Set is false when neither the container nor the pod sets the field.
	Set bool
	// FromPod is true when the value is inherited from the pod securityContext
	// (or, for AppArmor, from the legacy pod annotation).
	FromPod bool
	// Name is the securityContext field name ("runAsUser"); FieldOf turns
	// it into a path on demand, since most settings are never reported.
	Name string
	// annotation is set when the value came from a legacy pod annotation.
	annotation string
}

// FieldOf returns the path of the field that set s: the container's or the
// pod's securityContext field (or legacy annotation); when s is not set,
// the container-level path where it should be set.
func FieldOf[T any](c *Container, s Setting[T]) string {
	switch {
	case s.annotation != "":
		return join(c.metaPath, "annotations["+s.annotation+"]")
	case s.FromPod:
		return join(c.specPath, "securityContext."+s.Name)
	}
	return c.Field("securityContext." + s.Name)
}

// Effective is a container's security context after inheritance: fields the
// container leaves unset take the pod securityContext's value, the way the
// kubelet applies them. Fields that exist only on one level are read there.
type Effective struct {
	RunAsUser                Setting[int64]
	RunAsGroup               Setting[int64]
	RunAsNonRoot             Setting[bool]
	SeccompProfile           Setting[corev1.SeccompProfile]
	AppArmorProfile          Setting[corev1.AppArmorProfile]
	SELinuxOptions           Setting[corev1.SELinuxOptions]
	Privileged               Setting[bool]
	AllowPrivilegeEscalation Setting[bool]
	ReadOnlyRootFilesystem   Setting[bool]
	ProcMount                Setting[corev1.ProcMountType]
	// Capabilities is the container's capabilities block; it has no pod-level counterpart.
	Capabilities Setting[corev1.Capabilities]
}

// legacyAppArmorPrefix is the pre-1.30 per-container AppArmor annotation.
const legacyAppArmorPrefix = "container.apparmor.security.beta.kubernetes.io/"

func resolve(w *Workload, c *Container) Effective {
	var e Effective
	csc := c.C.SecurityContext
	psc := w.Spec.SecurityContext

	inherit(&e.RunAsUser, ptrOf(csc, func(s *corev1.SecurityContext) *int64 { return s.RunAsUser }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *int64 { return s.RunAsUser }), "runAsUser")
	inherit(&e.RunAsGroup, ptrOf(csc, func(s *corev1.SecurityContext) *int64 { return s.RunAsGroup }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *int64 { return s.RunAsGroup }), "runAsGroup")
	inherit(&e.RunAsNonRoot, ptrOf(csc, func(s *corev1.SecurityContext) *bool { return s.RunAsNonRoot }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *bool { return s.RunAsNonRoot }), "runAsNonRoot")
	inherit(&e.SeccompProfile, ptrOf(csc, func(s *corev1.SecurityContext) *corev1.SeccompProfile { return s.SeccompProfile }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *corev1.SeccompProfile { return s.SeccompProfile }), "seccompProfile")
	inherit(&e.AppArmorProfile, ptrOf(csc, func(s *corev1.SecurityContext) *corev1.AppArmorProfile { return s.AppArmorProfile }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *corev1.AppArmorProfile { return s.AppArmorProfile }), "appArmorProfile")
	inherit(&e.SELinuxOptions, ptrOf(csc, func(s *corev1.SecurityContext) *corev1.SELinuxOptions { return s.SELinuxOptions }),
		ptrOf(psc, func(s *corev1.PodSecurityContext) *corev1.SELinuxOptions { return s.SELinuxOptions }), "seLinuxOptions")
	inherit(&e.Privileged, ptrOf(csc, func(s *corev1.SecurityContext) *bool { return s.Privileged }), nil, "privileged")
	inherit(&e.AllowPrivilegeEscalation, ptrOf(csc, func(s *corev1.SecurityContext) *bool { return s.AllowPrivilegeEscalation }), nil, "allowPrivilegeEscalation")
	inherit(&e.ReadOnlyRootFilesystem, ptrOf(csc, func(s *corev1.SecurityContext) *bool { return s.ReadOnlyRootFilesystem }), nil, "readOnlyRootFilesystem")
	inherit(&e.ProcMount, ptrOf(csc, func(s *corev1.SecurityContext) *corev1.ProcMountType { return s.ProcMount }), nil, "procMount")
	inherit(&e.Capabilities, ptrOf(csc, func(s *corev1.SecurityContext) *corev1.Capabilities { return s.Capabilities }), nil, "capabilities")

	// Before the appArmorProfile field (1.30), AppArmor was set per container
	// by annotation; the kubelet still honours it when the field is unset.
	if !e.AppArmorProfile.Set && w.Meta != nil {
		if v, ok := w.Meta.Annotations[legacyAppArmorPrefix+c.Name]; ok {
			e.AppArmorProfile = Setting[corev1.AppArmorProfile]{Value: legacyAppArmor(v), Set: true, FromPod: true,
				Name: "appArmorProfile", annotation: legacyAppArmorPrefix + c.Name}
		}
	}
	return e
}

// ptrOf reads a pointer field from an optional struct.
func ptrOf[S any, T any](s *S, get func(*S) *T) *T {
	if s == nil {
		return nil
	}
	return get(s)
}

// inherit sets dst from the container value, else the pod value.
func inherit[T any](dst *Setting[T], container, pod *T, name string) {
	switch {
	case container != nil:
		*dst = Setting[T]{Value: *container, Set: true, Name: name}
	case pod != nil:
		*dst = Setting[T]{Value: *pod, Set: true, Name: name, FromPod: true}
	default:
		*dst = Setting[T]{Name: name}
	}
}

func legacyAppArmor(v string) corev1.AppArmorProfile {
	switch {
	case v == "runtime/default":
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case v == "unconfined":
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case len(v) > len("localhost/") && v[:len("localhost/")] == "localhost/":
		p := v[len("localhost/"):]
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &p}
	}
	return corev1.AppArmorProfile{Type: corev1.AppArmorProfileType(v)}
}
