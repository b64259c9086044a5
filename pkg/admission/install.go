package admission

import (
	"slices"
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	// ExcludeNamespaces are never reviewed (default: DefaultExempt).
	ExcludeNamespaces []string
	// TimeoutSeconds is the API server's deadline per call (default 5).
	TimeoutSeconds int32
	// Policy decides which hooks fail closed.
	Policy Policy
	// Namespaces are the names of the namespaces that exist now. With
	// them, the hook for unlabelled namespaces is split by name into a
	// fail-closed part (those the policy puts in enforce) and a fail-open
	// part; without them it fails closed whenever any unlabelled namespace
	// can be in enforce.
	Namespaces []string
}

// DefaultExempt are the namespaces the webhook never reviews unless the
// config names others: kube-system, whose pods the cluster itself needs to
// start (the webhook's own among them when it runs there), and the
// webhook's own namespace, so that it can always be restarted.
func DefaultExempt(ownNamespace string) []string {
	out := []string{"kube-system"}
	if ownNamespace != "" && ownNamespace != "kube-system" {
		out = append(out, ownNamespace)
	}
	return out
}

// resourceFor is the API resource of a kind a rule names, from the one
// table the live scan lists (pkg/cluster.Resources), so a kind the scan
// reads is a kind the webhook registers.
func resourceFor(gk schema.GroupKind) (cluster.Resource, bool) {
	for _, r := range cluster.Resources {
		if r.GVK.GroupKind() == gk {
			return r, true
		}
	}
	return cluster.Resource{}, false
}

// RuleWithOperations lists what the active rules need reviewed in scope
// (namespaced or cluster-scoped objects): workloads for pod rules, with the
// ephemeralcontainers subresource (kubectl debug adds containers through
// it), and each kind an object rule names. Create and update only: deleting
// is never a risk these rules judge.
func RuleWithOperations(rs []*rules.Rule, scope admissionregv1.ScopeType) []admissionregv1.RuleWithOperations {
	type gr struct{ group, resource string }
	var namespaced, clusterList []gr
	seen := map[gr]bool{}
	add := func(g, r string, clusterScoped bool) {
		k := gr{g, r}
		if seen[k] {
			return
		}
		seen[k] = true
		if clusterScoped {
			clusterList = append(clusterList, k)
		} else {
			namespaced = append(namespaced, k)
		}
	}
	for _, r := range AdmissionRules(rs) {
		switch r.Scope {
		case rules.ScopeWorkload:
			for _, w := range cluster.Resources {
				if w.Workload {
					add(w.GVR.Group, w.GVR.Resource, false)
				}
			}
			add("", "pods/ephemeralcontainers", false)
		case rules.ScopeObject:
			for _, gk := range r.Kinds {
				if m, ok := resourceFor(gk); ok {
					add(m.GVR.Group, m.GVR.Resource, !m.Namespaced)
				}
			}
		}
	}
	list := namespaced
	if scope == admissionregv1.ClusterScope {
		list = clusterList
	}
	byGroup := map[string][]string{}
	var groups []string
	for _, k := range list {
		if byGroup[k.group] == nil {
			groups = append(groups, k.group)
		}
		byGroup[k.group] = append(byGroup[k.group], k.resource)
	}
	sort.Strings(groups)
	var out []admissionregv1.RuleWithOperations
	for _, g := range groups {
		res := byGroup[g]
		sort.Strings(res)
		sc := scope
		out = append(out, admissionregv1.RuleWithOperations{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
			Rule: admissionregv1.Rule{APIGroups: []string{g}, APIVersions: []string{"*"}, Resources: res, Scope: &sc}})
	}
	return out
}

