// Package inventory holds decoded Kubernetes objects and indexes them by
// kind, namespace and pod labels, so that cross-object rules look objects up
// instead of rescanning the whole input for every object.
//
// An Inventory is built once by a loader (manifest files, a live cluster, an
// admission request) and is read-only afterwards.
package inventory
