package engine

import (
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Engine evaluates a fixed set of rules. Build it once with New; Scan is
// safe for concurrent use.
type Engine struct {
	rules          []*rules.Rule
	workloadRules  []*rules.Rule
	namespaceRules []*rules.Rule
	anyRules       []*rules.Rule
	byKind         map[schema.GroupKind][]*rules.Rule
	settings       rules.Settings
	exceptions     []config.Exception
	annotations    bool
	baseline       *Baseline
	workers        int
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

// WithWorkers sets the evaluation parallelism (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(e *Engine) { e.workers = n } }

// New builds an engine; the per-kind dispatch table is computed here so the
// hot path is a map lookup and a loop.
func New(opts ...Option) *Engine {
	e := &Engine{settings: rules.DefaultSettings(), annotations: true, workers: runtime.GOMAXPROCS(0)}
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
	e.byKind = map[schema.GroupKind][]*rules.Rule{}
	for _, r := range e.rules {
		switch r.Scope {
		case rules.ScopeWorkload:
			e.workloadRules = append(e.workloadRules, r)
		case rules.ScopeNamespace:
			e.namespaceRules = append(e.namespaceRules, r)
		case rules.ScopeAny:
			e.anyRules = append(e.anyRules, r)
		case rules.ScopeObject:
			for _, gk := range r.Kinds {
				e.byKind[gk] = append(e.byKind[gk], r)
			}
		}
	}
	return e
}

// Rules returns the rules the engine evaluates.
func (e *Engine) Rules() []*rules.Rule { return e.rules }

// Result is the outcome of a scan.
type Result struct {
	// Findings are the active findings, ordered by input position, then rule.
	Findings []api.Finding `json:"findings"`
	// Suppressed are findings covered by an exception or the baseline.
	Suppressed []api.Finding `json:"suppressed,omitempty"`
	// Problems are input errors and warnings, filled in by the loader's caller.
	Problems []*api.Problem `json:"problems,omitempty"`
	// Rules are the rules that were evaluated.
	Rules []api.RuleInfo `json:"-"`
	// Summary counts the findings and scores the posture.
	Summary Summary `json:"summary"`
}

// raw is a violation with the rule and object it belongs to.
type raw struct {
	rule *rules.Rule
	obj  *inventory.Object
	v    rules.Violation
}

// tally counts the (rule, object) checks made per severity, for the score.
type tally struct {
	checks map[api.Severity]int
}

// Scan evaluates every rule over inv.
func (e *Engine) Scan(inv *inventory.Inventory) *Result {
	objs := inv.Objects()
	type part struct {
		raws []raw
		t    tally
	}
	parts := make([]part, e.workers)
	var wg sync.WaitGroup
	chunk := (len(objs) + e.workers - 1) / e.workers
	for w := 0; w < e.workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(objs))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(p *part, objs []*inventory.Object) {
			defer wg.Done()
			p.t = newTally()
			for _, o := range objs {
				p.raws = e.evalObject(inv, o, p.raws, &p.t)
			}
		}(&parts[w], objs[lo:hi])
	}
	wg.Wait()
	t := newTally()
	var raws []raw
	for _, p := range parts {
		raws = append(raws, p.raws...)
		t.merge(p.t)
	}
	raws = e.evalNamespaces(inv, raws, &t)
	return e.finish(raws, t)
}

func (e *Engine) evalObject(inv *inventory.Inventory, o *inventory.Object, out []raw, t *tally) []raw {
	in := rules.Input{Object: o, Inventory: inv, Settings: &e.settings}
	run := func(r *rules.Rule) {
		t.checks[r.Severity]++
		for _, v := range r.Check(&in) {
			out = append(out, raw{rule: r, obj: o, v: v})
		}
	}
	if o.Workload != nil {
		in.Workload = o.Workload
		for _, r := range e.workloadRules {
			run(r)
		}
		in.Workload = nil
	}
	for _, r := range e.byKind[o.GroupKind()] {
		run(r)
	}
	for _, r := range e.anyRules {
		run(r)
	}
	return out
}

func (e *Engine) evalNamespaces(inv *inventory.Inventory, out []raw, t *tally) []raw {
	if len(e.namespaceRules) == 0 {
		return out
	}
	for _, ns := range inv.Namespaces() {
		nsObj := inv.NamespaceObject(ns)
		anchor := nsObj
		if anchor == nil {
			if objs := inv.InNamespace(ns); len(objs) > 0 {
				anchor = objs[0]
			}
		}
		if anchor == nil {
			continue
		}
		in := rules.Input{Object: nsObj, Namespace: ns, Inventory: inv, Settings: &e.settings}
		for _, r := range e.namespaceRules {
			t.checks[r.Severity]++
			for _, v := range r.Check(&in) {
				o := v.Object
				if o == nil {
					o = anchor
				}
				out = append(out, raw{rule: r, obj: o, v: v})
			}
		}
	}
	return out
}

func newTally() tally {
	return tally{checks: map[api.Severity]int{}}
}

func (t *tally) merge(o tally) {
	for k, v := range o.checks {
		t.checks[k] += v
	}
}

// finish turns raw violations into findings, applies exceptions and the
// baseline, sorts and summarises.
func (e *Engine) finish(raws []raw, t tally) *Result {
	res := &Result{Rules: rules.Infos(e.rules)}
	now := e.settings.Now
	if now.IsZero() {
		now = time.Now()
	}
	fs := make([]seqFinding, len(raws))
	for i, r := range raws {
		fs[i] = seqFinding{seq: r.obj.Seq, f: e.toFinding(r)}
		if s, note := e.suppression(r, fs[i].f, now); s != nil {
			fs[i].f.Suppressed = s
		} else if note != "" {
			fs[i].f.Note = note
		}
	}
	sortFindings(fs)
	var baselined map[string]int
	if e.baseline != nil {
		baselined = e.baseline.counts()
	}
	for _, sf := range fs {
		f := sf.f
		if f.Suppressed == nil && baselined[f.Fingerprint] > 0 {
			baselined[f.Fingerprint]--
			f.Suppressed = &api.Suppression{Source: "baseline", Reason: "present in the baseline"}
		}
		if f.Suppressed != nil {
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		res.Findings = append(res.Findings, f)
	}
	res.Summary = summarize(res, t)
	return res
}

// seqFinding is a finding with its object's input position.
type seqFinding struct {
	seq int
	f   api.Finding
}

// sortFindings orders findings by input position of their object, then
// severity (most urgent first), line and rule, so output is deterministic
// whatever the evaluation parallelism.
func sortFindings(fs []seqFinding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i].f, &fs[j].f
		if fs[i].seq != fs[j].seq {
			return fs[i].seq < fs[j].seq
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
}

func (e *Engine) toFinding(r raw) api.Finding {
	key := r.v.Key
	if key == "" {
		key = r.v.Field
	}
	ref := r.obj.Ref()
	return api.Finding{
		RuleID:      r.rule.ID,
		Title:       r.rule.Title,
		Severity:    r.rule.Severity,
		Category:    r.rule.Category,
		Message:     r.v.Message,
		Object:      ref,
		Container:   r.v.Container,
		Field:       r.v.Field,
		Location:    r.obj.LocationOf(r.v.Field),
		Fingerprint: Fingerprint(r.rule.ID, r.obj.GVK.Group, ref, r.v.Container, key),
	}
}
