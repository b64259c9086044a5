// Package watch is the continuous door: shared informers on the kinds the
// rules read, the same engine as `guardrail scan --live` over their caches
// after every change, and the outcome published as OpenReports (or the
// older wgpolicyk8s PolicyReports), Prometheus metrics and, from the
// leader only, written without churn.
package watch
