package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// Sink sees every object as soon as it is decoded, before the source is
// done: a streaming evaluation judges and slims it there. It may be called
// from several goroutines at once.
type Sink func(*inventory.Object)

// Source is one input of a command.
type Source interface {
	// Load reads every object, handing each to sink (when not nil) as it
	// arrives. An error means nothing usable was read (the API server
	// refused the credentials, the context ended); what could not be read
	// of an otherwise good input is in Result.Problems.
	Load(ctx context.Context, sink Sink) (*Result, error)
	// String names the input for reports: "manifests: deploy/", "live
	// cluster https://…".
	String() string
}

// Result is what a source read.
type Result struct {
	// Objects are the objects read, with positions (file and line, or the
	// live object's identity). On a live cluster, controller-owned objects
	// are folded into their owner and an info object carries the server's
	// version.
	Objects []*inventory.Object
	// Base, for an Overlay only, is the objects before the changes.
	Base []*inventory.Object
	// Problems are what could not be read, each with where and what to do.
	// Warnings (Problem.Warning) leave the result usable.
	Problems []*api.Problem
	// Skipped names what was deliberately not read, with the reason.
	Skipped []string
	// Partial is true when some kinds could not be listed: findings may be
	// missing.
	Partial bool
	// Live is true when the objects came from an API server.
	Live bool
	// Files counts the files read (manifests only).
	Files int
	// Folded counts live objects judged through their controller.
	Folded int
	// WorkloadKindsRead counts the pod-running kinds listed in full (live
	// only). A live read with none has judged nothing that runs.
	WorkloadKindsRead int
}

// Errors returns the problems that are not warnings.
func (r *Result) Errors() []*api.Problem {
	var out []*api.Problem
	for _, p := range r.Problems {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Inventory indexes the objects read.
func (r *Result) Inventory() *inventory.Inventory { return inventory.New(r.Objects) }

// Strict turns a result with errors into an error (the first one, and how
// many more there are), for the analyses that must not answer on part of
// their input: rbac who-can on half the bindings would be wrong, not
// partial.
func (r *Result) Strict() error {
	errs := r.Errors()
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return fmt.Errorf("%w (and %d more problems)", errs[0], len(errs)-1)
	}
}

// Warnings returns the problems that are warnings.
func (r *Result) Warnings() []*api.Problem {
	var out []*api.Problem
	for _, p := range r.Problems {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Empty explains why a result judged nothing, or returns "" when it holds
// something to judge: a gate must never pass on nothing.
func (r *Result) Empty(src Source) string {
	if r.Live {
		if r.WorkloadKindsRead == 0 {
			return "no workload kind could be read (pods, deployments...): nothing that runs was judged; grant the scanner role (deploy/scanner/clusterrole.yaml)"
		}
		return ""
	}
	if len(r.Objects) > 0 {
		return ""
	}
	what := strings.TrimPrefix(src.String(), "manifests: ")
	return fmt.Sprintf("nothing to scan: no Kubernetes object in %s (%d files read; directories are searched for .yaml, .yml and .json)", what, r.Files)
}
