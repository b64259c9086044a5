package admission

import (
	"sort"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InstallOptions describe where the webhook runs and what it may skip.
type InstallOptions struct {
	// Name prefixes the configuration names (default "guardrail").
	Name string
	// Service locates the webhook in the cluster; URL is used instead when set.
	ServiceNamespace, ServiceName string
	URL                           string
	// CABundle is the PEM bundle the API server verifies the webhook with.
	CABundle []byte
	// ExcludeNamespaces are never reviewed (default: the webhook's own and kube-system).
	ExcludeNamespaces []string
	// TimeoutSeconds is the API server's deadline per call (default 5).
	TimeoutSeconds int32
}

// resourcesFor maps rule kinds to the API resources to register.
var resourcesFor = map[string]struct{ group, resource string }{
	"Service": {"", "services"}, "ConfigMap": {"", "configmaps"}, "Secret": {"", "secrets"}, "Namespace": {"", "namespaces"},
	"ServiceAccount": {"", "serviceaccounts"}, "Ingress": {"networking.k8s.io", "ingresses"}, "NetworkPolicy": {"networking.k8s.io", "networkpolicies"},
	"Role": {"rbac.authorization.k8s.io", "roles"}, "ClusterRole": {"rbac.authorization.k8s.io", "clusterroles"},
	"RoleBinding": {"rbac.authorization.k8s.io", "rolebindings"}, "ClusterRoleBinding": {"rbac.authorization.k8s.io", "clusterrolebindings"},
	"ValidatingWebhookConfiguration": {"admissionregistration.k8s.io", "validatingwebhookconfigurations"},
	"MutatingWebhookConfiguration":   {"admissionregistration.k8s.io", "mutatingwebhookconfigurations"},
}

var workloadResources = []struct{ group, resource string }{
	{"", "pods"}, {"", "replicationcontrollers"}, {"", "podtemplates"}, {"apps", "deployments"}, {"apps", "statefulsets"},
	{"apps", "daemonsets"}, {"apps", "replicasets"}, {"batch", "jobs"}, {"batch", "cronjobs"},
}

// RuleWithOperations lists what the active rules need reviewed: workloads
// for pod rules, each kind an object rule names. Create and update only:
// deleting is never a risk these rules judge.
func RuleWithOperations(rs []*rules.Rule) []admissionregv1.RuleWithOperations {
	byGroup := map[string]map[string]bool{}
	add := func(g, r string) {
		if byGroup[g] == nil {
			byGroup[g] = map[string]bool{}
		}
		byGroup[g][r] = true
	}
	for _, r := range AdmissionRules(rs) {
		switch r.Scope {
		case rules.ScopeWorkload:
			for _, w := range workloadResources {
				add(w.group, w.resource)
			}
		case rules.ScopeObject:
			for _, gk := range r.Kinds {
				if m, ok := resourcesFor[gk.Kind]; ok && m.group == gk.Group {
					add(m.group, m.resource)
				}
			}
		}
	}
	var groups []string
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var out []admissionregv1.RuleWithOperations
	scope := admissionregv1.AllScopes
	for _, g := range groups {
		var res []string
		for r := range byGroup[g] {
			res = append(res, r)
		}
		sort.Strings(res)
		out = append(out, admissionregv1.RuleWithOperations{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
			Rule: admissionregv1.Rule{APIGroups: []string{g}, APIVersions: []string{"*"}, Resources: res, Scope: &scope}})
	}
	return out
}

// Configuration renders the ValidatingWebhookConfiguration: a fail-closed
// webhook for namespaces in enforce mode and a separate fail-open one for
// the rest (warn and audit must never block the cluster).
func Configuration(rs []*rules.Rule, o InstallOptions) *admissionregv1.ValidatingWebhookConfiguration {
	if o.Name == "" {
		o.Name = "guardrail"
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 5
	}
	if o.ExcludeNamespaces == nil {
		o.ExcludeNamespaces = []string{"kube-system"}
		if o.ServiceNamespace != "" {
			o.ExcludeNamespaces = append(o.ExcludeNamespaces, o.ServiceNamespace)
		}
	}
	cc := admissionregv1.WebhookClientConfig{CABundle: o.CABundle}
	if o.URL != "" {
		u := o.URL
		cc.URL = &u
	} else {
		path := "/validate"
		cc.Service = &admissionregv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: &path}
	}
	none := admissionregv1.SideEffectClassNone
	fail, ignore := admissionregv1.Fail, admissionregv1.Ignore
	equivalent := admissionregv1.Equivalent
	excluded := metav1.LabelSelectorRequirement{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: o.ExcludeNamespaces}
	hook := func(name string, fp *admissionregv1.FailurePolicyType, op metav1.LabelSelectorOperator) admissionregv1.ValidatingWebhook {
		return admissionregv1.ValidatingWebhook{
			Name: name, ClientConfig: cc, Rules: RuleWithOperations(rs), FailurePolicy: fp, MatchPolicy: &equivalent,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				excluded, {Key: ModeLabel, Operator: op, Values: []string{string(Enforce)}}}},
			SideEffects: &none, TimeoutSeconds: &o.TimeoutSeconds, AdmissionReviewVersions: []string{"v1"},
			// Nodes updating their own objects and the control plane's
			// controllers are noise for these rules.
			MatchConditions: []admissionregv1.MatchCondition{{Name: "not-a-node",
				Expression: "!request.userInfo.username.startsWith('system:node:')"}},
		}
	}
	return &admissionregv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: map[string]string{"app.kubernetes.io/name": "guardrail"}},
		Webhooks: []admissionregv1.ValidatingWebhook{
			hook("enforce.guardrail.dev", &fail, metav1.LabelSelectorOpIn),
			hook("supervise.guardrail.dev", &ignore, metav1.LabelSelectorOpNotIn),
		},
	}
}
