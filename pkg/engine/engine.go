package engine

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/platform"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Engine evaluates a fixed set of rules. Build it once with New; it is
// safe for concurrent use.
type Engine struct {
	rules       []*rules.Rule
	local       dispatch // rules that look at one object
	cross       dispatch // rules that read the inventory
	settings    rules.Settings
	exceptions  []config.Exception
	annotations bool
	baseline    *Baseline
	workers     int
	perRule     int           // most findings kept per rule and object; 0: all
	keep        workload.Keep // what slimmed workloads keep for the active cross-object rules
	// includeSystem keeps findings about Kubernetes' own objects in the
	// report (marked Platform); they never count in the summary or gate.
	includeSystem bool
	// systemNamespaces hold only the platform's objects on a live cluster.
	systemNamespaces []string
	// scope, when set, is the one namespace the report is about (-n).
	scope string
	// subsumedBy maps a rule ID to the active rules that subsume it, and
	// foldRank orders rules so that subsumers are decided first.
	subsumedBy map[string][]string
	foldRank   map[string]int
}

// dispatch routes objects to rules by scope and kind.
type dispatch struct {
	workload  []*rules.Rule
	byKind    map[schema.GroupKind][]*rules.Rule
	any       []*rules.Rule
	namespace []*rules.Rule
}

func (d *dispatch) add(r *rules.Rule) {
	switch r.Scope {
	case rules.ScopeWorkload:
		d.workload = append(d.workload, r)
	case rules.ScopeNamespace:
		d.namespace = append(d.namespace, r)
	case rules.ScopeAny:
		d.any = append(d.any, r)
	case rules.ScopeObject:
		if d.byKind == nil {
			d.byKind = map[schema.GroupKind][]*rules.Rule{}
		}
		for _, gk := range r.Kinds {
			d.byKind[gk] = append(d.byKind[gk], r)
		}
	}
}

// Option configures an Engine.
type Option func(*Engine)

// WithRules sets the rules to evaluate (default: the zero-trust profile).
func WithRules(rs []*rules.Rule) Option { return func(e *Engine) { e.rules = rs } }

// WithSettings sets the evaluation settings (PSS version and level, clock).
func WithSettings(s rules.Settings) Option { return func(e *Engine) { e.settings = s } }

// WithExceptions sets the validated exceptions of the config file.
func WithExceptions(ex []config.Exception) Option { return func(e *Engine) { e.exceptions = ex } }

// WithAnnotationExceptions allows or forbids objects to except themselves
// through exception.guardrail.dev/<rule-id> annotations (default allowed).
func WithAnnotationExceptions(allow bool) Option { return func(e *Engine) { e.annotations = allow } }

// WithBaseline reports only findings that are not in b.
func WithBaseline(b *Baseline) Option { return func(e *Engine) { e.baseline = b } }

// WithMaxFindingsPerRule keeps at most n findings of one rule on one
// object; the last kept says how many more there were. Every rule that
// fires on an object still reports, so a verdict never changes, but a pod
// built with thousands of offending containers costs bounded memory: the
// webhook uses it, where one request must not take the process down.
func WithMaxFindingsPerRule(n int) Option { return func(e *Engine) { e.perRule = n } }

// WithWorkers sets the evaluation parallelism of Scan (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(e *Engine) { e.workers = n } }

// WithIncludeSystem keeps findings about Kubernetes' own objects in the
// result, marked as platform findings (default: left out).
func WithIncludeSystem(include bool) Option { return func(e *Engine) { e.includeSystem = include } }

// WithSystemNamespaces sets the namespaces whose objects are the platform's
// on a live cluster (default platform.DefaultSystemNamespaces). They do not
// apply to manifests: a user's manifest that targets kube-system is the
// user's object.
func WithSystemNamespaces(ns []string) Option { return func(e *Engine) { e.systemNamespaces = ns } }

// New builds an engine; the dispatch tables are computed here so the hot
// path is a map lookup and a loop.
func New(opts ...Option) *Engine {
	e := &Engine{settings: rules.DefaultSettings(), annotations: true, workers: runtime.GOMAXPROCS(0),
		systemNamespaces: platform.DefaultSystemNamespaces}
	for _, o := range opts {
		o(e)
	}
	if e.rules == nil {
		p, _ := rules.LookupProfile(rules.DefaultProfile)
		e.rules = p.Rules()
	}
	if e.workers < 1 {
		e.workers = 1
	}
	if e.settings.Now.IsZero() {
		e.settings.Now = time.Now()
	}
	var active []*rules.Rule
	for _, r := range e.rules {
		if (r.Input == rules.ManifestsOnly && e.settings.Live) || (r.Input == rules.ClusterOnly && !e.settings.Live) {
			continue
		}
		active = append(active, r)
	}
	e.rules = active
	e.subsumedBy, e.foldRank = subsumption(active)
	for _, r := range e.rules {
		e.keep.PSSLevel = e.keep.PSSLevel || r.NeedsPodSecurityLevel
		e.keep.Resources = e.keep.Resources || r.NeedsContainerResources
		if r.CrossObject || r.Scope == rules.ScopeNamespace {
			e.cross.add(r)
		} else {
			e.local.add(r)
		}
	}
	return e
}

