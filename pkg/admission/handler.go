package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Handler answers AdmissionReviews. It holds no transport: Server wraps it.
type Handler struct {
	// Engine evaluates objects; the same engine type as scan uses.
	Engine *engine.Engine
	// Policy maps namespaces to modes.
	Policy Policy
	// FailOn is the lowest severity that counts in enforce mode.
	FailOn api.Severity
	// Exempt namespaces are never judged. Configuration leaves them out too;
	// the handler checks again so that a hand-written configuration cannot
	// review them by accident.
	Exempt []string
	// ModeAdmins are the users and groups that may lower a namespace from
	// enforce (see ModeLabelReview); default system:masters.
	ModeAdmins []string
	// Record is called with every decision (metrics, logs).
	Record func(Decision)
}

// Decision is what the handler decided about one request.
type Decision struct {
	UID       string
	Hook      Hook
	Kind      string
	Namespace string
	Name      string
	Operation string
	Mode      Mode
	Allowed   bool
	// Unread is set when the object could not be read (and so was judged
	// by mode alone: denied in enforce).
	Unread   bool
	Findings []api.Finding
	Elapsed  time.Duration
}

// MaxObjectBytes bounds one object as the webhook decodes it: the API
// server accepts requests up to 3 MiB, and JSON escapes such as \u003c for
// "<" make its review up to six times larger.
const MaxObjectBytes = 6*(3<<20) + 1<<20

// Review decodes an AdmissionReview body that arrived through hook and
// returns the response review. A body that is not an AdmissionReview is an
// error for the transport to answer with 400. An object Guardrail cannot
// read is denied in enforce mode (an attacker controls what is unreadable)
// and admitted with a warning elsewhere.
func (h *Handler) Review(ctx context.Context, hook Hook, body []byte) (*admissionv1.AdmissionReview, error) {
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
	d := Decision{UID: string(req.UID), Hook: hook, Kind: req.Kind.Kind, Namespace: req.Namespace, Name: req.Name,
		Operation: string(req.Operation), Allowed: true}
	defer func() {
		d.Elapsed = time.Since(start)
		if h.Record != nil {
			h.Record(d)
		}
	}()
	if hook == HookModeLabel {
		h.reviewModeLabel(req, resp, &d)
		return out, nil
	}
	d.Mode = h.Policy.modeOf(hook, req.Namespace)
	switch {
	case req.Namespace != "" && slices.Contains(h.Exempt, req.Namespace):
		return out, nil
	case req.Operation != admissionv1.Create && req.Operation != admissionv1.Update:
		return out, nil // deleting or connecting is no risk these rules judge
	case req.SubResource != "" && req.SubResource != "ephemeralcontainers":
		return out, nil // status and scale change no field the rules read
	}
	counted, err := h.judge(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d.Unread = true
		if d.Mode == Enforce {
			resp.Allowed, d.Allowed = false, false
			resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
				Message: "guardrail denied the request: it could not read the object, and this namespace is in enforce mode: " + err.Error()}
		} else {
			resp.Warnings = []string{"guardrail could not read the object, so it was not checked: " + err.Error()}
		}
		return out, nil
	}
	var advisory []api.Finding
	counted, advisory = split(counted, h.FailOn)
	d.Findings = counted
	if d.Mode != Audit && len(advisory) > 0 {
		resp.Warnings = advisories(advisory)
	}
	switch {
	case len(counted) == 0:
	case d.Mode == Enforce:
		resp.Allowed, d.Allowed = false, false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: denial(counted)}
	case d.Mode == Warn:
		resp.Warnings = append(warnings(counted), resp.Warnings...)
	case d.Mode == Audit:
		resp.AuditAnnotations = map[string]string{"findings": auditSummary(counted)}
	}
	return out, nil
}

