package watch

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	orv1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Format is the report API the watcher writes.
type Format string

// The report formats.
const (
	// OpenReports is openreports.io/v1alpha1 Report and ClusterReport.
	OpenReports Format = "openreports"
	// PolicyReports is wgpolicyk8s.io/v1alpha2 PolicyReport and
	// ClusterPolicyReport, which Policy Reporter and older dashboards read.
	PolicyReports Format = "wgpolicyk8s"
)

// Kinds returns the namespaced and cluster-scoped report resources.
func (f Format) Kinds() (namespaced, cluster schema.GroupVersionResource) {
	if f == PolicyReports {
		return schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"},
			schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
	}
	return schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "reports"},
		schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "clusterreports"}
}

func (f Format) kindNames() (namespaced, cluster string) {
	if f == PolicyReports {
		return "PolicyReport", "ClusterPolicyReport"
	}
	return "Report", "ClusterReport"
}

// ReportName is the name of every report the watcher writes.
const ReportName = "guardrail"

// Source is the results' source.
const Source = "guardrail"

// Labels mark the watcher's reports.
var Labels = map[string]string{"app.kubernetes.io/managed-by": "guardrail"}

// maxReportBytes keeps a report well under etcd's 1.5 MiB object limit.
const maxReportBytes = 1 << 20

// Tracked is a finding with when and by which change it first appeared.
type Tracked struct {
	// Finding is shared with the engine's caches and other passes
	// (engine.SharedResult): never modified.
	*api.Finding
	// FirstSeen is when the watcher first saw the finding.
	FirstSeen time.Time
	// Generation and Manager are the object's generation and the field
	// manager of its latest change when the finding first appeared.
	Generation int64
	Manager    string
	// ChangedAt is when that change was made (its managedFields time, to
	// the second): the change that introduced the finding, where
	// FirstSeen is when the watcher saw it.
	ChangedAt time.Time
}

// ReportInput is what one report says: the findings of one namespace
// ("" for the cluster-scoped report), how many of its objects passed, and
// the problems (kinds not read) that make the state partial.
type ReportInput struct {
	Namespace    string
	NamespaceUID string
	// Findings point into the pass's state: a cluster's findings are
	// hundreds of thousands of large structs, not copied per report.
	Findings []*Tracked
	// Passed counts objects of the namespace that rules judged with no
	// active finding.
	Passed int
	// Errors are problems to publish as error results (cluster report).
	Errors []string
	// MaxResults caps the results; the summary still counts them all.
	MaxResults int
}