// Rules returns the rules the engine evaluates.
func (e *Engine) Rules() []*rules.Rule { return e.rules }

// Result is the outcome of a scan.
type Result struct {
	// Findings are the active findings, ordered by input position, then severity.
	Findings []api.Finding `json:"findings"`
	// Suppressed are findings covered by an exception or the baseline.
	Suppressed []api.Finding `json:"suppressed,omitempty"`
	// Problems are input errors and warnings, filled in by the loader's caller.
	Problems []*api.Problem `json:"problems,omitempty"`
	// Rules are the rules that were evaluated.
	Rules []api.RuleInfo `json:"-"`
	// Skipped says what was not examined and why (kinds not read from a cluster).
	Skipped []string `json:"skipped,omitempty"`
	// Summary counts the findings and scores the posture.
	Summary Summary `json:"summary"`
}

// Scan evaluates every rule over inv, which it does not modify.
func (e *Engine) Scan(inv *inventory.Inventory) *Result {
	s := e.NewStream()
	objs := inv.Objects()
	var wg sync.WaitGroup
	chunk := (len(objs) + e.workers - 1) / e.workers
	for lo := 0; lo < len(objs); lo += chunk {
		wg.Add(1)
		go func(objs []*inventory.Object) {
			defer wg.Done()
			for _, o := range objs {
				s.Add(o)
			}
		}(objs[lo:min(lo+chunk, len(objs))])
	}
	wg.Wait()
	return s.Finish(inv)
}

// Stream evaluates objects one at a time, as a loader decodes them, so that
// an entry point need not hold every full object at once. Add may be called
// from several goroutines; Finish once, after the last Add.
type Stream struct {
	e    *Engine
	ctx  context.Context
	slim bool
	mu   sync.Mutex
	done []done // per-object findings, in chunks: no regrowth of one large slice
	t    tally
	// cross, when set, keeps the cross-object rules' results across
	// streams (WithCrossCache).
	cross *CrossCache
}

// pending is a finding with the object it is about, for ordering. f may be
// shared with an ObjectCache and with earlier passes: it is read, and
// replaced by a copy (own) before it is changed. A pass lists every
// finding, so a pointer rather than a 280-byte value per entry (at
// 100,000 findings, 30 MB less to copy and collect per pass).
type pending struct {
	obj    *inventory.Object
	f      *api.Finding
	covers []string // containers or volumes the finding is about; nil: the whole object
	folded bool     // a subsuming rule's finding reports the same fact
	owned  bool     // f is this pending's own copy
}

// own makes f this pending's own copy, to change.
func (p *pending) own() *api.Finding {
	if !p.owned {
		c := *p.f
		c.Related = slices.Clone(c.Related)
		p.f, p.owned = &c, true
	}
	return p.f
}

// done is one object's per-object findings in a stream. out may be an
// ObjectCache's: read, never modified.
type done struct {
	obj *inventory.Object
	out []pending
}

// StreamOption configures a Stream.
type StreamOption func(*Stream)

// WithSlimming lets the stream reduce each object to what cross-object
// rules read (inventory.Object.Slim) once the per-object rules have seen it.
func WithSlimming() StreamOption { return func(s *Stream) { s.slim = true } }

// WithContext stops evaluating rules once ctx is done (an admission review
// past its deadline); Err reports it.
func WithContext(ctx context.Context) StreamOption { return func(s *Stream) { s.ctx = ctx } }

// Err is the context's error when the stream stopped early, else nil.
func (s *Stream) Err() error {
	if s.ctx == nil {
		return nil
	}
	return s.ctx.Err()
}