// Configuration renders the ValidatingWebhookConfiguration. Each hook has
// its own path and selector, so the API server tells the webhook what it
// matched:
//
//   - enforce: namespaces labelled enforce (or with a value that is not a
//     mode); fails closed.
//   - warn, audit: namespaces labelled so; fail open.
//   - default: namespaces without the label, judged by name (config
//     patterns, then the default mode); fails closed for those the policy
//     puts in enforce.
//   - cluster: cluster-scoped objects in the cluster mode; fails closed
//     only when that mode is enforce.
//   - mode-label: changes of the mode label on Namespaces; fails closed.
//
// Exempt namespaces match none of the namespaced hooks.
func Configuration(rs []*rules.Rule, o InstallOptions) *admissionregv1.ValidatingWebhookConfiguration {
	if o.Name == "" {
		o.Name = "guardrail"
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 5
	}
	if o.ExcludeNamespaces == nil {
		o.ExcludeNamespaces = DefaultExempt(o.ServiceNamespace)
	}
	client := func(h Hook) admissionregv1.WebhookClientConfig {
		cc := admissionregv1.WebhookClientConfig{CABundle: o.CABundle}
		if o.URL != "" {
			u := BaseURL(o.URL) + h.Path()
			cc.URL = &u
		} else {
			p := h.Path()
			cc.Service = &admissionregv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: &p}
		}
		return cc
	}
	none := admissionregv1.SideEffectClassNone
	equivalent := admissionregv1.Equivalent
	policy := func(failClosed bool) *admissionregv1.FailurePolicyType {
		fp := admissionregv1.Ignore
		if failClosed {
			fp = admissionregv1.Fail
		}
		return &fp
	}
	nameNotIn := func(extra ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: nameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: append(slices.Clone(o.ExcludeNamespaces), extra...)}
	}
	modes := []string{string(Enforce), string(Warn), string(Audit)}
	namespaced := RuleWithOperations(rs, admissionregv1.NamespacedScope)
	hook := func(name string, h Hook, failClosed bool, sel ...metav1.LabelSelectorRequirement) admissionregv1.ValidatingWebhook {
		return admissionregv1.ValidatingWebhook{
			Name: name, ClientConfig: client(h), Rules: namespaced, FailurePolicy: policy(failClosed), MatchPolicy: &equivalent,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: nonEmpty(sel)},
			SideEffects:       &none, TimeoutSeconds: &o.TimeoutSeconds, AdmissionReviewVersions: []string{"v1"},
			// Nodes updating their own objects are noise for these rules.
			MatchConditions: []admissionregv1.MatchCondition{notANode},
		}
	}
	hooks := []admissionregv1.ValidatingWebhook{
		hook("enforce.guardrail.dev", HookEnforce, true, nameNotIn(), metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{string(Enforce)}}),
		hook("invalid-mode.guardrail.dev", HookEnforce, true, nameNotIn(), metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpExists},
			metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpNotIn, Values: modes}),
		hook("warn.guardrail.dev", HookWarn, false, nameNotIn(), metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{string(Warn)}}),
		hook("audit.guardrail.dev", HookAudit, false, nameNotIn(), metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{string(Audit)}}),
	}
	unlabelled := metav1.LabelSelectorRequirement{Key: ModeLabel, Operator: metav1.LabelSelectorOpDoesNotExist}
	switch {
	case !o.Policy.mayEnforceUnlabelled():
		hooks = append(hooks, hook("default.guardrail.dev", HookDefault, false, nameNotIn(), unlabelled))
	case o.Namespaces == nil:
		hooks = append(hooks, hook("default.guardrail.dev", HookDefault, true, nameNotIn(), unlabelled))
	default:
		// Split by name: the names the policy puts in enforce fail closed.
		// A namespace created later lands on the side its name implies once
		// the webhook republishes; until then the handler still judges it
		// by name, so only an outage in that window would let it through.
		var enforced, other []string
		for _, n := range o.Namespaces {
			if slices.Contains(o.ExcludeNamespaces, n) {
				continue
			}
			if o.Policy.Unlabelled(n) == Enforce {
				enforced = append(enforced, n)
			} else {
				other = append(other, n)
			}
		}
		sort.Strings(enforced)
		sort.Strings(other)
		if o.Policy.Default == Enforce {
			hooks = append(hooks, hook("default.guardrail.dev", HookDefault, true, nameNotIn(other...), unlabelled))
			if len(other) > 0 {
				hooks = append(hooks, hook("default-supervised.guardrail.dev", HookDefault, false, unlabelled,
					metav1.LabelSelectorRequirement{Key: nameLabel, Operator: metav1.LabelSelectorOpIn, Values: other}))
			}
		} else {
			if len(enforced) > 0 {
				hooks = append(hooks, hook("default-enforced.guardrail.dev", HookDefault, true, unlabelled,
					metav1.LabelSelectorRequirement{Key: nameLabel, Operator: metav1.LabelSelectorOpIn, Values: enforced}))
			}
			hooks = append(hooks, hook("default.guardrail.dev", HookDefault, false, nameNotIn(enforced...), unlabelled))
		}
	}
	if cr := RuleWithOperations(rs, admissionregv1.ClusterScope); len(cr) > 0 {
		hooks = append(hooks, admissionregv1.ValidatingWebhook{
			Name: "cluster.guardrail.dev", ClientConfig: client(HookCluster), Rules: cr, FailurePolicy: policy(o.Policy.ClusterMode() == Enforce),
			MatchPolicy: &equivalent, SideEffects: &none, TimeoutSeconds: &o.TimeoutSeconds, AdmissionReviewVersions: []string{"v1"},
			MatchConditions: []admissionregv1.MatchCondition{notANode},
		})
	}
	nsScope := admissionregv1.ClusterScope
	hooks = append(hooks, admissionregv1.ValidatingWebhook{
		Name: "mode-label.guardrail.dev", ClientConfig: client(HookModeLabel), FailurePolicy: policy(true),
		Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
			Rule: admissionregv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"namespaces"}, Scope: &nsScope}}},
		MatchPolicy: &equivalent, SideEffects: &none, TimeoutSeconds: &o.TimeoutSeconds, AdmissionReviewVersions: []string{"v1"},
		MatchConditions: []admissionregv1.MatchCondition{{Name: "mode-label-changes", Expression: modeLabelChanges}},
	})
	return &admissionregv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: map[string]string{"app.kubernetes.io/name": "guardrail"}},
		Webhooks:   hooks,
	}
}