// Build makes the report object for one namespace or the cluster.
// Results are ordered by severity, then rule, object and field, so the
// same state gives the same bytes; past MaxResults (or 1 MiB) the lowest
// are left out and the annotation guardrail.dev/results-omitted counts
// them.
func (f Format) Build(in ReportInput) *unstructured.Unstructured {
	nsKind, clKind := f.kindNames()
	gvr, clusterGVR := f.Kinds()
	apiVersion := gvr.GroupVersion().String()
	kind := nsKind
	if in.Namespace == "" {
		kind, apiVersion = clKind, clusterGVR.GroupVersion().String()
	}
	// Sort keys made once, not in each comparison.
	type keyed struct {
		t   *Tracked
		key string
	}
	fs := make([]keyed, len(in.Findings))
	for i, t := range in.Findings {
		fs[i] = keyed{t, t.RuleID + "\x00" + t.Object.String() + "\x00" + t.Field + t.Container}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.t.Severity != b.t.Severity {
			return a.t.Severity > b.t.Severity
		}
		return a.key < b.key
	})
	sum := orv1.ReportSummary{Pass: in.Passed, Error: len(in.Errors)}
	limit := in.MaxResults
	if limit <= 0 {
		limit = 1000
	}
	var results []any
	for _, e := range in.Errors {
		results = append(results, map[string]any{"source": Source, "policy": "guardrail-input", "result": "error", "message": e})
	}
	omitted := 0
	for _, k := range fs {
		if k.t.Suppressed != nil {
			sum.Skip++
		} else {
			sum.Fail++
		}
		// Only what fits is converted: the rest is counted.
		if len(results) < limit {
			results = append(results, result(k.t))
		} else {
			omitted++
		}
	}
	summary, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(&sum)
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": ReportName},
		"summary":  summary,
	}}
	if f == OpenReports {
		obj.Object["source"] = Source
		obj.Object["configuration"] = map[string]any{"limits": map[string]any{"maxResults": int64(limit)}}
	}
	labels := map[string]string{}
	for k, v := range Labels {
		labels[k] = v
	}
	obj.SetLabels(labels)
	if in.Namespace != "" {
		obj.SetNamespace(in.Namespace)
		if in.NamespaceUID != "" {
			obj.Object["scope"] = map[string]any{"apiVersion": "v1", "kind": "Namespace", "name": in.Namespace, "uid": in.NamespaceUID}
			obj.Object["metadata"].(map[string]any)["ownerReferences"] = []any{map[string]any{"apiVersion": "v1", "kind": "Namespace", "name": in.Namespace, "uid": in.NamespaceUID}}
		}
	}
	for {
		if len(results) > 0 {
			obj.Object["results"] = results
		} else {
			delete(obj.Object, "results")
		}
		if omitted > 0 {
			obj.SetAnnotations(map[string]string{"guardrail.dev/results-omitted": strconv.Itoa(omitted)})
		}
		b, _ := json.Marshal(obj.Object)
		if len(b) <= maxReportBytes || len(results) == 0 {
			return obj
		}
		cut := len(results) / 4
		if cut == 0 {
			cut = 1
		}
		omitted += cut
		results = results[:len(results)-cut]
	}
}

// result is one finding as a report result (OpenReports' ReportResult,
// which wgpolicyk8s v1alpha2 shares): fail for an active finding, skip
// with the exception's reason for a suppressed one.
func result(t *Tracked) map[string]any {
	props := map[string]string{"fingerprint": t.Fingerprint}
	if t.Field != "" {
		props["field"] = t.Field
	}
	if t.Container != "" {
		props["container"] = t.Container
	}
	if !t.FirstSeen.IsZero() {
		props["firstSeen"] = t.FirstSeen.UTC().Format(time.RFC3339)
	}
	if t.Generation != 0 {
		props["generation"] = strconv.FormatInt(t.Generation, 10)
	}
	if t.Manager != "" {
		props["fieldManager"] = t.Manager
	}
	if !t.ChangedAt.IsZero() {
		props["changedAt"] = t.ChangedAt.UTC().Format(time.RFC3339)
	}
	res := orv1.Result("fail")
	if t.Suppressed != nil {
		res = "skip"
		props["suppressedBy"] = t.Suppressed.Source
		if t.Suppressed.Reason != "" {
			props["exceptionReason"] = t.Suppressed.Reason
		}
	}
	r := orv1.ReportResult{
		Source: Source, Policy: t.RuleID, Rule: t.RuleID, Category: string(t.Category), Severity: orv1.ResultSeverity(t.Severity.String()),
		Result: res, Scored: true, Description: t.Message, Properties: props,
		Subjects: []corev1.ObjectReference{{APIVersion: t.Object.APIVersion, Kind: t.Object.Kind, Namespace: t.Object.Namespace, Name: t.Object.Name, UID: types.UID(t.Object.UID)}},
	}
	if !t.FirstSeen.IsZero() {
		r.Timestamp = metav1.Timestamp{Seconds: t.FirstSeen.Unix()}
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&r)
	if err != nil {
		return map[string]any{"source": Source, "policy": t.RuleID, "result": string(res), "message": t.Message}
	}
	if t.FirstSeen.IsZero() {
		delete(m, "timestamp")
	}
	return m
}
