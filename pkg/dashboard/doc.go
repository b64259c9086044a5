// Package dashboard serves the HTML report live, authenticated with
// TokenReview and authorized with SubjectAccessReview on a virtual
// resource, as kube-rbac-proxy does, so a user sees only the namespaces
// their RBAC allows.
package dashboard
