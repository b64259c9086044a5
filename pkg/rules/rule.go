package rules

import (
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	"k8s.io/apimachinery/pkg/runtime/schema"
	psaapi "k8s.io/pod-security-admission/api"
)

// Scope says what a rule is evaluated against.
type Scope int

// The scopes.
const (
	// ScopeWorkload rules run once per object that carries a pod template.
	ScopeWorkload Scope = iota + 1
	// ScopeObject rules run once per object of one of the rule's Kinds.
	ScopeObject
	// ScopeNamespace rules run once per namespace of the inventory.
	ScopeNamespace
	// ScopeAny rules run once per object of any kind.
	ScopeAny
)

// Rule is a registered check: its metadata and its logic.
type Rule struct {
	api.RuleInfo
	// Floor is the lowest severity a finding of the rule has, whatever
	// its violations say (set by a profile; see Profile.Floor).
	Floor api.Severity
	// Scope selects what Check is called with.
	Scope Scope
	// Kinds lists the kinds a ScopeObject rule inspects.
	Kinds []schema.GroupKind
	// PSSLevel is set on Pod Security Standards rules: the level the check belongs to.
	PSSLevel psaapi.Level
	// CrossObject is set on rules that read Input.Inventory. They run once
	// the whole input is loaded, and see workloads only through their
	// normalised Workload with its pod spec reduced to the pod-level
	// identity fields (labels, annotations, serviceAccountName,
	// automountServiceAccountToken): an entry point may drop the rest of an
	// object once the other rules have seen it. Every other rule is given
	// no inventory. ScopeNamespace rules are always cross-object.
	CrossObject bool
	// Input restricts the rule to manifests or to a live cluster.
	Input InputKind
	// NeedsPodSecurityLevel is set on cross-object rules that read
	// Workload.PSSLevel of the inventory's workloads; the engine then keeps
	// that level when it slims them (computing it costs a PSS evaluation).
	NeedsPodSecurityLevel bool
	// NeedsContainerResources is set on cross-object rules that read the
	// containers' resources of the inventory's workloads; the engine then
	// keeps them when it slims workloads.
	NeedsContainerResources bool
	// Subsumes lists the IDs of rules that restate a fact this rule reports.
	// When both fire on the same object and the other finding's containers or
	// volumes (Violation.Covers) are all among this one's, the engine reports
	// this finding only and names the other rule in Finding.Related. Either
	// rule can still be enabled or disabled on its own; disabling this one
	// brings the other back.
	Subsumes []string
	// JudgesPlatform is set on rules about the cluster's own configuration
	// (control-plane flags, kubelets, the CNI, versions, certificates): their
	// findings on Kubernetes' own objects are the operator's to act on, so
	// they are never left out as platform findings.
	JudgesPlatform bool
	// SeverityByExposure is set on namespace rules whose risk depends on what
	// runs in the namespace: the engine lowers a finding to low where the
	// namespace runs no workload, and raises it one level where a Service
	// selects the namespace's pods (see ExposureNote).
	SeverityByExposure bool
	// Reads declares, for a cross-object rule, every kind of object its
	// Check reads besides the object judged, and whether it reads them in
	// the object's namespace only (with the cluster-scoped ones) or in all
	// namespaces. The continuous watch re-runs the rule on an object only
	// when the object or something it reads changed. Nil means the rule
	// may read anything: it re-runs on any change. A declaration that
	// misses a read gives stale findings; the engine's cache property test
	// and the watch-equals-scan test check them.
	Reads []Read
	// Check returns the violations of one input. It must be pure and must not
	// modify its input.
	Check func(*Input) []Violation
}

// Read is one kind a cross-object rule reads (see Rule.Reads).
type Read struct {
	Kind schema.GroupKind
	// AllNamespaces is set when the rule reads objects of the kind in
	// other namespaces than the judged object's.
	AllNamespaces bool
}

// WorkloadKind stands, in a Read, for every object that runs pods (its
// Workload is set), whatever its kind.
var WorkloadKind = schema.GroupKind{Group: "guardrail.dev", Kind: "Workload"}

