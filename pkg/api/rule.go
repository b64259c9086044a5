package api

import "fmt"

// Category groups rules by the kind of risk they address.
type Category string

// The rule categories.
const (
	CategoryPodSecurity Category = "pod-security"
	CategoryHardening   Category = "hardening"
	CategorySecrets     Category = "secrets"
	CategorySupplyChain Category = "supply-chain"
	CategoryExposure    Category = "exposure"
	CategoryNetwork     Category = "network"
	CategoryRBAC        Category = "rbac"
	CategoryAdmission   Category = "admission"
	CategoryReliability Category = "reliability"
)

// Categories lists every category in display order.
var Categories = []Category{
	CategoryPodSecurity, CategoryHardening, CategorySecrets, CategorySupplyChain,
	CategoryExposure, CategoryNetwork, CategoryRBAC, CategoryAdmission, CategoryReliability,
}

// Security reports whether c is a security category; reliability is not.
func (c Category) Security() bool { return c != CategoryReliability }

// Valid reports whether c is one of the defined categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// ReferenceKind names the standard a Reference points into.
type ReferenceKind string

// The standards a rule may reference.
const (
	RefPSS   ReferenceKind = "PSS"   // Kubernetes Pod Security Standards control
	RefCIS   ReferenceKind = "CIS"   // CIS Kubernetes Benchmark section
	RefNSA   ReferenceKind = "NSA"   // NSA/CISA Kubernetes Hardening Guide section
	RefMITRE ReferenceKind = "MITRE" // MITRE ATT&CK for Containers technique
)

// Reference points to the part of a public standard that a rule enforces.
type Reference struct {
	// Kind is the standard.
	Kind ReferenceKind `json:"kind"`
	// ID is the control, section or technique identifier within the standard.
	ID string `json:"id"`
	// Title is the control's human name.
	Title string `json:"title,omitempty"`
	// URL links to the control, when the standard has stable links.
	URL string `json:"url,omitempty"`
}

// String formats r as "KIND ID Title".
func (r Reference) String() string {
	if r.Title == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.ID)
	}
	return fmt.Sprintf("%s %s %s", r.Kind, r.ID, r.Title)
}

// RuleInfo is the metadata of a rule: everything about it except its logic.
type RuleInfo struct {
	// ID is the stable kebab-case identifier users put in configs; never reused.
	ID string `json:"id"`
	// Title is a short human name; it may change without breaking users.
	Title string `json:"title"`
	// Severity is the default severity of the rule's findings.
	Severity Severity `json:"severity"`
	// Category groups the rule; reliability rules are outside the security profiles.
	Category Category `json:"category"`
	// Rationale says why the condition is a risk.
	Rationale string `json:"rationale"`
	// Remediation says how to fix it.
	Remediation string `json:"remediation"`
	// Example is a YAML fragment showing the fix, for `rules explain`.
	Example string `json:"example,omitempty"`
	// References point to the standards the rule implements.
	References []Reference `json:"references,omitempty"`
}
