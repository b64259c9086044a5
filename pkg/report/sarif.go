package report

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
)

// The SARIF 2.1.0 subset GitHub code scanning reads.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation says whether the run read its input: input problems are
// toolExecutionNotifications, and an input error makes the run
// unsuccessful, so code scanning never shows a run that read nothing as
// clean.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	// Properties carry the finding's own severity (it may be graded below
	// the rule's default), the IDs of the rules folded into it, and whether
	// it is about Kubernetes' own objects.
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type sarifPrinter struct{ o Options }

// Print writes a SARIF 2.1.0 log with rule metadata, file/line regions and
// stable partial fingerprints.
func (p *sarifPrinter) Print(w io.Writer, res *engine.Result) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "guardrail", Version: p.o.Version,
		InformationURI: "https://github.com/guardrail-k8s/guardrail", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	index := map[string]int{}
	for i, r := range res.Rules {
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(r))
	}
	add := func(f api.Finding) {
		r := sarifResult{RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: f.Severity.SARIFLevel(),
			Message: sarifText{Text: f.Object.String() + ": " + f.Message}, Locations: []sarifLocation{locationOf(f)},
			PartialFingerprints: map[string]string{"guardrail/v1": f.Fingerprint}}
		if f.Suppressed != nil {
			r.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.Suppressed.Source + ": " + f.Suppressed.Reason}}
		}
		r.Properties = map[string]any{"severity": f.Severity.String(), "security-severity": f.Severity.SecurityScore()}
		if len(f.Related) > 0 {
			r.Properties["related"] = f.Related
		}
		if f.Platform {
			r.Properties["platform"] = true
		}
		run.Results = append(run.Results, r)
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, pr := range res.Problems {
		n := sarifNotification{Level: "error", Message: sarifText{Text: pr.Error()}}
		if pr.Warning {
			n.Level = "warning"
		} else {
			inv.ExecutionSuccessful = false
		}
		if pr.Location.File != "" && pr.Location.File != "-" {
			n.Locations = []sarifLocation{physical(pr.Location)}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	for _, f := range res.Findings {
		add(f)
	}
	if p.o.ShowSuppressed {
		for _, f := range res.Suppressed {
			add(f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifRuleOf(r api.RuleInfo) sarifRule {
	var refs []string
	for _, ref := range r.References {
		refs = append(refs, "- "+ref.String())
	}
	helpMD := "**" + r.Title + "**\n\n" + r.Rationale + "\n\n**Remediation:** " + r.Remediation
	if r.Example != "" {
		helpMD += "\n\n```yaml\n" + r.Example + "\n```"
	}
	if len(refs) > 0 {
		helpMD += "\n\n**References:**\n" + strings.Join(refs, "\n")
	}
	return sarifRule{
		ID: r.ID, Name: r.ID, ShortDescription: sarifText{Text: r.Title}, FullDescription: sarifText{Text: r.Rationale},
		Help:                 sarifHelp{Text: r.Rationale + " Remediation: " + r.Remediation, Markdown: helpMD},
		DefaultConfiguration: sarifConfig{Level: r.Severity.SARIFLevel()},
		Properties: map[string]any{
			"tags":              []string{"security", "kubernetes", string(r.Category)},
			"security-severity": r.Severity.SecurityScore(),
			"precision":         "high",
		},
	}
}

func locationOf(f api.Finding) sarifLocation {
	if f.Location.File == "" || f.Location.File == "-" {
		return sarifLocation{LogicalLocations: []sarifLogical{{Name: f.Object.Name, FullyQualifiedName: f.Object.String(), Kind: "object"}}}
	}
	return physical(f.Location)
}

// physical is a file location. The URI is always a real file: a line of
// a tool's output (a template line that an action wrote, kustomize's
// build) does not count in the file, so it goes in the properties
// (generatedBy, generatedLine) instead of a region that would point code
// scanning at the wrong line.
func physical(loc api.Location) sarifLocation {
	file, by := loc.SourceFile()
	l := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(filepath.Clean(file))}}}
	switch {
	case by != "":
		l.Properties = map[string]any{"generatedBy": by}
		if loc.Line > 0 {
			l.Properties["generatedLine"] = loc.Line
		}
	case loc.Line > 0:
		l.PhysicalLocation.Region = &sarifRegion{StartLine: loc.Line}
	}
	return l
}
