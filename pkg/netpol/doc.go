// Package netpol computes what networking.k8s.io/v1 NetworkPolicies allow:
// for a source, a destination, a port and a protocol, allow, deny, or
// "depends on the CNI" where the specification leaves the answer to the
// network plugin (ipBlock peers matching pod IPs, host-network pods, SCTP).
// Every answer carries the policies and rules that decided it.
package netpol
