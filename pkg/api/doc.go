// Package api holds the types every part of Guardrail shares: severities,
// rule metadata, findings and object references. It has no behaviour beyond
// parsing and formatting those values, so that the engine, the rules, the
// printers and every entry point agree on one vocabulary.
package api
