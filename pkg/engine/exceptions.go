package engine

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
)

// AnnotationPrefix is the annotation prefix for per-object exceptions:
// exception.guardrail.dev/<rule-id>: "<reason>[; expires=YYYY-MM-DD]".
const AnnotationPrefix = "exception.guardrail.dev/"

// suppression returns the exception covering the finding, or a note when
// the only matching exception has expired.
func (e *Engine) suppression(r raw, f api.Finding, now time.Time) (*api.Suppression, string) {
	var expired []string
	for i := range e.exceptions {
		ex := &e.exceptions[i]
		if !matches(ex, f) {
			continue
		}
		if !ex.ExpiresAt.IsZero() && !now.Before(ex.ExpiresAt) {
			expired = append(expired, fmt.Sprintf("exception expired on %s (reason was: %s)", ex.Expires, ex.Reason))
			continue
		}
		return &api.Suppression{Source: "config", Reason: ex.Reason, Expires: ex.Expires}, ""
	}
	if e.annotations {
		if s, note := annotationException(r, f.RuleID, now); s != nil {
			return s, ""
		} else if note != "" {
			expired = append(expired, note)
		}
	}
	return nil, strings.Join(expired, "; ")
}

func matches(ex *config.Exception, f api.Finding) bool {
	return anyGlob(ex.Rules, f.RuleID, false) &&
		anyGlob(ex.Namespaces, f.Object.Namespace, true) &&
		anyGlob(ex.Names, f.Object.Name, true) &&
		anyGlob(ex.Containers, f.Container, true) &&
		anyKind(ex.Kinds, f.Object.Kind)
}

func anyGlob(patterns []string, v string, emptyMatches bool) bool {
	if len(patterns) == 0 {
		return emptyMatches
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}

func anyKind(kinds []string, kind string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if strings.EqualFold(k, kind) {
			return true
		}
	}
	return false
}

// annotationException reads exception.guardrail.dev/<rule-id> on the object
// and, for workloads, on its pod template.
func annotationException(r raw, ruleID string, now time.Time) (*api.Suppression, string) {
	sources := []map[string]string{r.obj.Meta.GetAnnotations()}
	if w := r.obj.Workload; w != nil && w.Meta != nil {
		sources = append(sources, w.Meta.Annotations)
	}
	for _, anns := range sources {
		v, ok := anns[AnnotationPrefix+ruleID]
		if !ok {
			continue
		}
		reason, expires := parseAnnotation(v)
		if reason == "" {
			return nil, "exception annotation ignored: it gives no reason"
		}
		if expires != "" {
			t, err := config.ParseExpiry(expires)
			if err != nil {
				return nil, "exception annotation ignored: " + err.Error()
			}
			if !now.Before(t) {
				return nil, fmt.Sprintf("exception expired on %s (reason was: %s)", expires, reason)
			}
		}
		return &api.Suppression{Source: "annotation", Reason: reason, Expires: expires}, ""
	}
	return nil, ""
}

// parseAnnotation splits "reason; expires=2026-12-31".
func parseAnnotation(v string) (reason, expires string) {
	parts := strings.Split(v, ";")
	var rs []string
	for _, p := range parts {
		t := strings.TrimSpace(p)
		if strings.HasPrefix(t, "expires=") {
			expires = strings.TrimPrefix(t, "expires=")
			continue
		}
		if t != "" {
			rs = append(rs, t)
		}
	}
	return strings.Join(rs, "; "), expires
}
