package watch

import (
	"context"
	"log/slog"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"golang.org/x/time/rate"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options configure a Watcher.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	// Engine makes the engine for a pass: the same options as `scan --live`.
	Engine func() *engine.Engine
	// IncludeSecrets watches Secrets (their values are read).
	IncludeSecrets bool
	// Debounce is how long the first change of a burst waits for more
	// before a pass (default 200 ms); a change that waited as long during
	// the last pass is judged at once.
	Debounce time.Duration
	// FullPass is the period of a pass with no change (default 1 h). That
	// pass re-runs every cross-object rule on every object, so that a
	// change the incremental passes missed is caught.
	FullPass time.Duration
	// NoIncremental re-runs every cross-object rule on every pass instead
	// of only where something it reads changed (for comparison).
	NoIncremental bool
	// Format is the report API (default OpenReports); Reports false
	// writes none.
	Format  Format
	Reports bool
	// MaxResults caps each report's results (default 1000).
	MaxResults int
	// Leader, when set, says whether this replica may write (leader
	// election); nil means always.
	Leader func() bool
	// BaselineConfigMap is NAMESPACE/NAME of a ConfigMap whose key
	// baseline.json is an approved baseline (scan --write-baseline): its
	// findings are published as skip, the rest as new. Read on every pass.
	BaselineConfigMap string
	// Events posts a Kubernetes Event on the object of each new finding
	// at or above EventSeverity (leader only, once per finding, at most
	// 5 per second with bursts of 20).
	Events        bool
	EventSeverity api.Severity
	// Metrics receives the state after every pass; nil for none.
	Metrics *Metrics
	// Logger logs passes and writes (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// kubeletFetch replaces reading configz through the node proxy
	// (tests: the API server refuses to proxy to a loopback kubelet).
	kubeletFetch kubeletFetch
}

// State is the outcome of one pass.
type State struct {
	// Findings are the active and suppressed findings, with drift. A
	// finding unchanged since the last pass is the same *Tracked as in
	// that pass's state; the watcher never modifies a published one.
	Findings []*Tracked
	// Problems say which kinds could not be read (a partial state) and
	// which nodes' kubelet configuration could not be (a warning).
	Problems []string
	// Partial is true when a kind could not be read.
	Partial bool
	// Objects counts the judged objects; Passed per namespace those
	// without an active finding.
	Objects int
	Passed  map[string]int
	// Namespaces are the live namespaces with their UIDs.
	Namespaces map[string]string
	// Summary is the engine's summary (score, counts); Rules the rules run.
	Summary engine.Summary
	Rules   []api.RuleInfo
	// ObjectsPerNamespace counts the judged objects.
	ObjectsPerNamespace map[string]int
	// At is when the pass ran and Took how long it took.
	At   time.Time
	Took time.Duration
	// Lag is from the first change of the burst to the end of the pass.
	Lag time.Duration
	// CrossCached and CrossRun count this pass's cross-object rule checks
	// answered from the cache and run.
	CrossCached, CrossRun int64
}

// Watcher keeps judging the live cluster.
type Watcher struct {
	opts     Options
	client   kubernetes.Interface
	dyn      dynamic.Interface
	factory  informers.SharedInformerFactory
	sources  []*source
	skipped  []string
	managers *managers
	trigger  chan struct{}
	version  *api.ObjectRef

	mu    sync.Mutex
	state *State
	// sightings maps a finding's fingerprint to when and by which change
	// it first appeared (restored from the reports), and the last pass
	// that saw it. One map, one lookup per finding and pass: four map
	// operations per finding were a fifth of a pass at 100,000 findings.
	sightings map[string]*sighting
	tracked   uint64 // passes that tracked findings (the seen mark)
	passes    int
	objCache  *engine.ObjectCache
	cross     *engine.CrossCache
	// converted holds the last pass's objects by resource and UID (only
	// the pass goroutine touches it).
	converted map[convertedKey]convertedObject
	// activity counts passes and publishes (trimWhenIdle).
	activity atomic.Uint64
	// fullNext makes the next pass re-run every cross-object rule.
	fullNext atomic.Bool
	baseline *baselineSource
	memos    *inventory.MemoCache
	writer   *writer
	events   *events
	// kubelets reads the nodes' kubelet configurations (nil when no
	// rule reads Nodes).
	kubelets *kubelets
	// firstChange is when the oldest change not yet judged arrived.
	changeMu    sync.Mutex
	firstChange time.Time
	// reload asks the pass to re-read the reports before writing (a
	// replica that just became leader does not know what the last one wrote).
	reload atomic.Bool
	// pending is the newest state not yet published (reports and Events);
	// publish wakes the publisher. Publishing runs beside the passes: a
	// burst of report writes (a first start writes every namespace's,
	// 0.3 s each for a full report) must not hold back judging changes.
	pendingMu sync.Mutex
	pending   *State
	publish   chan struct{}
	// publishedUpTo is the start of the last published pass: findings
	// first seen after it are new for Events (publisher goroutine only).
	publishedUpTo time.Time
}

