// Package rules is the registry of Guardrail's checks and holds one file per
// rule, named after its ID. A rule is a pure function over already-decoded,
// normalised input: it performs no I/O, returns no error, and reports
// violations as values with a specific message and the field they concern.
//
// Rules register themselves in init functions; the registry validates every
// rule (ID format, severity, category, remediation) the first time it is
// read and panics on a programmer error, so an invalid rule never ships.
package rules
