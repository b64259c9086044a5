// Package source is Guardrail's one input seam: every entry point (scan,
// rbac, netpol, the dashboard) reads its objects through a Source, so
// that files, stdin, Helm charts, kustomizations, the live cluster and an
// overlay of manifests over the live cluster stream into the same sink
// with the same positions, warnings and errors. The CLI only picks the
// source from its flags.
//
// The continuous watch keeps its own informers (pkg/watch): it needs
// events, not a list, but converts objects with the same cluster.Object.
package source