// New makes a watcher; Run starts it.
func New(opts Options) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 200 * time.Millisecond
	}
	if opts.FullPass <= 0 {
		opts.FullPass = time.Hour
	}
	if opts.Format == "" {
		opts.Format = OpenReports
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := rest.CopyConfig(opts.Config)
	cfg.Timeout = 0 // watches are long; each request of the writer has its own context
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	w := &Watcher{opts: opts, client: client, dyn: dyn, managers: &managers{m: map[string]change{}},
		trigger: make(chan struct{}, 1), publish: make(chan struct{}, 1), objCache: engine.NewObjectCache(), memos: inventory.NewMemoCache(), sightings: map[string]*sighting{}}
	w.factory, w.sources, w.skipped, err = newSources(client, opts.IncludeSecrets, w.managers, w.poke)
	if err != nil {
		return nil, err
	}
	if opts.BaselineConfigMap != "" {
		if w.baseline, err = newBaselineSource(opts.BaselineConfigMap); err != nil {
			return nil, err
		}
	}
	for _, src := range w.sources {
		if src.res.GVR.Group == "" && src.res.GVR.Resource == "nodes" {
			w.kubelets = newKubelets(cfg, w.poke, opts.Logger)
			if opts.kubeletFetch != nil {
				w.kubelets.fetch = opts.kubeletFetch
			}
		}
	}
	w.events = &events{client: client, min: opts.EventSeverity, limiter: rate.NewLimiter(5, 20), posted: map[string]bool{}}
	w.writer = &writer{dyn: dyn, format: opts.Format, logger: opts.Logger, written: map[string]string{}, built: map[string]uint64{}, metrics: opts.Metrics}
	return w, nil
}

// poke asks for a pass; changes coalesce.
func (w *Watcher) poke() {
	w.changeMu.Lock()
	if w.firstChange.IsZero() {
		w.firstChange = time.Now()
	}
	w.changeMu.Unlock()
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// sinceFirstChange is how long the oldest change not yet judged has
// waited (zero when there is none).
func (w *Watcher) sinceFirstChange() time.Duration {
	w.changeMu.Lock()
	defer w.changeMu.Unlock()
	if w.firstChange.IsZero() {
		return 0
	}
	return time.Since(w.firstChange)
}

// Run starts the informers, then evaluates after every burst of changes
// and at least every FullPass, until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	if w.opts.Reports {
		if err := w.restore(ctx); err != nil {
			w.opts.Logger.Warn("could not read existing reports; first-seen times start now", "err", err)
		}
	}
	w.factory.Start(ctx.Done())
	defer w.factory.Shutdown()
	// Wait for the first lists, but not forever for a kind that may not be
	// listed: that kind is reported as not read.
	syncCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	for _, s := range w.sources {
		for !s.informer.HasSynced() && syncCtx.Err() == nil && s.lastErr() == errNotSynced {
			select {
			case <-syncCtx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	cancel()
	w.publishedUpTo = w.opts.Now().Add(-time.Nanosecond)
	published := make(chan struct{})
	go func() { defer close(published); w.publisher(ctx) }()
	defer func() { <-published }()
	full := time.NewTicker(w.opts.FullPass)
	defer full.Stop()
	// While some kind cannot be read, look again every few seconds: a
	// grant or a recovered server brings no event when the kind is empty.
	recheck := time.NewTicker(5 * time.Second)
	defer recheck.Stop()
	go w.trimWhenIdle(ctx)
	w.pass(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-recheck.C:
			if st := w.State(); st == nil || !st.Partial {
				continue
			}
		case <-full.C:
			w.fullNext.Store(true)
		case <-w.trigger:
			// Gather the burst, counted from its first change: changes
			// that arrived during the last pass have waited already, and
			// under steady churn a debounce after every pass was a fifth
			// of the time from change to judged.
			if wait := w.opts.Debounce - w.sinceFirstChange(); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
		}
		w.pass(ctx)
	}
}

// Result is the state as an engine result (for the dashboard).
func (st *State) Result() *engine.Result {
	res := &engine.Result{Summary: st.Summary, Rules: st.Rules}
	for _, t := range st.Findings {
		if t.Suppressed != nil {
			res.Suppressed = append(res.Suppressed, *t.Finding)
		} else {
			res.Findings = append(res.Findings, *t.Finding)
		}
	}
	return res
}

// BecameLeader makes the next pass re-read the reports, then write: call
// it when this replica starts leading.
func (w *Watcher) BecameLeader() {
	w.reload.Store(true)
	w.poke()
}

// State returns the latest pass's state (nil before the first).
func (w *Watcher) State() *State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// Passes counts the passes run.
func (w *Watcher) Passes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.passes
}

