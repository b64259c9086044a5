package rules

import (
	"fmt"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"

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
	kindLimitRange         = schema.GroupKind{Kind: "LimitRange"}
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

// operatorResources names, for a namespace, the custom resources of the
// input that carry no pod template of their own (a Prometheus, a Kafka): an
// operator turns them into pods the input does not hold, so "selects
// nothing" cannot be claimed next to them. Built once per inventory.
func operatorResources(inv *inventory.Inventory, ns string) string {
	byNS := inv.Memo("rules/operator-resources", func(inv *inventory.Inventory) any {
		out := map[string]string{}
		for _, o := range inv.Objects() {
			g := o.GVK.Group
			if o.Workload != nil || o.Namespace() == "" || g == "" || strings.HasSuffix(g, ".k8s.io") || !strings.Contains(g, ".") {
				continue // built-in groups (apps, batch, *.k8s.io) and objects that carry their own pods
			}
			if _, seen := out[o.Namespace()]; !seen {
				out[o.Namespace()] = o.GVK.Kind + " " + o.Name()
			}
		}
		return out
	}).(map[string]string)
	return byNS[ns]
}

// selectsNothing is the violation of a selector that matches no workload:
// info, with the reason, when operator resources in the namespace may make
// the pods it selects.
func selectsNothing(inv *inventory.Inventory, ns, field, sel string) Violation {
	v := Violation{Message: field + " " + sel + " matches no workload in namespace " + quote(ns), Field: field}
	if cr := operatorResources(inv, ns); cr != "" {
		v.Message += ", but the input holds custom resources (" + cr + ") that an operator may turn into pods it does not show"
		v.Severity = severity(api.SeverityInfo)
	}
	return v
}
