package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

type junitPrinter struct{ o Options }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Print writes one test suite per rule: a failed test case per finding, or
// one passing case when the rule found nothing; input errors form their own suite.
func (p *junitPrinter) Print(w io.Writer, res *engine.Result) error {
	byRule := map[string][]api.Finding{}
	for _, f := range res.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	doc := junitSuites{Name: "guardrail"}
	for _, r := range res.Rules {
		s := junitSuite{Name: r.ID}
		for _, f := range byRule[r.ID] {
			s.Cases = append(s.Cases, junitCase{
				Name: f.Object.String() + containerSuffix(f), Classname: r.ID, File: f.Location.File, Line: f.Location.Line,
				Failure: &junitFailure{Message: f.Message, Type: f.Severity.String(),
					Text: fmt.Sprintf("%s\n%s\nRemediation: %s", loc(f.Location), f.Message, r.Remediation)},
			})
			s.Failures++
		}
		if len(s.Cases) == 0 {
			s.Cases = []junitCase{{Name: r.Title, Classname: r.ID}}
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	var errs []junitCase
	for _, pr := range res.Problems {
		if !pr.Warning {
			errs = append(errs, junitCase{Name: loc(pr.Location), Classname: "input", File: pr.Location.File, Line: pr.Location.Line,
				Error: &junitFailure{Message: pr.Message, Type: "input-error", Text: pr.Error()}})
		}
	}
	if len(errs) > 0 {
		doc.Suites = append(doc.Suites, junitSuite{Name: "input", Tests: len(errs), Errors: len(errs), Cases: errs})
		doc.Tests += len(errs)
		doc.Errors += len(errs)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func containerSuffix(f api.Finding) string {
	if f.Container == "" {
		return ""
	}
	return " [" + f.Container + "]"
}
