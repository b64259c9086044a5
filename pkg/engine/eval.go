package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/platform"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// raw is a violation with the rule and object it belongs to.
type raw struct {
	rule *rules.Rule
	obj  *inventory.Object
	v    rules.Violation
	// namespace is set for namespace rules: their platform status is the
	// namespace's, not that of the object they are anchored on.
	namespace string
}

// evalObject runs d's rules on o and returns their findings; with cp, a
// cross-object rule's findings come from the cache where nothing it reads
// changed: its violations, and the findings made of them when the
// exposure that grades them is the same too (a pass of the continuous
// watch made every cross-object finding again, a third of its garbage,
// and each then had to be compared with the last pass's).
func (e *Engine) evalObject(ctx context.Context, d *dispatch, inv *inventory.Inventory, cp *crossPass, o *inventory.Object, t *tally) []pending {
	var out []pending
	in := rules.Input{Object: o, Inventory: inv, Settings: &e.settings}
	entry, entryNS := cp.objectEntry(o)
	ran := false
	defer func() {
		if ran && inv == nil {
			t.objects++ // counted once, on the per-object pass
		}
	}()
	exp := -1
	exposed := func() int {
		if exp < 0 {
			ns := o.Namespace()
			if o.GVK.Kind == "Namespace" && o.GVK.Group == "" {
				ns = o.Name()
			}
			exp = int(exposureOf(inv, ns))
		}
		return exp
	}
	run := func(r *rules.Rule) {
		if ctx != nil && ctx.Err() != nil {
			return
		}
		ran = true
		t.checks[r.Severity]++
		vs, slot, hit := cp.check(r, &in, entry, entryNS)
		grade := -1
		if r.SeverityByExposure && inv != nil && len(vs) > 0 {
			grade = exposed()
		}
		if hit && slot.made && slot.grade == grade && e.valid(slot.until) {
			for _, p := range slot.ps {
				p.obj = o
				out = append(out, p)
			}
			return
		}
		if e.perRule > 0 && len(vs) > e.perRule {
			more := len(vs) - e.perRule
			vs = vs[:e.perRule:e.perRule]
			vs[len(vs)-1].Message += fmt.Sprintf(" (and %d more like it)", more)
		}
		first := len(out)
		for _, v := range vs {
			if grade >= 0 && v.Severity == nil {
				v.Severity = exposedSeverity(r.Severity, exposure(grade))
			}
			out = append(out, e.pending(raw{rule: r, obj: o, v: v}))
		}
		if slot != nil {
			slot.ps = slices.Clone(out[first:])
			slot.grade, slot.made, slot.until = grade, true, expiry(slot.ps)
		}
	}
	if o.Workload != nil {
		in.Workload = o.Workload
		for _, r := range d.workload {
			run(r)
		}
		in.Workload = nil
	}
	for _, r := range d.byKind[o.GroupKind()] {
		run(r)
	}
	for _, r := range d.any {
		run(r)
	}
	return out
}

// expiry is the earliest expiry of the exceptions that suppress ps, zero
// when none expires: findings kept across passes are made again from then
// on, so that an exception that expires while its object stays the same
// stops suppressing.
func expiry(ps []pending) time.Time {
	var until time.Time
	for _, p := range ps {
		if s := p.f.Suppressed; s != nil && s.Expires != "" {
			t, err := config.ParseExpiry(s.Expires)
			if err == nil && (until.IsZero() || t.Before(until)) {
				until = t
			}
		}
	}
	return until
}

// valid says whether findings made before are still this engine's: no
// exception that suppresses them has expired by its evaluation time.
func (e *Engine) valid(until time.Time) bool {
	return until.IsZero() || e.settings.Now.Before(until)
}

// pending converts a violation, applying exceptions (which need the
// object's annotations, so this happens before the object is slimmed).
func (e *Engine) pending(r raw) pending {
	f := e.toFinding(r)
	if s, note := e.suppression(r, f, e.settings.Now); s != nil {
		f.Suppressed = s
	} else if note != "" {
		f.Note = note
	}
	if u := r.obj.Undecoded; len(u) > 0 {
		// A type error elsewhere in the object is an input error, and this
		// finding stands; but what the rules did not see is said here.
		partial := fmt.Sprintf("the object was judged without %s, which did not fit its type (see the input errors)", strings.Join(u, ", "))
		f.Note = strings.TrimPrefix(f.Note+"; "+partial, "; ")
	}
	switch {
	case r.rule.JudgesPlatform:
	case r.namespace != "":
		// A namespace rule about kube-system is the platform's in manifests
		// too: an addon's manifests do not own kube-system's policies.
		f.Platform = contains(e.systemNamespaces, r.namespace)
	default:
		f.Platform = platform.Object(r.obj) || (e.settings.Live && platform.InSystemNamespace(r.obj, e.systemNamespaces))
	}
	p := pending{obj: r.obj, f: &f, covers: r.v.Covers}
	if p.covers == nil && r.v.Container != "" {
		p.covers = []string{r.v.Container}
	}
	return p
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (e *Engine) toFinding(r raw) api.Finding {
	key := r.v.Key
	if key == "" {
		key = r.v.Field
	}
	ref := r.obj.Ref()
	sev := r.rule.Severity
	if r.v.Severity != nil {
		sev = *r.v.Severity
	}
	sev = max(sev, r.rule.Floor)
	return api.Finding{
		RuleID:      r.rule.ID,
		Title:       r.rule.Title,
		Severity:    sev,
		Category:    r.rule.Category,
		Message:     r.v.Message,
		Object:      ref,
		Container:   r.v.Container,
		Field:       r.v.Field,
		Location:    r.obj.LocationOf(r.v.Field),
		Fingerprint: Fingerprint(r.rule.ID, r.obj.GVK.Group, ref, r.v.Container, key),
	}
}