// AnyKind stands, in a Read, for every object of any kind.
var AnyKind = schema.GroupKind{Group: "guardrail.dev", Kind: "*"}

// inNamespace declares reads of kinds in the judged object's namespace.
func inNamespace(kinds ...schema.GroupKind) []Read {
	out := make([]Read, len(kinds))
	for i, k := range kinds {
		out[i] = Read{Kind: k}
	}
	return out
}

// everywhere declares reads of kinds in every namespace.
func everywhere(kinds ...schema.GroupKind) []Read {
	out := make([]Read, len(kinds))
	for i, k := range kinds {
		out[i] = Read{Kind: k, AllNamespaces: true}
	}
	return out
}

// reads joins declarations.
func reads(parts ...[]Read) []Read {
	var out []Read
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// InputKind says which inputs a rule judges.
type InputKind int

// The input kinds.
const (
	// AnyInput rules judge manifests and live clusters alike.
	AnyInput InputKind = iota
	// ManifestsOnly rules make sense only before deploy (a committed Secret).
	ManifestsOnly
	// ClusterOnly rules need the complete view a cluster gives (a binding to
	// a role that does not exist: in manifests the role is often built in).
	ClusterOnly
)

// Settings are the evaluation parameters shared by every rule of a scan.
type Settings struct {
	// PSSVersion is the Pod Security Standards version to evaluate ("latest" by default).
	PSSVersion psaapi.Version
	// PSSLevel is the highest PSS level the selected profile checks; baseline
	// checks that a restricted check overrides are skipped at restricted.
	PSSLevel psaapi.Level
	// Now is the evaluation time (certificate and exception expiry).
	Now time.Time
	// Live is true when the input is a live cluster, not manifests.
	Live bool
}

// DefaultSettings evaluates the latest PSS version at the restricted level.
func DefaultSettings() Settings {
	return Settings{PSSVersion: psaapi.LatestVersion(), PSSLevel: psaapi.LevelRestricted, Now: time.Now()}
}

// Input is what a rule sees.
type Input struct {
	// Object is the object under review; for ScopeNamespace rules it is the
	// Namespace object when the input has one, and nil otherwise.
	Object *inventory.Object
	// Workload is the object's normalised pod template (ScopeWorkload only).
	Workload *workload.Workload
	// Namespace is the namespace under review (ScopeNamespace only).
	Namespace string
	// Inventory is the whole indexed input; nil unless the rule is CrossObject.
	Inventory *inventory.Inventory
	// Settings are the scan parameters.
	Settings *Settings
}

// Violation is one thing a rule found wrong.
type Violation struct {
	// Message is specific: it names the field and the offending value.
	Message string
	// Field is the path of the offending field within the object.
	Field string
	// Container names the container concerned, if any.
	Container string
	// Key distinguishes violations of one rule on one object, stably across
	// edits that reorder fields; it defaults to Field.
	Key string
	// Object overrides the object the violation is reported on (namespace
	// rules anchor on an object of the namespace).
	Object *inventory.Object
	// Severity, when set, replaces the rule's severity for this violation:
	// evidence weaker than the rule's default (entropy alone) or a milder
	// variant (a read-only mount) is graded lower.
	Severity *api.Severity
	// Covers names the containers or volumes the violation is about, when it
	// is about several (a Pod Security result lists every offending
	// container); empty means the Container alone, or the whole object.
	Covers []string
}

// ExposureNote is the sentence appended to the rationale of rules with
// SeverityByExposure, so that `rules explain` and docs/rules.md say how the
// severity is chosen.
func ExposureNote(def api.Severity) string {
	up := def + 1
	if up > api.SeverityCritical {
		up = api.SeverityCritical
	}
	return " Severity follows exposure: low in a namespace that runs no workload, " + def.String() +
		" where workloads run, " + up.String() + " where a Service selects them."
}

// severity returns a pointer to s, for Violation.Severity.
func severity(s api.Severity) *api.Severity { return &s }
