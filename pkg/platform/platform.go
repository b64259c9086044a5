// Package platform recognises Kubernetes' own objects: what every cluster
// has before a user deploys anything. Findings about them are not the
// user's to act on, so the engine leaves them out of the report, the risk
// rankings and the score unless a scan asks for them (--include-system).
//
// The list follows what Kubernetes itself creates: the bootstrap RBAC policy
// (labelled kubernetes.io/bootstrapping=rbac-defaults, named system:*), the
// controllers' service accounts in kube-system, the cluster CA bundle the
// root-ca-certificate-publisher writes into every namespace
// (kube-root-ca.crt), the API server's own ConfigMaps in kube-system and
// the default/kubernetes Service. A user's object never becomes platform by
// being similar to these: a binding of cluster-admin to system:anonymous
// that a user wrote is not named system:* and is reported.
package platform

import (
	"strings"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rbac"
	"github.com/guardrail-k8s/guardrail/pkg/rbac/bootstrap"
)

// DefaultSystemNamespaces are the namespaces whose objects are the
// platform's on a live cluster, as Kubescape excludes them by default.
var DefaultSystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// BootstrapLabel marks the objects of the API server's bootstrap RBAC policy.
const BootstrapLabel = "kubernetes.io/bootstrapping"

// platformConfigMaps are ConfigMaps the control plane writes, by
// namespace ("*" for every namespace) and name.
var platformConfigMaps = map[string]string{
	"kube-root-ca.crt":                                     "*",
	"extension-apiserver-authentication":                   "kube-system",
	"kube-apiserver-legacy-service-account-token-tracking": "kube-system",
	"cluster-info":                                         "kube-public",
}

// Object reports whether o is one of Kubernetes' own objects, by identity
// alone (not by namespace: see InSystemNamespace).
func Object(o *inventory.Object) bool {
	if o == nil || o.Meta == nil {
		return false
	}
	if o.Meta.GetLabels()[BootstrapLabel] == "rbac-defaults" {
		return true
	}
	name, ns := o.Meta.GetName(), o.Meta.GetNamespace()
	switch o.GVK.Kind {
	case "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
		// The system: prefix is reserved for Kubernetes' own policy.
		return o.GVK.Group == "rbac.authorization.k8s.io" && strings.HasPrefix(name, "system:")
	case "ConfigMap":
		want, ok := platformConfigMaps[name]
		return o.GVK.Group == "" && ok && (want == "*" || want == ns)
	case "Service":
		return o.GVK.Group == "" && ns == "default" && name == "kubernetes"
	case "ServiceAccount":
		return o.GVK.Group == "" && ns == "kube-system" && ControllerServiceAccount(name)
	}
	return false
}

// InSystemNamespace reports whether o lives in one of namespaces (or is
// one of those Namespace objects).
func InSystemNamespace(o *inventory.Object, namespaces []string) bool {
	ns := o.Meta.GetNamespace()
	if o.GVK.Kind == "Namespace" && o.GVK.Group == "" {
		ns = o.Meta.GetName()
	}
	for _, s := range namespaces {
		if ns == s {
			return true
		}
	}
	return false
}

var (
	controllerSAs     map[string]bool
	controllerSAsOnce sync.Once
)

// ControllerServiceAccount reports whether name is the kube-system service
// account of a kube-controller-manager controller. The list is derived from
// the bootstrap policy: each system:controller:NAME ClusterRole is bound to
// kube-system/NAME.
func ControllerServiceAccount(name string) bool {
	controllerSAsOnce.Do(func() {
		// Two controllers get namespaced Roles in kube-system, which the
		// ClusterRole snapshot does not hold.
		controllerSAs = map[string]bool{"bootstrap-signer": true, "token-cleaner": true}
		for _, r := range bootstrap.ClusterRoles() {
			if sa, ok := strings.CutPrefix(r.Name, "system:controller:"); ok {
				controllerSAs[sa] = true
			}
		}
	})
	return controllerSAs[name]
}

// Subject reports whether an RBAC subject is one of Kubernetes' own
// identities: a system:* user or group other than the public groups, or a
// controller's service account. The public groups (system:anonymous,
// system:unauthenticated, system:authenticated, system:serviceaccounts)
// stand for users, so a grant to them is never the platform's.
func Subject(kind, namespace, name string) bool {
	switch kind {
	case "User", "Group":
		switch name {
		case "system:anonymous", "system:unauthenticated", "system:authenticated", "system:serviceaccounts":
			return false
		}
		if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
			ns, sa, _ := strings.Cut(rest, ":")
			return ns == "kube-system" && ControllerServiceAccount(sa)
		}
		return strings.HasPrefix(name, "system:") && !strings.HasPrefix(name, "system:serviceaccounts:")
	case "ServiceAccount":
		return namespace == "kube-system" && ControllerServiceAccount(name)
	}
	return false
}

// RiskySubject reports whether a subject of `rbac risks` is the platform's:
// one of Kubernetes' own identities (Subject) whose every risky grant comes
// through a binding of the bootstrap policy (named system:*). A platform
// identity that a user's binding grants more is ranked with the users'.
func RiskySubject(rs rbac.RiskySubject) bool {
	s := rs.Subject
	if !Subject(s.Kind, s.Namespace, s.Name) {
		return false
	}
	for _, rg := range rs.Risks {
		if rg.Grant.BindingKind != "" && !bootstrapBinding(rg.Grant.BindingName) {
			return false
		}
	}
	return true
}

// bootstrapBinding reports the names of the bootstrap policy's bindings:
// system:* and cluster-admin (which binds system:masters).
func bootstrapBinding(name string) bool {
	return strings.HasPrefix(name, "system:") || name == "cluster-admin"
}

// SplitRisks separates a risk report into the subjects users granted and
// Kubernetes' own, keeping the ranking of each.
func SplitRisks(report []rbac.RiskySubject) (users, platform []rbac.RiskySubject) {
	for _, rs := range report {
		if RiskySubject(rs) {
			platform = append(platform, rs)
		} else {
			users = append(users, rs)
		}
	}
	return users, platform
}
