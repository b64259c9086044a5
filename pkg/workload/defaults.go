package workload

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
)

// applyServerDefaults applies the API server defaults that change what a
// pod spec means to a security check, so that a manifest is judged as the
// object the server will store. Only defaults with a security meaning are
// applied; the rest of the spec is left as written.
func applyServerDefaults(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		// A volume that names no source becomes an emptyDir.
		if reflect.ValueOf(spec.Volumes[i].VolumeSource).IsZero() {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}
