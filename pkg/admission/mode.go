package admission

import (
	"fmt"
	"path"
)

// Mode is how a namespace's violations are handled.
type Mode string

// The modes, strictest first.
const (
	// Enforce denies a request with findings at or above the threshold.
	Enforce Mode = "enforce"
	// Warn admits it and returns the findings as warnings kubectl prints.
	Warn Mode = "warn"
	// Audit admits it and records the findings (metrics, logs, audit annotations).
	Audit Mode = "audit"
)

// ModeLabel is the namespace label that selects a namespace's mode.
const ModeLabel = "guardrail.dev/mode"

// ParseMode validates a mode name. Names are exact: "Enforce" is not a
// mode, so that a typo is refused rather than read as something weaker.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Enforce, Warn, Audit:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: use enforce, warn or audit", s)
}

// Policy decides the mode of a namespace: its label, else the first
// matching namespace pattern of the config, else the cluster default.
// Changes of the label are reviewed (see ModeLabelReview), so a namespace
// label is as trustworthy as the people who may set it.
type Policy struct {
	// Default applies to namespaces nothing else names.
	Default Mode
	// Namespaces maps namespace globs to modes ("prod-*": enforce), checked in order.
	Namespaces []NamespaceMode
	// Cluster is the mode for cluster-scoped objects (ClusterRoles,
	// ClusterRoleBindings, webhook configurations, Namespaces): they belong to
	// no namespace, so no namespace label can pick it (default warn).
	Cluster Mode
}

// NamespaceMode sets the mode of the namespaces matching Pattern.
type NamespaceMode struct {
	Pattern string `json:"pattern"`
	Mode    Mode   `json:"mode"`
}

// ModeFor returns the mode of namespace ns with labels. A label with a
// value that is not a mode (set before the webhook reviewed labels) is
// read as enforce: an unreadable intent fails safe.
func (p Policy) ModeFor(ns string, labels map[string]string) Mode {
	if v, ok := labels[ModeLabel]; ok {
		if m, err := ParseMode(v); err == nil {
			return m
		}
		return Enforce
	}
	return p.Unlabelled(ns)
}

// Unlabelled is the mode of namespace ns when it carries no mode label: the
// first matching pattern, else the default. It needs only the name, so the
// webhook decides it without a namespace cache.
func (p Policy) Unlabelled(ns string) Mode {
	for _, nm := range p.Namespaces {
		if ok, _ := path.Match(nm.Pattern, ns); ok {
			return nm.Mode
		}
	}
	if p.Default == "" {
		return Warn
	}
	return p.Default
}

// ClusterMode is the mode for cluster-scoped objects.
func (p Policy) ClusterMode() Mode {
	if p.Cluster == "" {
		return Warn
	}
	return p.Cluster
}

// mayEnforceUnlabelled reports whether any unlabelled namespace can be in
// enforce mode, so the hook for unlabelled namespaces must fail closed.
func (p Policy) mayEnforceUnlabelled() bool {
	if p.Default == Enforce {
		return true
	}
	for _, nm := range p.Namespaces {
		if nm.Mode == Enforce {
			return true
		}
	}
	return false
}
