package api

import "strings"

// ObjectRef identifies the object a finding is about.
type ObjectRef struct {
	// APIVersion is group/version as written in the object ("apps/v1").
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind is the object's kind ("Deployment").
	Kind string `json:"kind"`
	// Namespace is empty for cluster-scoped objects and for manifests that do not set it.
	Namespace string `json:"namespace,omitempty"`
	// Name is the object's name.
	Name string `json:"name"`
	// UID is set for live objects only.
	UID string `json:"uid,omitempty"`
}

// String formats the reference as Kind/namespace/name or Kind/name.
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Location is where in the input an object or field was written.
type Location struct {
	// File is the path as given on the command line, or "-" for stdin; empty for live objects.
	File string `json:"file,omitempty"`
	// Line is 1-based; 0 when unknown.
	Line int `json:"line,omitempty"`
}

// The markers a loader appends to Location.File when the line is of a
// tool's output rather than of the named file: a Helm template's rendered
// output (where no template line wrote the field), or kustomize's build.
const (
	RenderedMarker  = " (rendered)"
	KustomizeMarker = " (kustomize)"
)

// SourceFile is the file the location names without its marker, and the
// tool whose output its line counts in ("helm", "kustomize"; "" when the
// line is the file's own).
func (l Location) SourceFile() (file, generatedBy string) {
	switch {
	case strings.HasSuffix(l.File, RenderedMarker):
		return strings.TrimSuffix(l.File, RenderedMarker), "helm"
	case strings.HasSuffix(l.File, KustomizeMarker):
		return strings.TrimSuffix(l.File, KustomizeMarker), "kustomize"
	}
	return l.File, ""
}

// Suppression records why a finding is not counted.
type Suppression struct {
	// Source is "config", "annotation" or "baseline".
	Source string `json:"source"`
	// Reason is the justification the exception gave.
	Reason string `json:"reason,omitempty"`
	// Expires is the exception's expiry date (YYYY-MM-DD), if any.
	Expires string `json:"expires,omitempty"`
}

// Finding is one violation of one rule by one object.
type Finding struct {
	// RuleID is the stable ID of the violated rule.
	RuleID string `json:"ruleID"`
	// Title is the rule's title.
	Title string `json:"title"`
	// Severity is the rule's severity.
	Severity Severity `json:"severity"`
	// Category is the rule's category.
	Category Category `json:"category"`
	// Message is specific: it names the field and the offending value (redacted for secrets).
	Message string `json:"message"`
	// Object is the object that violates the rule.
	Object ObjectRef `json:"object"`
	// Container names the container, when the finding is about one.
	Container string `json:"container,omitempty"`
	// Field is the field path within the object ("spec.template.spec.containers[0].image").
	Field string `json:"field,omitempty"`
	// Location points at the field (or the nearest written parent) in the input.
	Location Location `json:"location"`
	// Fingerprint identifies the finding across runs; it survives reordering of files and documents.
	Fingerprint string `json:"fingerprint"`
	// Note adds context, such as an exception that expired.
	Note string `json:"note,omitempty"`
	// Related lists the IDs of other rules that saw the same fact on the same
	// object and container; their findings are folded into this one (a rule
	// declares which rules it subsumes), so one fact gives one finding.
	Related []string `json:"related,omitempty"`
	// Platform is set on findings about Kubernetes' own objects (bootstrap
	// RBAC, system:* subjects, kube-root-ca.crt, objects in the system
	// namespaces of a live cluster). They are left out of the report and the
	// score unless the scan asks for them (--include-system).
	Platform bool `json:"platform,omitempty"`
	// Suppressed is set when an exception or the baseline covers the finding.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}
