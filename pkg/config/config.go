// Package config reads .guardrail.yaml: the profile, rule selection, gate
// threshold and exceptions shared by every entry point. Validation happens
// once, here; the engine receives only well-formed values.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"sigs.k8s.io/yaml"
)

// DefaultFile is the config file read from the working directory when
// --config is not given.
const DefaultFile = ".guardrail.yaml"

// Config is the content of a config file.
type Config struct {
	// Profile names the rule profile (default zero-trust).
	Profile string `json:"profile,omitempty"`
	// Enable adds rules (IDs or globs) to the profile.
	Enable []string `json:"enable,omitempty"`
	// Disable removes rules (IDs or globs) from the profile.
	Disable []string `json:"disable,omitempty"`
	// FailOn is the lowest severity that fails the gate.
	FailOn string `json:"failOn,omitempty"`
	// PSSVersion is the Pod Security Standards version ("latest" or "v1.N").
	PSSVersion string `json:"pssVersion,omitempty"`
	// AnnotationExceptions allows objects to except themselves through
	// exception.guardrail.dev/<rule-id> annotations. Default true for scan;
	// the operator may forbid it.
	AnnotationExceptions *bool `json:"annotationExceptions,omitempty"`
	// Exceptions accept known risks, each with a reason.
	Exceptions []Exception `json:"exceptions,omitempty"`
	// Admission configures the webhook's modes.
	Admission Admission `json:"admission,omitempty"`
	// SystemNamespaces are the namespaces whose objects a live scan treats
	// as the platform's (default kube-system, kube-public, kube-node-lease);
	// an empty list ([]) judges every namespace as the user's.
	SystemNamespaces *[]string `json:"systemNamespaces,omitempty"`
	// IncludeSystem reports findings on Kubernetes' own objects too, marked
	// as platform findings (as --include-system does).
	IncludeSystem bool `json:"includeSystem,omitempty"`
	// Exclude leaves paths out of directory scans, as --exclude does.
	Exclude []string `json:"exclude,omitempty"`
}

// Admission sets the webhook's mode per namespace. A namespace's
// guardrail.dev/mode label wins over these; changes of that label are
// reviewed (a value that is not a mode is refused, and only ModeAdmins may
// lower a namespace from enforce).
type Admission struct {
	// DefaultMode applies to namespaces nothing else names (enforce, warn, audit).
	DefaultMode string `json:"defaultMode,omitempty"`
	// Namespaces are checked in order; the first matching glob decides.
	Namespaces []NamespaceMode `json:"namespaces,omitempty"`
	// ClusterMode applies to cluster-scoped objects: ClusterRoles,
	// ClusterRoleBindings, webhook configurations (default warn). In enforce
	// their hook fails closed: cluster-wide RBAC writes wait for the webhook.
	ClusterMode string `json:"clusterMode,omitempty"`
	// ModeAdmins are users and groups that may lower a namespace from
	// enforce (default system:masters).
	ModeAdmins []string `json:"modeAdmins,omitempty"`
	// ExemptNamespaces are never reviewed (default kube-system and the
	// webhook's own namespace); [] reviews every namespace.
	ExemptNamespaces *[]string `json:"exemptNamespaces,omitempty"`
}

// NamespaceMode sets the mode of the namespaces matching a glob.
type NamespaceMode struct {
	Pattern string `json:"pattern"`
	Mode    string `json:"mode"`
}

// Exception accepts findings that match every non-empty selector.
type Exception struct {
	// Rules are rule IDs or globs; required.
	Rules []string `json:"rules"`
	// Namespaces are globs over the object's namespace; empty matches any.
	Namespaces []string `json:"namespaces,omitempty"`
	// Kinds are object kinds ("Deployment"); empty matches any.
	Kinds []string `json:"kinds,omitempty"`
	// Names are globs over the object's name; empty matches any.
	Names []string `json:"names,omitempty"`
	// Containers are globs over the container name; empty matches any.
	Containers []string `json:"containers,omitempty"`
	// Reason justifies the exception; required.
	Reason string `json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) the exception applies.
	Expires string `json:"expires,omitempty"`

	// ExpiresAt is Expires parsed: the first instant it no longer applies.
	ExpiresAt time.Time `json:"-"`
}

// Load reads and validates a config file. A missing default file is not an
// error (explicit is false); a missing explicit one is.
func Load(path string, explicit bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes and validates config text. Unknown fields are errors, so
// that a misspelt key never silently does nothing.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.UnmarshalStrict(data, &c); err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return &c, nil
}

func (c *Config) validate() error {
	var errs []error
	if c.Profile != "" {
		if _, err := rules.LookupProfile(c.Profile); err != nil {
			errs = append(errs, fmt.Errorf("profile: %w", err))
		}
	}
	if _, err := rules.Match(c.Enable); err != nil {
		errs = append(errs, fmt.Errorf("enable: %w", err))
	}
	if _, err := rules.Match(c.Disable); err != nil {
		errs = append(errs, fmt.Errorf("disable: %w", err))
	}
	modes := map[string]bool{"": true, "enforce": true, "warn": true, "audit": true}
	if !modes[c.Admission.DefaultMode] {
		errs = append(errs, fmt.Errorf("admission.defaultMode %q: use enforce, warn or audit", c.Admission.DefaultMode))
	}
	if !modes[c.Admission.ClusterMode] {
		errs = append(errs, fmt.Errorf("admission.clusterMode %q: use enforce, warn or audit", c.Admission.ClusterMode))
	}
	for i, nm := range c.Admission.Namespaces {
		if nm.Pattern == "" || nm.Mode == "" || !modes[nm.Mode] {
			errs = append(errs, fmt.Errorf("admission.namespaces[%d]: give a pattern and a mode (enforce, warn or audit)", i))
		}
	}
	for i := range c.Exceptions {
		if err := c.Exceptions[i].validate(); err != nil {
			errs = append(errs, fmt.Errorf("exceptions[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (e *Exception) validate() error {
	var errs []error
	if len(e.Rules) == 0 {
		errs = append(errs, errors.New("rules is required (IDs or globs such as \"pss-*\")"))
	}
	if _, err := rules.Match(e.Rules); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(e.Reason) == "" {
		errs = append(errs, errors.New("reason is required: say why the risk is accepted"))
	}
	if e.Expires != "" {
		t, err := ParseExpiry(e.Expires)
		if err != nil {
			errs = append(errs, err)
		}
		e.ExpiresAt = t
	}
	return errors.Join(errs...)
}

// ParseExpiry parses a YYYY-MM-DD expiry date and returns the first instant
// after that day (UTC), when the exception stops applying.
func ParseExpiry(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("expires %q: use YYYY-MM-DD", s)
	}
	return t.AddDate(0, 0, 1), nil
}
