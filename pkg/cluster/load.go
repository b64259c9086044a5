package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// Options tune a cluster load.
type Options struct {
	// Namespace limits namespaced kinds to one namespace; "" lists all.
	Namespace string
	// IncludeSecrets lists Secrets (their values are read).
	IncludeSecrets bool
	// PageSize is the list limit per request (default 500).
	PageSize int64
	// Parallel is how many kinds are listed at once (default 4).
	Parallel int
	// Progress, if set, is called after each page with the objects read so far.
	Progress func(kind string, objects int)
	// Sink, if set, sees every object as soon as its page is decoded, from
	// the listing goroutines: a streaming evaluation runs its per-object
	// rules and slims the object there. Objects later folded into their
	// controller are left out of Result.Objects; the caller must drop what
	// it derived from them (engine.Stream.Finish does).
	Sink func(*inventory.Object)
}

// Result is what a cluster load produced.
type Result struct {
	// Objects are the live objects, controller-owned ones folded into their owner.
	Objects []*inventory.Object
	// Folded counts objects left out because their controller is scanned.
	Folded int
	// Problems report forbidden and failed lists.
	Problems []*api.Problem
	// Skipped names kinds not read, with the reason.
	Skipped []string
	// Partial is true when a list failed or was cut off: findings may be missing.
	Partial bool
	// WorkloadKindsRead counts the pod-running kinds (pods, deployments...)
	// listed in full. A scan with none has judged no workload at all and
	// must not pass a gate.
	WorkloadKindsRead int
	// Version is the API server's version.
	Version *version.Info
}

// Load lists the cluster's objects. It returns an error only when the API
// server cannot be used at all (unreachable, credentials rejected); every
// other failure becomes a problem and marks the result partial.
func Load(ctx context.Context, cfg *rest.Config, opts Options) (*Result, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	res := &Result{}
	disco, err := discoveryClient(cfg)
	if err != nil {
		return nil, err
	}
	if res.Version, err = disco.ServerVersion(); err != nil {
		return nil, fatal(cfg.Host, err)
	}
	// A server that stops answering (each request is bounded by
	// cfg.Timeout) stops the other lists too: the report then holds what
	// was read, as when the server is killed, instead of every list
	// waiting out its own timeout.
	lctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	var stalled string
	var mu sync.Mutex
	lists := make([][]*inventory.Object, len(Resources))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	var fatalErr error
	for i, r := range Resources {
		if r.Sensitive && !opts.IncludeSecrets {
			res.Skipped = append(res.Skipped, r.GVR.Resource+": not read without --include-secrets (skips secret-in-annotation on Secrets and the certificate checks)")
			continue
		}
		wg.Add(1)
		go func(i int, r Resource) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			items, err := listAll(lctx, cfg, r, opts, func(n int) {
				if opts.Progress != nil {
					opts.Progress(r.GVR.Resource, n)
				}
			})
			mu.Lock()
			defer mu.Unlock()
			lists[i] = items
			if err == nil {
				if r.RunsPods {
					res.WorkloadKindsRead++
				}
				return
			}
			switch {
			case stalled != "" && errors.Is(err, context.Canceled):
				res.Problems = append(res.Problems, &api.Problem{Object: r.GVR.Resource,
					Message: fmt.Sprintf("not read: the API server stopped answering while %s was listed", stalled)})
				res.Partial = true
			case timedOut(err):
				stalled = r.GVR.Resource
				stopAll()
				res.Problems = append(res.Problems, &api.Problem{Object: r.GVR.Resource,
					Message: fmt.Sprintf("the API server stopped answering while %s was listed (after %d objects): %v", r.GVR.Resource, len(items), err),
					Hint:    "the report holds what was read before; raise --request-timeout for a slow server"})
				res.Partial = true
			case apierrors.IsForbidden(err):
				res.Problems = append(res.Problems, &api.Problem{Object: r.GVR.Resource, Warning: true,
					Message: "forbidden to list " + r.GVR.Resource + "; the scan goes on without them",
					Hint:    "grant list on " + r.GVR.Resource + " (deploy/clusterrole.yaml has every permission the scan needs)"})
				res.Partial = true
			case apierrors.IsUnauthorized(err):
				fatalErr = fatal(cfg.Host, err)
			case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
				res.Problems = append(res.Problems, &api.Problem{Object: r.GVR.Resource,
					Message: fmt.Sprintf("the list of %s was cut off after %d objects: %v", r.GVR.Resource, len(items), err),
					Hint:    "the continue token expired; rerun, or lower --page-size on very large clusters"})
				res.Partial = true
			case apierrors.IsNotFound(err):
				res.Skipped = append(res.Skipped, r.GVR.Resource+": not served by this API server")
			default:
				res.Problems = append(res.Problems, &api.Problem{Object: r.GVR.Resource,
					Message: fmt.Sprintf("listing %s failed after %d objects: %v", r.GVR.Resource, len(items), err)})
				res.Partial = true
			}
		}(i, r)
	}
	wg.Wait()
	if fatalErr != nil {
		return nil, fatalErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cluster scan interrupted: %w", err)
	}
	res.Objects, res.Folded = fold(lists)
	var nodes []string
	for _, o := range res.Objects {
		if o.GVK.Kind == "Node" && o.GVK.Group == "" {
			nodes = append(nodes, o.Name())
		}
	}
	for _, o := range kubeletConfigs(ctx, cfg, nodes, res) {
		if opts.Sink != nil {
			opts.Sink(o)
		}
		res.Objects = append(res.Objects, o)
	}
	sort.Strings(res.Skipped)
	return res, nil
}