const nameLabel = "kubernetes.io/metadata.name"

var notANode = admissionregv1.MatchCondition{Name: "not-a-node", Expression: "!request.userInfo.username.startsWith('system:node:')"}

// modeLabelChanges matches a Namespace create that sets the mode label and
// an update that changes or removes it; other namespace writes never reach
// the fail-closed mode-label hook.
const modeLabelChanges = `(request.operation == 'CREATE' && has(object.metadata.labels) && '` + ModeLabel + `' in object.metadata.labels) || ` +
	`(request.operation == 'UPDATE' && ` +
	`(has(object.metadata.labels) && '` + ModeLabel + `' in object.metadata.labels ? object.metadata.labels['` + ModeLabel + `'] : '') != ` +
	`(has(oldObject.metadata.labels) && '` + ModeLabel + `' in oldObject.metadata.labels ? oldObject.metadata.labels['` + ModeLabel + `'] : ''))`

// BaseURL trims a webhook URL to its base: a trailing /validate or hook
// path given by habit is dropped, since each hook appends its own path.
func BaseURL(u string) string {
	u = strings.TrimRight(u, "/")
	for _, h := range Hooks {
		u = strings.TrimSuffix(u, h.Path())
	}
	return strings.TrimSuffix(u, PathPrefix)
}

// nonEmpty drops In and NotIn requirements without values (no namespace
// exempt): the API server refuses them.
func nonEmpty(reqs []metav1.LabelSelectorRequirement) []metav1.LabelSelectorRequirement {
	var out []metav1.LabelSelectorRequirement
	for _, r := range reqs {
		if (r.Operator == metav1.LabelSelectorOpIn || r.Operator == metav1.LabelSelectorOpNotIn) && len(r.Values) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}