// judge returns the findings at medium or above (or FailOn, if lower)
// that the request brings.
// An UPDATE that changes only metadata (labels, annotations, finalizers,
// owner references) is judged only on the findings it adds, as Pod Security
// Admission exempts updates that leave the pod spec alone: otherwise the
// garbage collector could not remove a finalizer from an object that
// predates enforcement, and deletions would hang.
func (h *Handler) judge(ctx context.Context, req *admissionv1.AdmissionRequest) ([]api.Finding, error) {
	cur, err := read(req.Object.Raw)
	if err != nil {
		return nil, err
	}
	fs, err := h.findings(ctx, cur, req.Namespace)
	if err != nil {
		return nil, err
	}
	if req.Operation != admissionv1.Update || len(req.OldObject.Raw) == 0 {
		return fs, nil
	}
	old, err := read(req.OldObject.Raw)
	if err != nil || !sameContent(old, cur) {
		return fs, nil // the old object does not matter when the content changes
	}
	before, err := h.findings(ctx, old, req.Namespace)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, f := range before {
		seen[findingKey(f)] = true
	}
	var added []api.Finding
	for _, f := range fs {
		if !seen[findingKey(f)] {
			added = append(added, f)
		}
	}
	return added, nil
}

func findingKey(f api.Finding) string { return f.RuleID + "\x00" + f.Field + "\x00" + f.Message }

// findings evaluates one decoded object and keeps those that count.
func (h *Handler) findings(ctx context.Context, o *object, namespace string) ([]api.Finding, error) {
	loaded := manifest.NewLoader(manifest.WithWorkers(1), manifest.WithLimits(admissionLimits())).LoadJSON("object", o.stripped)
	// An object that does not match its schema is one the rules may read
	// only in part: that is unreadable too.
	if len(loaded.Objects) != 1 || slices.ContainsFunc(loaded.Problems, func(p *api.Problem) bool { return !p.Warning }) {
		return nil, unreadable(loaded.Problems)
	}
	obj := loaded.Objects[0]
	if obj.Meta.GetNamespace() == "" && namespace != "" {
		obj.Meta.SetNamespace(namespace)
	}
	s := h.Engine.NewStream(engine.WithContext(ctx))
	s.Add(obj)
	if err := s.Err(); err != nil {
		return nil, err
	}
	res := s.Finish(inventory.New([]*inventory.Object{obj}))
	var counted []api.Finding
	for _, f := range res.Findings {
		if f.Severity >= min(h.FailOn, api.SeverityMedium) {
			counted = append(counted, f)
		}
	}
	return counted, nil
}

// split separates the findings that count against the gate from those
// below it, which are only shown.
func split(fs []api.Finding, failOn api.Severity) (counted, below []api.Finding) {
	for _, f := range fs {
		if f.Severity >= failOn {
			counted = append(counted, f)
		} else {
			below = append(below, f)
		}
	}
	return counted, below
}

// advisories are the warnings for findings below the gate: they do not
// deny, but kubectl shows them, at most five.
func advisories(fs []api.Finding) []string {
	out := warnings(fs)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("guardrail: and %d more findings below the gate; run guardrail scan for all", len(out)-5))
	}
	return out
}

// admissionLimits are the decoder's limits for one reviewed object.
func admissionLimits() manifest.Limits {
	l := manifest.DefaultLimits()
	l.MaxDocumentBytes = MaxObjectBytes
	return l
}

func unreadable(problems []*api.Problem) error {
	var msgs []string
	for _, p := range problems {
		if !p.Warning {
			m := p.Message
			if p.Field != "" {
				m = "field " + p.Field + ": " + m
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return errors.New("the request holds no single object")
	}
	if len(msgs) > 3 {
		msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// maxMessage bounds one finding's message in a denial or warning: a pod
// with 10,000 containers made one upstream Pod Security detail 89 KB, and
// kubectl prints all of it.
const maxMessage = 300

// clip shortens s to maxMessage bytes on a rune boundary, saying how much
// was left out.
func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes; guardrail scan shows all)", s[:cut], len(s)-cut)
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
		fmt.Fprintf(&b, " [%s %s] %s", f.Severity, f.RuleID, clip(f.Message))
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
		out = append(out, fmt.Sprintf("guardrail %s %s: %s", f.Severity, f.RuleID, clip(f.Message)))
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
