// Package intents turns a short declaration of who may call whom
// (intents.yaml) into least-privilege Kubernetes NetworkPolicies and Istio
// PeerAuthentication and AuthorizationPolicies, and verifies the result
// with the reachability engine of package netpol: the generated set must
// allow exactly the declared connections and nothing more.
package intents
