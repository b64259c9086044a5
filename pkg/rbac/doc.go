// Package rbac evaluates Kubernetes RBAC with the authorizer's exact
// semantics: wildcards in verbs, groups and resources, "*/subresource",
// resourceNames, and nonResourceURLs with a trailing "*".
package rbac
