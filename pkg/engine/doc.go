// Package engine evaluates rules over an inventory and turns violations into
// findings: it attaches metadata, locations and fingerprints, applies
// exceptions and baselines, and scores the result.
//
// It is the one engine behind every entry point (manifest scan, cluster
// scan, admission webhook, watch), so a verdict is the same wherever it is
// given. It does no I/O and imports no transport.
package engine
