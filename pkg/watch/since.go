package watch

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
)

// Appeared is a published result that first appeared after a time.
type Appeared struct {
	FirstSeen time.Time    `json:"firstSeen"`
	RuleID    string       `json:"ruleID"`
	Severity  api.Severity `json:"severity"`
	Object    string       `json:"object"`
	Field     string       `json:"field,omitempty"`
	Message   string       `json:"message"`
	Manager   string       `json:"fieldManager,omitempty"`
	ChangedAt *time.Time   `json:"changedAt,omitempty"`
	Result    string       `json:"result"`
}

// Since reads the watcher's reports and returns the failing results that
// first appeared at or after t, most severe first: what a rollout
// introduced, for a CD step to gate on.
func Since(ctx context.Context, dyn dynamic.Interface, format Format, t time.Time) ([]Appeared, error) {
	nsGVR, clGVR := format.Kinds()
	sel := labels.SelectorFromSet(Labels).String()
	var out []Appeared
	for _, ri := range []dynamic.NamespaceableResourceInterface{dyn.Resource(nsGVR), dyn.Resource(clGVR)} {
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return nil, fmt.Errorf("reading the reports: %w (is guardrail watch running, with the CRDs installed?)", err)
		}
		for _, u := range list.Items {
			results, _ := u.Object["results"].([]any)
			for _, r := range results {
				m, _ := r.(map[string]any)
				props, _ := m["properties"].(map[string]any)
				first, _ := props["firstSeen"].(string)
				at, err := time.Parse(time.RFC3339, first)
				if err != nil || at.Before(t) || m["result"] != "fail" {
					continue
				}
				sevName, _ := m["severity"].(string)
				sev, _ := api.ParseSeverity(sevName)
				a := Appeared{FirstSeen: at, Severity: sev, Result: "fail"}
				a.RuleID, _ = m["policy"].(string)
				a.Message, _ = m["message"].(string)
				a.Field, _ = props["field"].(string)
				a.Manager, _ = props["fieldManager"].(string)
				if c, ok := props["changedAt"].(string); ok {
					if at, err := time.Parse(time.RFC3339, c); err == nil {
						a.ChangedAt = &at
					}
				}
				if res, _ := m["resources"].([]any); len(res) > 0 {
					ref, _ := res[0].(map[string]any)
					kind, _ := ref["kind"].(string)
					ns, _ := ref["namespace"].(string)
					name, _ := ref["name"].(string)
					a.Object = api.ObjectRef{Kind: kind, Namespace: ns, Name: name}.String()
				}
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity > out[j].Severity
		}
		return out[i].FirstSeen.Before(out[j].FirstSeen)
	})
	return out, nil
}
