package engine

import (
	"math"

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
	// Checks is the number of (rule, object) evaluations; Failed of those found something.
	Checks int `json:"checks"`
	Failed int `json:"failed"`
	// Score is 0-100: the severity-weighted share of checks that passed.
	Score int `json:"score"`
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

func summarize(res *Result, t tally) Summary {
	var s Summary
	for _, f := range res.Findings {
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
	}
	s.Suppressed = len(res.Suppressed)
	// A (rule, object) pair whose findings were all suppressed counts as passed.
	failedPairs := map[string]api.Severity{}
	for _, f := range res.Findings {
		failedPairs[f.RuleID+"\x00"+f.Object.String()+"\x00"+f.Location.File] = f.Severity
	}
	var total, lost float64
	for sev, n := range t.checks {
		s.Checks += n
		total += float64(n * sev.Weight())
	}
	for _, sev := range failedPairs {
		s.Failed++
		lost += float64(sev.Weight())
	}
	s.Score = 100
	if total > 0 {
		s.Score = int(math.Round(100 * (1 - math.Min(lost, total)/total)))
	}
	return s
}

// RecountProblems fills the error and warning counts from res.Problems.
func (res *Result) RecountProblems() {
	res.Summary.Errors, res.Summary.Warnings = 0, 0
	for _, p := range res.Problems {
		if p.Warning {
			res.Summary.Warnings++
		} else {
			res.Summary.Errors++
		}
	}
}
