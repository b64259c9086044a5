package admission

import (
	"fmt"
	"path"
)

// Mode is how a namespace's violations are handled.
type Mode string

// The modes.
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

// ParseMode validates a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Enforce, Warn, Audit:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: use enforce, warn or audit", s)
}

// Policy decides the mode of a namespace: its label, else the first
// matching namespace pattern of the config, else the cluster default.
type Policy struct {
	// Default applies to namespaces nothing else names.
	Default Mode
	// Namespaces maps namespace globs to modes ("prod-*": enforce), checked in order.
	Namespaces []NamespaceMode
}

// NamespaceMode sets the mode of the namespaces matching Pattern.
type NamespaceMode struct {
	Pattern string `json:"pattern"`
	Mode    Mode   `json:"mode"`
}

// ModeFor returns the mode of namespace ns with labels.
func (p Policy) ModeFor(ns string, labels map[string]string) Mode {
	if m, err := ParseMode(labels[ModeLabel]); err == nil {
		return m
	}
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
