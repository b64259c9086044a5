package rules

import (
	"fmt"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

var resourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "container-resource-requests", Title: "Resource requests missing", Severity: api.SeverityMedium, Category: api.CategoryReliability,
			Rationale:   "Without requests the scheduler cannot place the pod sensibly and the pod is the first evicted under pressure (BestEffort).",
			Remediation: "Set resources.requests for cpu, memory and ephemeral-storage from observed usage.",
			Example:     "resources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\n    ephemeral-storage: 100Mi",
		},
		Scope:                   ScopeWorkload,
		CrossObject:             true, // a LimitRange of the namespace may supply the defaults
		NeedsContainerResources: true,
		Reads:                   inNamespace(kindLimitRange),
		Check:                   func(in *Input) []Violation { return missingResources(in, "requests") },
	})
}

// missingResources reports, per container, the resources missing from
// requests or limits that no LimitRange of the namespace supplies (the
// LimitRanger admission plugin fills them in at creation: defaultRequest,
// falling back to default, for requests; default for limits). It reads the
// pod spec, since cross-object rules see a slimmed workload that keeps
// containers' names and resources. Ephemeral containers cannot set resources.
func missingResources(in *Input, kind string) []Violation {
	w := in.Workload
	supplied, from := limitRangeDefaults(in, w.Meta.Namespace, kind)
	if w.Meta.Namespace == "" {
		supplied, from = limitRangeDefaults(in, in.Object.Namespace(), kind)
	}
	var out []Violation
	check := func(c corev1.Container, field, what string) {
		list := c.Resources.Requests
		if kind == "limits" {
			list = c.Resources.Limits
		}
		var missing, byDefault []string
		for _, r := range resourceNames {
			if _, ok := list[r]; ok {
				continue
			}
			if _, ok := supplied[r]; ok {
				byDefault = append(byDefault, string(r))
				continue
			}
			missing = append(missing, string(r))
		}
		if len(missing) == 0 {
			return
		}
		msg := fmt.Sprintf("%s %q: resources.%s has no %s", what, c.Name, kind, strings.Join(missing, ", "))
		if len(byDefault) > 0 {
			msg += " (LimitRange " + from + " supplies " + strings.Join(byDefault, ", ") + ")"
		}
		out = append(out, Violation{Message: msg, Field: w.Field(field + ".resources." + kind), Container: c.Name, Key: what + "/" + c.Name + "/" + kind})
	}
	for i, c := range w.Spec.InitContainers {
		check(c, "initContainers["+itoa(i)+"]", "init container")
	}
	for i, c := range w.Spec.Containers {
		check(c, "containers["+itoa(i)+"]", "container")
	}
	return out
}

// limitRangeDefaults returns the container resources the LimitRanges of
// namespace ns fill in for kind, and the name of one that does.
func limitRangeDefaults(in *Input, ns, kind string) (map[corev1.ResourceName]bool, string) {
	out := map[corev1.ResourceName]bool{}
	from := ""
	if in.Inventory == nil {
		return out, from
	}
	for _, o := range in.Inventory.InNamespace(ns) {
		lr, ok := o.Obj.(*corev1.LimitRange)
		if !ok {
			continue
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			lists := []corev1.ResourceList{item.Default}
			if kind == "requests" {
				lists = append(lists, item.DefaultRequest)
			}
			for _, l := range lists {
				for r := range l {
					out[r] = true
					if from == "" {
						from = ns + "/" + lr.Name
					}
				}
			}
		}
	}
	return out, from
}
