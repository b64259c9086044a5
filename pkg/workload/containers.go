package workload

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// ContainerType says which list of the pod spec a container came from.
type ContainerType string

// The container lists of a pod spec.
const (
	Init      ContainerType = "initContainers"
	Regular   ContainerType = "containers"
	Ephemeral ContainerType = "ephemeralContainers"
)

// Container is one container of a workload, with its effective security context.
type Container struct {
	// Type is the list the container is in.
	Type ContainerType
	// Index is the position in that list.
	Index int
	// Name is the container name.
	Name string
	// Path is the field path of the container within the object.
	Path string
	// C is the container. Ephemeral containers are copied into a Container
	// (the fields are the same); rules must not modify it.
	C *corev1.Container
	// Security is the effective security context.
	Security Effective

	specPath, metaPath string // the pod's, for FieldOf
}

// Field returns the path of a container field ("securityContext.privileged").
func (c *Container) Field(sub string) string { return join(c.Path, sub) }

// Sidecar reports whether c is an init container that keeps running beside
// the main containers (restartPolicy: Always).
func (c *Container) Sidecar() bool {
	return c.Type == Init && c.C.RestartPolicy != nil && *c.C.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// String describes the container for messages: `container "app"`.
func (c *Container) String() string {
	switch c.Type {
	case Init:
		return fmt.Sprintf("init container %q", c.Name)
	case Ephemeral:
		return fmt.Sprintf("ephemeral container %q", c.Name)
	}
	return fmt.Sprintf("container %q", c.Name)
}

func containersOf(w *Workload) []Container {
	s := w.Spec
	out := make([]Container, 0, len(s.InitContainers)+len(s.Containers)+len(s.EphemeralContainers))
	add := func(t ContainerType, i int, c *corev1.Container) {
		cc := Container{Type: t, Index: i, Name: c.Name, Path: w.Field(string(t)) + "[" + strconv.Itoa(i) + "]", C: c,
			specPath: w.SpecPath, metaPath: w.MetaPath}
		cc.Security = resolve(w, &cc)
		out = append(out, cc)
	}
	for i := range s.InitContainers {
		add(Init, i, &s.InitContainers[i])
	}
	for i := range s.Containers {
		add(Regular, i, &s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		ec := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		add(Ephemeral, i, &ec)
	}
	return out
}