// listAll lists one resource page by page.
func listAll(ctx context.Context, cfg *rest.Config, r Resource, opts Options, progress func(int)) ([]*inventory.Object, error) {
	client, err := restClientFor(cfg, r.GVK.GroupVersion())
	if err != nil {
		return nil, err
	}
	var out []*inventory.Object
	cont := ""
	for {
		list, err := scheme.Scheme.New(r.GVK.GroupVersion().WithKind(r.GVK.Kind + "List"))
		if err != nil {
			return nil, err
		}
		req := client.Get().Resource(r.GVR.Resource).
			VersionedParams(&metav1.ListOptions{Limit: opts.PageSize, Continue: cont}, scheme.ParameterCodec)
		if r.Namespaced && opts.Namespace != "" {
			req = req.Namespace(opts.Namespace)
		}
		if err := req.Do(ctx).Into(list); err != nil {
			return out, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return out, err
		}
		for _, it := range items {
			if a, err := meta.Accessor(it); err == nil {
				a.SetManagedFields(nil) // large, and no rule reads them
			}
			it.GetObjectKind().SetGroupVersionKind(r.GVK)
			obj, err := object(it)
			if err != nil {
				continue
			}
			if opts.Sink != nil {
				opts.Sink(obj)
			}
			out = append(out, obj)
		}
		progress(len(out))
		lm, _ := meta.ListAccessor(list)
		if cont = lm.GetContinue(); cont == "" {
			return out, nil
		}
	}
}

// timedOut reports a request that got no answer in time.
func timedOut(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout()) ||
		apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || strings.Contains(err.Error(), "Client.Timeout exceeded")
}

// fatal explains an error that makes the API server unusable.
func fatal(host string, err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials (expired or invalid): %w", host, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the API server at %s did not answer in time: %w", host, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "i/o timeout") {
		return fmt.Errorf("cannot reach the API server at %s (check --kubeconfig and --context): %w", host, err)
	}
	return fmt.Errorf("cannot use the API server at %s: %w", host, err)
}

