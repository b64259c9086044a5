package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
)

// The page, its script and style, and the graph library (cytoscape.js,
// refreshed from npm by hack/refresh-ui-assets.sh at a pinned version).
var (
	//go:embed html/page.tmpl
	pageTemplate string
	//go:embed html/app.js
	appJS string
	//go:embed html/style.css
	styleCSS string
	//go:embed html/assets/cytoscape.min.js
	cytoscapeJS string
	//go:embed html/assets/cytoscape.LICENSE
	cytoscapeLicense string
)

// Context is what an HTML report shows besides the findings: the objects
// judged per namespace (for each namespace's score) and the network
// matrix. Both are optional.
type Context struct {
	// ObjectsPerNamespace counts the judged objects by namespace.
	ObjectsPerNamespace map[string]int
	// Network is the who-talks-to-whom matrix, with the reason of each edge.
	Network *netpol.MatrixReport
	// Because explains an edge (optional).
	Because func(netpol.Edge) string
	// Source says what was scanned ("manifests: deploy/", "live cluster").
	Source string
	// RBAC are the risky chains of rbac risks: subject, binding, role and
	// the capability they grant.
	RBAC []RBACChain
}

// RBACChain is one risky capability of a subject and what grants it.
type RBACChain struct {
	Subject string `json:"subject"`
	Score   int    `json:"score"`
	Binding string `json:"binding"`
	Role    string `json:"role"`
	Risk    string `json:"risk"`
	Scope   string `json:"scope"`
}

// ContextSetter is a printer that shows a Context (the HTML one).
type ContextSetter interface{ SetContext(Context) }

type htmlPrinter struct {
	o   Options
	ctx Context
}

// SetContext gives the printer the namespace counts and the network.
func (p *htmlPrinter) SetContext(c Context) { p.ctx = c }

// htmlData is the page's data, embedded as JSON. Findings are rows of
// indices into Strings, so 10,000 findings stay small.
type htmlData struct {
	Version    string              `json:"version"`
	Generated  string              `json:"generated"`
	Source     string              `json:"source"`
	Summary    engine.Summary      `json:"summary"`
	Baseline   bool                `json:"baseline"`
	Strings    []string            `json:"strings"`
	Findings   [][]int             `json:"findings"` // severity, rule, namespace, kind, name, file, line, message, field, container, state (0 active, 1 suppressed, 2 baseline)
	Rules      map[string]htmlRule `json:"rules"`
	Namespaces []htmlNamespace     `json:"namespaces"`
	Network    *htmlNetwork        `json:"network,omitempty"`
	RBAC       []RBACChain         `json:"rbac,omitempty"`
}

