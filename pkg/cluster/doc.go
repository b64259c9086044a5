// Package cluster loads the objects of a live cluster into an inventory: it
// lists every kind the rules read, page by page and in parallel within
// client-side rate limits, reports kinds it may not list instead of
// failing, labels a scan whose lists were cut off as partial, and folds
// controller-owned objects (a Deployment's ReplicaSets and Pods) into their
// owner so a finding is reported once, on the workload.
package cluster
