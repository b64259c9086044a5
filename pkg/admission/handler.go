package admission

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NamespaceLabels returns a namespace's labels from an informer cache; ok
// is false when the namespace is not (yet) known.
type NamespaceLabels func(ns string) (labels map[string]string, ok bool)

// Handler answers AdmissionReviews. It holds no transport: Server wraps it.
type Handler struct {
	// Engine evaluates objects; the same engine type as scan uses.
	Engine *engine.Engine
	// Policy maps namespaces to modes.
	Policy Policy
	// FailOn is the lowest severity that counts in enforce mode.
	FailOn api.Severity
	// Namespaces reads namespace labels from a cache (nil: no labels).
	Namespaces NamespaceLabels
	// Record is called with every decision (metrics, logs).
	Record func(Decision)
}

// Decision is what the handler decided about one request.
type Decision struct {
	UID       string
	Kind      string
	Namespace string
	Name      string
	Mode      Mode
	Allowed   bool
	Findings  []api.Finding
	Elapsed   time.Duration
}

// Review decodes an AdmissionReview body and returns the response review.
// A body that is not an AdmissionReview is an error for the transport to
// answer with 400; a review of an object Guardrail cannot decode is allowed
// with a warning, since the API server validates objects itself.
func (h *Handler) Review(body []byte) (*admissionv1.AdmissionReview, error) {
	start := time.Now()
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, fmt.Errorf("request body is not an AdmissionReview: %w", err)
	}
	if review.Request == nil {
		return nil, fmt.Errorf("AdmissionReview has no request")
	}
	req := review.Request
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	out := &admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: resp}
	if req.Operation == admissionv1.Delete || len(req.Object.Raw) == 0 {
		return out, nil
	}
	var labels map[string]string
	if h.Namespaces != nil && req.Namespace != "" {
		if l, ok := h.Namespaces(req.Namespace); ok {
			labels = l
		}
	}
	mode := h.Policy.ModeFor(req.Namespace, labels)
	d := Decision{UID: string(req.UID), Kind: req.Kind.Kind, Namespace: req.Namespace, Name: req.Name, Mode: mode, Allowed: true}

	loaded := manifest.NewLoader(manifest.WithWorkers(1)).LoadBytes("admission", req.Object.Raw)
	if len(loaded.Objects) != 1 {
		resp.Warnings = []string{"guardrail could not read the object; it was not checked"}
		h.record(d, start)
		return out, nil
	}
	obj := loaded.Objects[0]
	if obj.Meta.GetNamespace() == "" && req.Namespace != "" {
		obj.Meta.SetNamespace(req.Namespace)
	}
	res := h.Engine.Scan(inventory.New([]*inventory.Object{obj}))
	var counted []api.Finding
	for _, f := range res.Findings {
		if f.Severity >= h.FailOn {
			counted = append(counted, f)
		}
	}
	d.Findings = counted
	switch {
	case len(counted) == 0:
	case mode == Enforce:
		resp.Allowed, d.Allowed = false, false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: denial(counted)}
	case mode == Warn:
		resp.Warnings = warnings(counted)
	case mode == Audit:
		resp.AuditAnnotations = map[string]string{"findings": auditSummary(counted)}
	}
	h.record(d, start)
	return out, nil
}

func (h *Handler) record(d Decision, start time.Time) {
	d.Elapsed = time.Since(start)
	if h.Record != nil {
		h.Record(d)
	}
}

// denial names each rule, the field and the fix, most severe first.
func denial(fs []api.Finding) string {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
	var b strings.Builder
	b.WriteString("guardrail denied the request:")
	for i, f := range fs {
		if i == 5 {
			fmt.Fprintf(&b, " (and %d more)", len(fs)-5)
			break
		}
		fmt.Fprintf(&b, " [%s %s] %s", f.Severity, f.RuleID, f.Message)
		if f.Field != "" {
			fmt.Fprintf(&b, " (field %s)", f.Field)
		}
		b.WriteString(";")
	}
	b.WriteString(" fix them, or see `guardrail rules explain RULE`")
	return b.String()
}

func warnings(fs []api.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, fmt.Sprintf("guardrail %s %s: %s", f.Severity, f.RuleID, f.Message))
	}
	return out
}

func auditSummary(fs []api.Finding) string {
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.RuleID)
	}
	return strings.Join(ids, ",")
}