type htmlRule struct {
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Category    string   `json:"category"`
	Rationale   string   `json:"rationale"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
	Links       []string `json:"links,omitempty"`
}

type htmlNamespace struct {
	Name    string `json:"name"`
	Objects int    `json:"objects"`
	Score   int    `json:"score"`
	Counts  [5]int `json:"counts"` // info, low, medium, high, critical
}

type htmlNetwork struct {
	Peers []string   `json:"peers"`
	Edges []htmlEdge `json:"edges"`
	// Omitted counts edges left out past the cap.
	Omitted int `json:"omitted,omitempty"`
}

type htmlEdge struct {
	From    string `json:"s"`
	To      string `json:"t"`
	Port    string `json:"p"`
	Verdict string `json:"v"`
	Because string `json:"b,omitempty"`
}

// maxHTMLEdges keeps the page responsive; above it the page aggregates by
// namespace anyway.
const maxHTMLEdges = 20000

// Print writes one self-contained HTML file: no request leaves it (the
// Content-Security-Policy allows only its own inline scripts, by hash).
func (p *htmlPrinter) Print(w io.Writer, res *engine.Result) error {
	return renderPage(w, pageData(res, p.ctx, p.o.Version), p.o.Version, false)
}

// ServedPage writes the page for a server that serves the scripts itself
// at the Assets paths: no inline script or style at all, so its CSP is
// script-src and style-src 'self'.
func ServedPage(w io.Writer, res *engine.Result, c Context, version string) error {
	return renderPage(w, pageData(res, c, version), version, true)
}

// Asset is a file a served page loads.
type Asset struct{ ContentType, Body string }

// Assets are the scripts and the stylesheet of a served page, by path.
func Assets() map[string]Asset {
	return map[string]Asset{
		"/assets/cytoscape.min.js": {"text/javascript; charset=utf-8", cytoscapeJS},
		"/assets/app.js":           {"text/javascript; charset=utf-8", appJS},
		"/assets/style.css":        {"text/css; charset=utf-8", styleCSS},
	}
}

// ServedCSP is the Content-Security-Policy of a served page: scripts and
// styles from the server only, nothing inline.
const ServedCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pageData builds the page's data.
func pageData(res *engine.Result, c Context, version string) htmlData {
	d := htmlData{Version: version, Generated: time.Now().UTC().Format(time.RFC3339), Source: c.Source, Summary: res.Summary, Rules: map[string]htmlRule{}}
	idx := map[string]int{}
	str := func(s string) int {
		if i, ok := idx[s]; ok {
			return i
		}
		idx[s] = len(d.Strings)
		d.Strings = append(d.Strings, s)
		return idx[s]
	}
	nsCounts := map[string]*htmlNamespace{}
	worst := map[string]map[string]api.Severity{}
	add := func(f api.Finding, state int) {
		d.Findings = append(d.Findings, []int{int(f.Severity), str(f.RuleID), str(f.Object.Namespace), str(f.Object.Kind), str(f.Object.Name),
			str(f.Location.File), f.Location.Line, str(f.Message), str(f.Field), str(f.Container), state})
		if state != 0 || f.Platform {
			return
		}
		ns := nsCounts[f.Object.Namespace]
		if ns == nil {
			ns = &htmlNamespace{Name: f.Object.Namespace}
			nsCounts[f.Object.Namespace] = ns
			worst[f.Object.Namespace] = map[string]api.Severity{}
		}
		ns.Counts[f.Severity]++
		if s, ok := worst[f.Object.Namespace][f.Object.String()]; !ok || f.Severity > s {
			worst[f.Object.Namespace][f.Object.String()] = f.Severity
		}
	}
	for _, f := range res.Findings {
		add(f, 0)
	}
	for _, f := range res.Suppressed {
		state := 1
		if f.Suppressed != nil && f.Suppressed.Source == "baseline" {
			state, d.Baseline = 2, true
		}
		add(f, state)
	}
	for ns, n := range c.ObjectsPerNamespace {
		if nsCounts[ns] == nil {
			nsCounts[ns] = &htmlNamespace{Name: ns}
		}
		nsCounts[ns].Objects = n
	}
	for name, ns := range nsCounts {
		if ns.Objects < len(worst[name]) {
			ns.Objects = len(worst[name])
		}
		ns.Score = engine.ScoreOf(ns.Objects, worst[name])
		d.Namespaces = append(d.Namespaces, *ns)
	}
	sort.Slice(d.Namespaces, func(i, j int) bool {
		return d.Namespaces[i].Score < d.Namespaces[j].Score || d.Namespaces[i].Score == d.Namespaces[j].Score && d.Namespaces[i].Name < d.Namespaces[j].Name
	})
	for _, r := range res.Rules {
		hr := htmlRule{Title: r.Title, Severity: r.Severity.String(), Category: string(r.Category), Rationale: r.Rationale, Remediation: r.Remediation}
		for _, ref := range r.References {
			hr.References = append(hr.References, ref.String())
			hr.Links = append(hr.Links, ref.URL)
		}
		d.Rules[r.ID] = hr
	}
	if m := c.Network; m != nil {
		n := &htmlNetwork{Peers: m.Peers}
		for i, e := range m.Connections {
			if i >= maxHTMLEdges {
				n.Omitted = len(m.Connections) - maxHTMLEdges
				break
			}
			he := htmlEdge{From: e.From, To: e.To, Port: e.PortString(), Verdict: e.Verdict.String()}
			if c.Because != nil && i < 5000 {
				he.Because = c.Because(e)
			}
			n.Edges = append(n.Edges, he)
		}
		d.Network = n
	}
	d.RBAC = c.RBAC
	return d
}

// renderPage executes the page template with the data inline (a JSON
// block, which no CSP treats as script) and the scripts inline by hash or,
// served, by path.
func renderPage(w io.Writer, d htmlData, version string, served bool) error {
	data, err := json.Marshal(d) // escapes <, > and &: safe inside a script element
	if err != nil {
		return err
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	// Scripts run and the style element applies only by hash. cytoscape.js
	// styles the elements it creates through the CSSOM (element.style),
	// which style-src does not govern, so no 'unsafe-inline' is needed;
	// the browser test fails on any CSP violation.
	csp := "default-src 'none'; script-src " + hash(cytoscapeJS) + " " + hash(appJS) + "; style-src " + hash(styleCSS) + "; img-src data:; base-uri 'none'; form-action 'none'"
	t, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return err
	}
	if served {
		// The header carries ServedCSP; the page repeats it but for
		// frame-ancestors, which a meta element cannot set.
		csp = strings.Replace(ServedCSP, " frame-ancestors 'none';", "", 1)
	}
	return t.Execute(w, map[string]any{
		"CSP": csp, "Style": template.CSS(styleCSS), "Data": template.JS(data), "Served": served,
		"Cytoscape": template.JS(cytoscapeJS), "App": template.JS(appJS), "License": cytoscapeLicense, "Version": version,
	})
}
