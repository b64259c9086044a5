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
	// Workload kinds hold a pod spec, which the workload rules judge (and
	// the webhook registers for them); RunsPods of them run pods (a
	// PodTemplate only describes one). A live scan that read no kind that
	// runs pods has judged nothing that runs.
	Workload, RunsPods bool
}

func res(group, version, resource, kind string, namespaced bool) Resource {
	return Resource{
		GVR:        schema.GroupVersionResource{Group: group, Version: version, Resource: resource},
		GVK:        schema.GroupVersionKind{Group: group, Version: version, Kind: kind},
		Namespaced: namespaced,
	}
}

// runs is a workload kind whose objects run pods.
func runs(group, version, resource, kind string) Resource {
	r := res(group, version, resource, kind, true)
	r.Workload, r.RunsPods = true, true
	return r
}

// Resources are the kinds the rules read, in listing order: controllers
// before what they own. deploy/clusterrole.yaml grants exactly these.
var Resources = []Resource{
	res("", "v1", "namespaces", "Namespace", false),
	res("", "v1", "nodes", "Node", false),
	runs("apps", "v1", "deployments", "Deployment"),
	runs("apps", "v1", "statefulsets", "StatefulSet"),
	runs("apps", "v1", "daemonsets", "DaemonSet"),
	runs("batch", "v1", "cronjobs", "CronJob"),
	runs("batch", "v1", "jobs", "Job"),
	runs("apps", "v1", "replicasets", "ReplicaSet"),
	runs("", "v1", "replicationcontrollers", "ReplicationController"),
	runs("", "v1", "pods", "Pod"),
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "podtemplates"}, GVK: schema.GroupVersionKind{Version: "v1", Kind: "PodTemplate"}, Namespaced: true, Workload: true},
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

// IsWorkloadResource reports whether a resource's objects run pods.
func IsWorkloadResource(resource string) bool {
	for _, r := range Resources {
		if r.GVR.Resource == resource {
			return r.RunsPods
		}
	}
	return false
}
