package cluster

import "k8s.io/apimachinery/pkg/runtime/schema"

// Resource is a kind the cluster scan lists.
type Resource struct {
	// GVR is listed; GVK is what its items are.
	GVR schema.GroupVersionResource
	GVK schema.GroupVersionKind
	// Namespaced is false for cluster-scoped kinds.
	Namespaced bool
	// Sensitive kinds (Secrets) are read only with --include-secrets.
	Sensitive bool
}

func res(group, version, resource, kind string, namespaced bool) Resource {
	return Resource{
		GVR:        schema.GroupVersionResource{Group: group, Version: version, Resource: resource},
		GVK:        schema.GroupVersionKind{Group: group, Version: version, Kind: kind},
		Namespaced: namespaced,
	}
}

// Resources are the kinds the rules read, in listing order: controllers
// before what they own. deploy/clusterrole.yaml grants exactly these.
var Resources = []Resource{
	res("", "v1", "namespaces", "Namespace", false),
	res("", "v1", "nodes", "Node", false),
	res("apps", "v1", "deployments", "Deployment", true),
	res("apps", "v1", "statefulsets", "StatefulSet", true),
	res("apps", "v1", "daemonsets", "DaemonSet", true),
	res("batch", "v1", "cronjobs", "CronJob", true),
	res("batch", "v1", "jobs", "Job", true),
	res("apps", "v1", "replicasets", "ReplicaSet", true),
	res("", "v1", "replicationcontrollers", "ReplicationController", true),
	res("", "v1", "pods", "Pod", true),
	res("", "v1", "services", "Service", true),
	res("", "v1", "serviceaccounts", "ServiceAccount", true),
	res("", "v1", "configmaps", "ConfigMap", true),
	res("", "v1", "limitranges", "LimitRange", true),
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, GVK: schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, Namespaced: true, Sensitive: true},
	res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true),
	res("networking.k8s.io", "v1", "ingresses", "Ingress", true),
	res("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
	res("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
	res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
	res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
	res("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false),
	res("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
}

// Namespaced reports whether a kind is namespaced, and whether the table
// knows the kind at all.
func Namespaced(gk schema.GroupKind) (namespaced, known bool) {
	for _, r := range Resources {
		if r.GVK.GroupKind() == gk {
			return r.Namespaced, true
		}
	}
	return false, false
}
