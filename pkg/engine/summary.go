package engine

import (
	"math"
	"strconv"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// Summary counts findings and scores the posture.
type Summary struct {
	// Critical, High, Medium, Low and Info count active findings per severity.
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
	// Suppressed counts findings covered by exceptions or the baseline.
	Suppressed int `json:"suppressed"`
	// Platform counts findings about Kubernetes' own objects; they are not
	// in the severity counts, the score or the gate (see --include-system).
	Platform int `json:"platform,omitempty"`
	// OutOfScope counts findings left out by a namespace scope (-n): on
	// objects that do not grant or expose into that namespace.
	OutOfScope int `json:"outOfScope,omitempty"`
	// Checks is the number of (rule, object) evaluations.
	Checks int `json:"checks"`
	// Objects is the number of objects at least one rule judged; Failed of
	// those have an active finding.
	Objects int `json:"objects"`
	Failed  int `json:"failed"`
	// Score is 0-100 (see ScoreOf); absent when nothing was checked.
	Score *int `json:"score,omitempty"`
	// Errors and Warnings count input problems.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Partial is set when part of the input could not be read (a list that
	// failed or was cut off, a kind that may not be listed): findings may be missing.
	Partial bool `json:"partial,omitempty"`
}

// Count returns the active findings of severity s.
func (s *Summary) Count(sev api.Severity) int {
	switch sev {
	case api.SeverityCritical:
		return s.Critical
	case api.SeverityHigh:
		return s.High
	case api.SeverityMedium:
		return s.Medium
	case api.SeverityLow:
		return s.Low
	}
	return s.Info
}

// AtOrAbove counts active findings at severity sev or above.
func (s *Summary) AtOrAbove(sev api.Severity) int {
	n := 0
	for _, v := range api.Severities {
		if v >= sev {
			n += s.Count(v)
		}
	}
	return n
}

func summarize(findings []*api.Finding, suppressed int, t tally) Summary {
	var s Summary
	// Sized for a few findings per failed object: growing it from empty
	// was most of what summarising allocated.
	worst := make(map[worstKey]api.Severity, len(findings)/4)
	for _, f := range findings {
		if f.Platform {
			s.Platform++
			continue
		}
		switch f.Severity {
		case api.SeverityCritical:
			s.Critical++
		case api.SeverityHigh:
			s.High++
		case api.SeverityMedium:
			s.Medium++
		case api.SeverityLow:
			s.Low++
		default:
			s.Info++
		}
		k := worstKey{f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Location.File} // no concatenation per finding
		if w, ok := worst[k]; !ok || f.Severity > w {
			worst[k] = f.Severity
		}
	}
	s.Suppressed = suppressed
	for _, n := range t.checks {
		s.Checks += n
	}
	s.Objects = max(t.objects, len(worst))
	s.Failed = len(worst)
	if s.Checks > 0 {
		sc := ScoreOf(s.Objects, worst)
		s.Score = &sc
	}
	return s
}

// ScoreOf is the posture score of objects judged objects, of which those in
// worst have active findings (by their most severe one). It is meant to be
// read as a security lead would:
//
//   - each object costs by its worst finding, not per check or per finding:
//     critical 1, high 0.5, medium 0.2, low 0.05, info 0; the score starts
//     from 100 × (1 − cost ÷ objects);
//   - the worst severity caps it: any critical at 40, any high at 70, any
//     medium at 90, so a report with a critical never looks healthy
//     however many clean objects surround it;
//   - 100 only when nothing but info remains.
func ScoreOf[K comparable](objects int, worst map[K]api.Severity) int {
	if objects == 0 {
		return 100
	}
	var cost float64
	top := api.SeverityInfo
	for _, sev := range worst {
		top = max(top, sev)
		switch sev {
		case api.SeverityCritical:
			cost += 1
		case api.SeverityHigh:
			cost += 0.5
		case api.SeverityMedium:
			cost += 0.2
		case api.SeverityLow:
			cost += 0.05
		}
	}
	score := int(math.Floor(100 * (1 - math.Min(cost, float64(objects))/float64(objects))))
	caps := map[api.Severity]int{api.SeverityCritical: 40, api.SeverityHigh: 70, api.SeverityMedium: 90, api.SeverityLow: 99}
	if c, ok := caps[top]; ok && score > c {
		score = c
	}
	return score
}

// RecountProblems fills the error and warning counts from res.Problems.
func (res *Result) RecountProblems() {
	res.Summary.Errors, res.Summary.Warnings = 0, 0
	for _, p := range res.Problems {
		if p.Warning {
			res.Summary.Warnings += 1 + p.More
		} else {
			res.Summary.Errors++
		}
	}
}

// ScoreText is the score as "N/100", or "n/a" when nothing was checked.
func (s *Summary) ScoreText() string {
	if s.Score == nil {
		return "n/a"
	}
	return strconv.Itoa(*s.Score) + "/100"
}

// worstKey is one object of one input file, for its worst severity.
type worstKey struct{ kind, namespace, name, file string }
