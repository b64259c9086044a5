package source

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
)

// Live reads the cluster's objects through its API server, every kind the
// registered rules read (cluster.Resources), page by page.
type Live struct {
	// Config connects to the API server (kubectl's flags build it).
	Config *rest.Config
	// Namespace limits namespaced kinds to one namespace; "" reads all.
	Namespace string
	// IncludeSecrets lists Secrets (their values are read).
	IncludeSecrets bool
	// PageSize is the list limit per request (default 500).
	PageSize int64
	// Progress, if set, is told the objects read so far after each page.
	Progress func(kind string, objects int)
	// Timeout, when set, bounds the whole read.
	Timeout time.Duration
	// NoInfo leaves out the object carrying the server's version (the
	// analyses that join objects do not need it).
	NoInfo bool
}

// String names the input for reports.
func (l *Live) String() string { return "live cluster " + l.Config.Host }

// Load lists the cluster. Forbidden and failed lists are problems and make
// the result partial; bad credentials or an unreachable server are an
// error.
func (l *Live) Load(ctx context.Context, sink Sink) (*Result, error) {
	if l.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Timeout)
		defer cancel()
	}
	opts := cluster.Options{Namespace: l.Namespace, IncludeSecrets: l.IncludeSecrets, PageSize: l.PageSize, Progress: l.Progress}
	if sink != nil {
		opts.Sink = sink
	}
	loaded, err := cluster.Load(ctx, l.Config, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Objects: loaded.Objects, Problems: loaded.Problems, Skipped: loaded.Skipped, Partial: loaded.Partial,
		Live: true, Folded: loaded.Folded, WorkloadKindsRead: loaded.WorkloadKindsRead}
	if loaded.Folded > 0 {
		res.Skipped = append(res.Skipped, fmt.Sprintf("%d objects owned by a scanned controller were judged through it (a Deployment's ReplicaSets and Pods)", loaded.Folded))
	}
	if !l.NoInfo {
		info := cluster.InfoObject(loaded.Version)
		if sink != nil {
			sink(info)
		}
		res.Objects = append(res.Objects, info)
	}
	return res, nil
}

// Overlay is manifests applied over the live cluster: each object in
// Changes replaces the live object of the same kind, namespace and name,
// and the rest are added, as `kubectl apply` would leave the cluster.
// Result.Base holds the cluster as it is, for a before/after comparison.
type Overlay struct {
	// Base is the cluster the changes apply to.
	Base *Live
	// Changes are the manifests to apply; their namespace-less objects go
	// into Base.Namespace (or "default"), as kubectl's.
	Changes *Manifests
}

// String names the input for reports.
func (o *Overlay) String() string { return o.Changes.String() + " over " + o.Base.String() }

// Load reads the cluster, then the changes, and merges them. The sink sees
// the merged objects only.
func (o *Overlay) Load(ctx context.Context, sink Sink) (*Result, error) {
	base, err := o.Base.Load(ctx, nil)
	if err != nil {
		return nil, err
	}
	changes, err := o.Changes.Load(ctx, nil)
	if err != nil {
		return nil, err
	}
	merged := Merge(base.Objects, changes.Objects)
	if sink != nil {
		for _, ob := range merged {
			sink(ob)
		}
	}
	return &Result{Objects: merged, Base: base.Objects, Problems: append(base.Problems, changes.Problems...), Skipped: base.Skipped,
		Partial: base.Partial, Live: true, Files: changes.Files, Folded: base.Folded, WorkloadKindsRead: base.WorkloadKindsRead}, nil
}

// Merge returns base with each object of changes in place of the base
// object of the same group, kind, namespace and name; new objects are
// added first.
func Merge(base, changes []*inventory.Object) []*inventory.Object {
	key := func(ob *inventory.Object) string {
		return ob.GroupKind().String() + "/" + ob.Namespace() + "/" + ob.Name()
	}
	replaced := map[string]bool{}
	for _, ob := range changes {
		replaced[key(ob)] = true
	}
	merged := append([]*inventory.Object{}, changes...)
	for _, ob := range base {
		if !replaced[key(ob)] {
			merged = append(merged, ob)
		}
	}
	return merged
}
