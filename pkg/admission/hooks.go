package admission

import "strings"

// Hook names the webhook entry the API server called. Each has its own
// path, so the handler knows what the API server matched (the namespace's
// label as the API server saw it at that moment) and needs no namespace
// cache to pick a mode: a cold or stale cache can never weaken a decision.
type Hook string

// The hooks. Configuration registers each with its own selector and
// failure policy.
const (
	// HookEnforce serves namespaces labelled enforce, or labelled with a
	// value that is not a mode; it fails closed.
	HookEnforce Hook = "enforce"
	// HookWarn serves namespaces labelled warn; it fails open.
	HookWarn Hook = "warn"
	// HookAudit serves namespaces labelled audit; it fails open.
	HookAudit Hook = "audit"
	// HookDefault serves namespaces without a mode label: the mode comes
	// from the namespace's name (config patterns, then the default). It
	// fails closed when that can be enforce.
	HookDefault Hook = "default"
	// HookCluster serves cluster-scoped objects in the cluster mode.
	HookCluster Hook = "cluster"
	// HookModeLabel reviews changes of the guardrail.dev/mode label on
	// Namespaces; it fails closed.
	HookModeLabel Hook = "mode-label"
)

// Hooks lists every hook.
var Hooks = []Hook{HookEnforce, HookWarn, HookAudit, HookDefault, HookCluster, HookModeLabel}

// PathPrefix is where the hooks are served: PathPrefix + "/" + hook.
const PathPrefix = "/validate"

// Path is the URL path of the hook.
func (h Hook) Path() string { return PathPrefix + "/" + string(h) }

// HookFromPath returns the hook served at p.
func HookFromPath(p string) (Hook, bool) {
	name, ok := strings.CutPrefix(p, PathPrefix+"/")
	if !ok {
		return "", false
	}
	for _, h := range Hooks {
		if string(h) == name {
			return h, true
		}
	}
	return "", false
}

// modeOf is the mode a review through hook h is judged in.
func (p Policy) modeOf(h Hook, namespace string) Mode {
	switch h {
	case HookEnforce:
		return Enforce
	case HookWarn:
		return Warn
	case HookAudit:
		return Audit
	case HookCluster:
		return p.ClusterMode()
	}
	if namespace == "" {
		return p.ClusterMode()
	}
	return p.Unlabelled(namespace)
}
