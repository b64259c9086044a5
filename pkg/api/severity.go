package api

import (
	"fmt"
	"strings"
)

// Severity ranks how urgent a finding is. The zero value is SeverityInfo.
type Severity int

// The severities, from least to most urgent.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// Severities lists every severity from most to least urgent.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name of s ("high").
func (s Severity) String() string {
	if s < SeverityInfo || s > SeverityCritical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// Valid reports whether s is one of the five defined severities.
func (s Severity) Valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// ParseSeverity parses a severity name, ignoring case.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return SeverityInfo, fmt.Errorf("unknown severity %q: use one of critical, high, medium, low, info", name)
}

// MarshalText encodes s as its name.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Weight is the score weight of a severity: how much a failed check of this
// severity costs the posture score relative to the others.
func (s Severity) Weight() int {
	switch s {
	case SeverityCritical:
		return 20
	case SeverityHigh:
		return 10
	case SeverityMedium:
		return 4
	case SeverityLow:
		return 1
	}
	return 0
}

// SARIFLevel maps s to the SARIF result level (error, warning or note).
func (s Severity) SARIFLevel() string {
	switch s {
	case SeverityCritical, SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// SecurityScore maps s to the CVSS-like "security-severity" number that
// GitHub code scanning reads from SARIF rule properties.
func (s Severity) SecurityScore() string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	case SeverityLow:
		return "3.0"
	}
	return "0.0"
}