// pass evaluates the cached objects with the engine, exactly as a live
// scan evaluates what it lists (same folding, same engine), updates drift
// and metrics, and, on the leader, writes the reports that changed.
func (w *Watcher) pass(ctx context.Context) {
	start := w.opts.Now()
	w.changeMu.Lock()
	changed := w.firstChange
	w.firstChange = time.Time{}
	w.changeMu.Unlock()
	st := &State{At: start, Passed: map[string]int{}, Namespaces: map[string]string{}}
	lists, workloadKinds := w.list(st)
	objs, _ := cluster.Fold(lists)
	if w.kubelets != nil {
		var nodes []string
		for _, o := range objs {
			if o.GVK.Kind == "Node" && o.GVK.Group == "" {
				nodes = append(nodes, o.Name())
			}
		}
		// Warnings, as in scan --live: the kubelet checks skip the node;
		// the state is not partial.
		kobjs, problems := w.kubelets.current(ctx, nodes, w.fullNext.Load())
		objs = append(objs, kobjs...)
		st.Problems = append(st.Problems, problems...)
	}
	if v := w.serverVersion(); v != nil {
		objs = append(objs, v)
	}
	res, cached, run := w.evaluate(ctx, objs)
	st.CrossCached, st.CrossRun = cached, run
	if w.baseline != nil && w.baseline.problem != "" {
		st.Problems = append(st.Problems, w.baseline.problem)
	}
	st.Summary, st.Rules = res.Summary, res.Rules
	st.Summary.Partial = st.Partial
	if workloadKinds == 0 {
		st.Summary.Score = nil
	}
	// Keys are structs of the strings the objects hold, not
	// concatenations: one string per finding and pass was garbage.
	index := make(map[objectName]*inventory.Object, len(objs))
	for _, o := range objs {
		index[objectName{o.GVK.Kind, o.Namespace(), o.Name()}] = o
	}
	failed := make(map[objectName]bool, len(objs)/2)
	for _, f := range res.Findings {
		failed[objectName{f.Object.Kind, f.Object.Namespace, f.Object.Name}] = true
	}
	st.ObjectsPerNamespace = map[string]int{}
	for _, o := range objs {
		st.ObjectsPerNamespace[o.Namespace()]++
		if !failed[objectName{o.GVK.Kind, o.Namespace(), o.Name()}] {
			st.Passed[o.Namespace()]++
		}
	}
	st.Objects = len(objs)
	w.mu.Lock()
	st.Findings = w.track(res, start, index)
	st.Took = w.opts.Now().Sub(start)
	if !changed.IsZero() {
		st.Lag = time.Since(changed)
	}
	w.state = st
	w.passes++
	w.mu.Unlock()
	if w.opts.Metrics != nil {
		w.opts.Metrics.observe(st, w.sources)
	}
	w.opts.Logger.Debug("pass", "objects", st.Objects, "findings", len(st.Findings), "took", st.Took, "lag", st.Lag, "partial", st.Partial)
	w.activity.Add(1)
	w.pendingMu.Lock()
	w.pending = st
	w.pendingMu.Unlock()
	select {
	case w.publish <- struct{}{}:
	default:
	}
}

// evaluate runs the engine over a pass's objects: the per-object rules
// only on objects whose UID and resourceVersion the cache has not seen
// (the rest reuse their results), the cross-object rules only where the
// object or a kind the rule reads changed (engine.CrossCache), except on
// the first and the periodic full pass. It returns the result and the
// cross-object checks answered from the cache and run.
func (w *Watcher) evaluate(ctx context.Context, objs []*inventory.Object) (*engine.SharedResult, int64, int64) {
	e := w.opts.Engine()
	if w.baseline != nil {
		e.SetBaseline(w.baseline.get(ctx, w))
	}
	if w.cross == nil || w.fullNext.Swap(false) || w.opts.NoIncremental {
		w.cross = engine.NewCrossCache()
	}
	hits0, runs0 := w.cross.Stats()
	stream := e.NewStream(engine.WithCrossCache(w.cross))
	workers := goruntime.GOMAXPROCS(0)
	chunk := (len(objs) + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	for lo := 0; lo < len(objs); lo += chunk {
		wg.Add(1)
		go func(part []*inventory.Object) {
			defer wg.Done()
			for _, o := range part {
				key := ""
				if uid, rv := o.Meta.GetUID(), o.Meta.GetResourceVersion(); uid != "" && rv != "" {
					key = string(uid) + "/" + rv
				}
				stream.AddCached(o, key, w.objCache)
			}
		}(objs[lo:min(lo+chunk, len(objs))])
	}
	wg.Wait()
	inv := inventory.New(objs)
	inv.SetMemoCache(w.memos)
	res := stream.FinishShared(inv)
	w.objCache.Sweep()
	hits, runs := w.cross.Stats()
	return res, hits - hits0, runs - runs0
}

// objectName is an object by kind, namespace and name, as a finding
// names it.
type objectName struct{ kind, ns, name string }

// serverVersion is the cluster info object the version rules read.
func (w *Watcher) serverVersion() *inventory.Object {
	v, err := w.client.Discovery().ServerVersion()
	if err != nil {
		return nil
	}
	return cluster.InfoObject(v)
}