// NewStream starts a streaming evaluation.
func (e *Engine) NewStream(opts ...StreamOption) *Stream {
	s := &Stream{e: e, t: newTally()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Add evaluates the per-object rules on o.
func (s *Stream) Add(o *inventory.Object) {
	t := newTally()
	out := s.e.evalObject(s.ctx, &s.e.local, nil, nil, o, &t)
	if s.slim {
		o.Slim(s.e.keep)
	}
	s.mu.Lock()
	if len(out) > 0 {
		s.done = append(s.done, done{obj: o, out: out})
	}
	s.t.merge(t)
	s.mu.Unlock()
}

// Finish runs the cross-object rules over inv and completes the result.
// Findings on added objects that inv does not hold are dropped: a loader may
// stream objects it later decides to leave out (a Pod judged through its
// Deployment).
func (s *Stream) Finish(inv *inventory.Inventory) *Result {
	return s.FinishShared(inv).Result()
}

// SharedResult is a Result whose findings are shared: with the object
// cache, with earlier passes and with their results. Read them; never
// modify one. The continuous watch keeps the same finding from pass to
// pass without a copy per pass (a third of its heap at 100,000 findings).
type SharedResult struct {
	// Findings and Suppressed are as in Result.
	Findings, Suppressed []*api.Finding
	// Rules and Summary are as in Result.
	Rules   []api.RuleInfo
	Summary Summary
}

// Result copies the findings into a Result.
func (r *SharedResult) Result() *Result {
	res := &Result{Rules: r.Rules, Summary: r.Summary, Findings: make([]api.Finding, len(r.Findings))}
	for i, f := range r.Findings {
		res.Findings[i] = *f
	}
	if len(r.Suppressed) > 0 {
		res.Suppressed = make([]api.Finding, len(r.Suppressed))
		for i, f := range r.Suppressed {
			res.Suppressed[i] = *f
		}
	}
	return res
}

// FinishShared is Finish with the findings shared, not copied.
func (s *Stream) FinishShared(inv *inventory.Inventory) *SharedResult {
	e := s.e
	in := make(map[*inventory.Object]bool, inv.Len())
	for _, o := range inv.Objects() {
		in[o] = true
	}
	n := 0
	for _, c := range s.done {
		n += len(c.out)
	}
	kept := make([]pending, 0, n+n/4)
	for _, c := range s.done {
		if !in[c.obj] {
			continue
		}
		for _, p := range c.out {
			p.obj = c.obj
			kept = append(kept, p)
		}
	}
	s.done = nil
	// Cross-object rules read the inventory only through its indexes and
	// once-computed memos, so objects are judged in parallel.
	var cp *crossPass
	if s.cross != nil {
		cp = newCrossPass(s.cross, inv)
		defer cp.done()
	}
	objs := inv.Objects()
	parts := make([][]pending, e.workers)
	tallies := make([]tally, e.workers)
	var wg sync.WaitGroup
	chunk := (len(objs) + e.workers - 1) / max(e.workers, 1)
	for w := 0; w < e.workers && w*chunk < len(objs); w++ {
		wg.Add(1)
		tallies[w] = newTally()
		go func(w int, objs []*inventory.Object) {
			defer wg.Done()
			for _, o := range objs {
				parts[w] = append(parts[w], e.evalObject(s.ctx, &e.cross, inv, cp, o, &tallies[w])...)
			}
		}(w, objs[w*chunk:min((w+1)*chunk, len(objs))])
	}
	wg.Wait()
	for w := range parts {
		kept = append(kept, parts[w]...)
		if tallies[w].checks != nil {
			s.t.merge(tallies[w])
		}
	}
	for _, r := range e.evalNamespaces(inv, cp, &s.t) {
		kept = append(kept, e.pending(r))
	}
	return e.finish(kept, s.t, inv)
}

// tally counts the (rule, object) checks made and the objects checked, for
// the summary and the score.
type tally struct {
	checks  map[api.Severity]int
	objects int
}

func newTally() tally {
	return tally{checks: map[api.Severity]int{}}
}

func (t *tally) merge(o tally) {
	for k, v := range o.checks {
		t.checks[k] += v
	}
	t.objects += o.objects
}

// finish orders the findings, applies the baseline and summarises.
func (e *Engine) finish(ps []pending, t tally, inv *inventory.Inventory) *SharedResult {
	res := &SharedResult{Rules: rules.Infos(e.rules), Findings: make([]*api.Finding, 0, len(ps))}
	inScope := func(*inventory.Object) bool { return true }
	if e.scope != "" {
		inScope = intoNamespace(inv, e.scope)
	}
	outOfScope := 0
	var baselined map[string]int
	if e.baseline != nil {
		baselined = e.baseline.counts()
	}
	e.fold(ps)
	for _, i := range sortPending(ps) {
		p := &ps[i]
		if p.folded {
			continue
		}
		if !inScope(p.obj) {
			outOfScope++
			continue
		}
		if p.f.Platform && !e.includeSystem {
			res.Summary.Platform++
			continue
		}
		if p.f.Suppressed == nil && baselined[p.f.Fingerprint] > 0 {
			baselined[p.f.Fingerprint]--
			p.own().Suppressed = &api.Suppression{Source: "baseline", Reason: "present in the baseline"}
		}
		if p.f.Suppressed != nil {
			res.Suppressed = append(res.Suppressed, p.f)
			continue
		}
		res.Findings = append(res.Findings, p.f)
	}
	platformCount := res.Summary.Platform
	res.Summary = summarize(res.Findings, len(res.Suppressed), t)
	res.Summary.Platform += platformCount
	res.Summary.OutOfScope = outOfScope
	return res
}

// sortPending returns the order of the findings: by input position of their object, then
// severity (most urgent first), line and rule, so output is deterministic
// whatever the evaluation order.
func sortPending(ps []pending) []int32 {
	order := make([]int32, len(ps)) // findings are large: sort their indexes
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(i, j int) bool {
		pi, pj := &ps[order[i]], &ps[order[j]]
		a, b := pi.f, pj.f
		if pi.obj.Seq != pj.obj.Seq {
			return pi.obj.Seq < pj.obj.Seq
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Location.Line != b.Location.Line {
			return a.Location.Line < b.Location.Line
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Message < b.Message
	})
	return order
}
