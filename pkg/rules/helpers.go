package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/workload"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// containerViolation reports a problem with field sub of container c. Its
// key names the container, not its index, so reordering containers keeps
// the finding's identity.
func containerViolation(c *workload.Container, sub, key, format string, args ...any) Violation {
	return Violation{
		Message:   fmt.Sprintf("%s: ", c) + fmt.Sprintf(format, args...),
		Field:     c.Field(sub),
		Container: c.Name,
		Key:       string(c.Type) + "/" + c.Name + "/" + key,
	}
}

// Kinds used by object-scoped rules.
var (
	kindService            = schema.GroupKind{Kind: "Service"}
	kindConfigMap          = schema.GroupKind{Kind: "ConfigMap"}
	kindSecret             = schema.GroupKind{Kind: "Secret"}
	kindNamespace          = schema.GroupKind{Kind: "Namespace"}
	kindNode               = schema.GroupKind{Kind: "Node"}
	kindServiceAccount     = schema.GroupKind{Kind: "ServiceAccount"}
	kindIngress            = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	kindNetworkPolicy      = schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
	kindRole               = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
	kindClusterRole        = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
	kindRoleBinding        = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
	kindClusterRoleBinding = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}
	kindValidatingWebhook  = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}
	kindMutatingWebhook    = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}
)
