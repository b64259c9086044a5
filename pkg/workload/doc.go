// Package workload normalises everything that runs pods into one shape, once:
// the pod template of any workload kind, every container (init, regular and
// ephemeral) in one list, and each container's effective security context
// with pod-level settings inherited the way the kubelet applies them.
//
// Rules read these values and never look at the raw workload kinds, so a
// check written once covers Pods, Deployments, CronJobs and the rest alike.
package workload
