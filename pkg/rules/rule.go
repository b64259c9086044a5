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
	// Check returns the violations of one input. It must be pure and must not
	// modify its input.
	Check func(*Input) []Violation
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
}