// object wraps a live object for the inventory, keeping a Pod's addresses
// (slimming drops its status later).
func object(o runtime.Object) (*inventory.Object, error) {
	gvk := o.GetObjectKind().GroupVersionKind()
	obj, err := inventory.NewObject(gvk, o, api.Location{}, nil)
	if pod, ok := o.(*corev1.Pod); ok && err == nil {
		for _, ip := range pod.Status.PodIPs {
			obj.PodIPs = append(obj.PodIPs, ip.IP)
		}
		if len(obj.PodIPs) == 0 && pod.Status.PodIP != "" {
			obj.PodIPs = []string{pod.Status.PodIP}
		}
	}
	return obj, err
}

// ownerKey identifies an object by UID.
type ownerKey = string

// controllerKinds are owners whose template represents what they own.
var controllerKinds = map[schema.GroupKind]bool{
	{Group: "apps", Kind: "Deployment"}: true, {Group: "apps", Kind: "StatefulSet"}: true,
	{Group: "apps", Kind: "DaemonSet"}: true, {Group: "apps", Kind: "ReplicaSet"}: true,
	{Group: "batch", Kind: "Job"}: true, {Group: "batch", Kind: "CronJob"}: true,
	{Kind: "ReplicationController"}: true,
}

// fold drops objects whose controller owner is itself scanned and whose
// pod spec is what the owner's template makes (a Pod of a ReplicaSet of a
// Deployment is judged through the Deployment), keeping the rest in
// listing order. An ownerReference is only a claim: anyone who may create
// pods can name any Deployment as the controller, and the garbage
// collector keeps such a pod. So an object folds only when its owner is
// judged and its security-relevant spec matches the owner's template
// (see sameTemplate); otherwise it is judged itself. A ReplicaSet of an
// older revision that runs nothing (replicas 0) is left out, and its pods,
// if any, are judged themselves.
func fold(lists [][]*inventory.Object) ([]*inventory.Object, int) {
	scanned := map[ownerKey]*inventory.Object{}
	var all []*inventory.Object
	for _, l := range lists {
		for _, obj := range l {
			if controllerKinds[obj.GroupKind()] {
				scanned[string(obj.Meta.GetUID())] = obj
			}
			all = append(all, obj)
		}
	}
	// Decided top-down (an owner before what it owns), memoised.
	decision := map[*inventory.Object]int{} // 0 unknown, 1 keep, 2 fold, 3 drop
	var decide func(o *inventory.Object, depth int) int
	decide = func(o *inventory.Object, depth int) int {
		if d := decision[o]; d != 0 {
			return d
		}
		d := 1
		ref := metav1.GetControllerOf(o.Meta)
		if ref != nil && depth < 5 && o.Workload != nil {
			if owner := scanned[string(ref.UID)]; owner != nil && owner.Workload != nil {
				ownerJudged := decide(owner, depth+1) != 3
				switch {
				case ownerJudged && sameTemplate(o.Workload.Spec, owner.Workload.Spec):
					d = 2
				case o.GVK.Kind == "ReplicaSet" && o.Workload.Replicas != nil && *o.Workload.Replicas == 0:
					d = 3 // an older revision, running nothing
				}
			}
		}
		decision[o] = d
		return d
	}
	out := all[:0]
	folded := 0
	for _, o := range all {
		switch decide(o, 0) {
		case 2:
			folded++
			if o.GVK.Kind == "Pod" && len(o.PodIPs) > 0 {
				top := o // the object its pod IPs belong to: the highest one it folds into
				for i := 0; i < 5 && decision[top] == 2; i++ {
					top = scanned[string(metav1.GetControllerOf(top.Meta).UID)]
				}
				top.PodIPs = append(top.PodIPs, o.PodIPs...)
			}
			continue
		case 3:
			folded++
			continue
		}
		out = append(out, o)
	}
	return out, folded
}

// Fold is fold for callers that hold the listed objects themselves (the
// continuous watch's informer caches): lists in Resources order, controller-
// owned objects folded into their owner exactly as Load folds them.
func Fold(lists [][]*inventory.Object) ([]*inventory.Object, int) { return fold(lists) }

// Object wraps a live object (with its GroupVersionKind set) for the
// inventory as Load does, keeping a Pod's addresses.
func Object(o runtime.Object) (*inventory.Object, error) { return object(o) }
