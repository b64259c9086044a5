package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/guardrail-k8s/guardrail/internal/corpus"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
)

// browser starts headless Chromium (Debian's chromium) and records
// console errors, exceptions and every request the page makes.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("no chromium (apt-get install chromium)")
		}
		t.Fatal("no chromium: .ci/run installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1400, 1000))
	// Chromium sometimes exits at start-up on a loaded 2-core machine
	// ("chrome failed to start", seen once in CI): start it up to three
	// times before the test's own actions, so that only a page failure
	// fails a test.
	var ctx context.Context
	for attempt := 1; ; attempt++ {
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		c, cancelC := chromedp.NewContext(actx)
		c, cancelT := context.WithTimeout(c, 90*time.Second)
		err := chromedp.Do(c) // starts the browser
		if err == nil {
			ctx = c
			t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
			break
		}
		cancelT()
		cancelC()
		cancelA()
		if attempt == 3 {
			t.Fatalf("chromium did not start in 3 attempts: %v", err)
		}
		t.Logf("chromium did not start (attempt %d): %v", attempt, err)
	}
	b := &browser{ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+e.ExceptionDetails.Text+" "+fmt.Sprint(e.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if e.Type == "error" || e.Type == "warning" || e.Type == "assert" {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console: "+strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				b.errors = append(b.errors, "log: "+e.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHTMLReportInBrowser renders `scan -o html` of the bundled examples in
// headless Chromium and asserts on the rendered DOM: the namespace table's
// counts, the severity filter, the graph's nodes and edges, no console
// error (a CSP violation is one), and no request but the file itself.
func TestHTMLReportInBrowser(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	if a := os.Getenv("ARTIFACTS"); a != "" {
		dir = a
		os.MkdirAll(dir, 0o755)
	}
	page := filepath.Join(dir, "report.html")
	code, out, errOut := run(t, "", "scan", examples+"/shop", "-o", "html")
	if code != ExitFindings || !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Fatalf("scan -o html: exit %d: %s", code, errOut)
	}
	os.WriteFile(page, []byte(out), 0o644)
	// What the page must show, from the same scan as JSON.
	_, js, _ := run(t, "", "scan", examples+"/shop", "-o", "json")
	var res struct {
		Findings []struct {
			Severity string
			Object   struct{ Namespace string }
		}
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, f := range res.Findings {
		if f.Object.Namespace == "shop" {
			want[f.Severity]++
		}
	}
	total := len(res.Findings)

	ctx := b.ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#ns-table tbody tr"))); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) int {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	nsCells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#ns-table tbody tr[data-namespace="shop"] td')).map(td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-findings"))); err != nil {
		t.Fatal(err)
	}
	rowsAll := eval(`window.__guardrail.visibleRows()`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-severity"), "3")); err != nil {
		t.Fatal(err)
	}
	rowsHigh := eval(`document.getElementById('f-severity').dispatchEvent(new Event('input', {bubbles: true})); window.__guardrail.visibleRows()`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-network")), chromedp.Sleep(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	nodes, edges := eval(`window.__guardrail.cy.nodes().length`), eval(`window.__guardrail.cy.edges().length`)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-rbac")), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	rbacRows, rbacNodes, rbacEdges := eval(`document.querySelectorAll('#rbac-table tbody tr').length`), eval(`window.__guardrail.cyRBAC.nodes().length`), eval(`window.__guardrail.cyRBAC.edges().length`)
	rbacPNG, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	os.WriteFile(filepath.Join(dir, "report-rbac.png"), rbacPNG, 0o644)
	// The RBAC graph against `rbac risks -o json`: a row per risky grant,
	// a node per distinct subject, binding, role and capability.
	_, rj, _ := run(t, "", "rbac", "risks", "-f", examples+"/shop", "-o", "json")
	var doc struct {
		Subjects []struct {
			Subject struct{ Kind, Name, Namespace string }
			Risks   []struct {
				Risk  struct{ Title string }
				Scope string
				Grant struct{ BindingKind, BindingNamespace, BindingName, RoleKind, RoleName string }
			}
		}
	}
	if err := json.Unmarshal([]byte(rj), &doc); err != nil {
		t.Fatal(err)
	}
	risks := doc.Subjects
	grants, rn, re := 0, map[string]bool{}, map[string]bool{}
	for _, r := range risks {
		s := "s" + r.Subject.Kind + r.Subject.Namespace + "/" + r.Subject.Name
		for _, g := range r.Risks {
			grants++
			b, ro, k := "b"+g.Grant.BindingKind+g.Grant.BindingNamespace+"/"+g.Grant.BindingName, "r"+g.Grant.RoleKind+g.Grant.RoleName, "k"+g.Risk.Title+g.Scope
			rn[s], rn[b], rn[ro], rn[k] = true, true, true, true
			re[s+">"+b], re[b+">"+ro], re[ro+">"+k] = true, true, true
		}
	}
	if rbacRows != grants || rbacNodes != len(rn) || rbacEdges != len(re) || grants == 0 {
		t.Errorf("RBAC: %d rows, %d nodes, %d edges; want %d, %d, %d", rbacRows, rbacNodes, rbacEdges, grants, len(rn), len(re))
	}
	os.WriteFile(filepath.Join(dir, "report-network.png"), png, 0o644)
	t.Logf("page and screenshot in %s", dir)
	// Columns: namespace, score, critical, high, medium, low, objects, worst.
	if len(nsCells) < 7 || nsCells[2] != fmt.Sprint(want["critical"]) || nsCells[3] != fmt.Sprint(want["high"]) || nsCells[4] != fmt.Sprint(want["medium"]) {
		t.Errorf("namespace row for shop %v, want critical %d high %d medium %d", nsCells, want["critical"], want["high"], want["medium"])
	}
	if rowsAll != total {
		t.Errorf("findings rows %d, want %d", rowsAll, total)
	}
	high := 0
	for _, f := range res.Findings {
		if f.Severity == "high" || f.Severity == "critical" {
			high++
		}
	}
	if rowsHigh != high || rowsHigh >= rowsAll {
		t.Errorf("filtered to high and above: %d rows, want %d (of %d)", rowsHigh, high, rowsAll)
	}
	// The graph: the matrix's endpoints plus one box per namespace.
	_, mj, _ := run(t, "", "netpol", "matrix", examples+"/shop", "-o", "json")
	var m netpol.MatrixReport
	json.Unmarshal([]byte(mj), &m)
	ends, nss := map[string]bool{}, map[string]bool{}
	for _, e := range m.Connections {
		for _, id := range []string{e.From, e.To} {
			ends[id] = true
			if i := strings.IndexByte(id, '/'); i > 0 {
				nss[id[:i]] = true
			}
		}
	}
	if edges != len(m.Connections) || nodes != len(ends)+len(nss) || edges == 0 {
		t.Errorf("graph %d nodes, %d edges; want %d and %d", nodes, edges, len(ends)+len(nss), len(m.Connections))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(b.errors, "\n"))
	}
	for _, r := range b.requests {
		if r != "file://"+page {
			t.Errorf("the page made a request: %s", r)
		}
	}
}

// BenchmarkHTMLReport12k: the HTML report of the 12,000-object corpus, its
// size, and the time headless Chromium takes from navigation to the
// rendered findings table.
//
//	go test ./internal/cli -run XXX -bench HTMLReport12k -benchtime 1x
func BenchmarkHTMLReport12k(b *testing.B) {
	dir := b.TempDir()
	if _, err := corpus.New(1).WriteDir(dir, 12000); err != nil {
		b.Fatal(err)
	}
	var out, errb strings.Builder
	start := time.Now()
	Execute([]string{"scan", dir, "-o", "html"}, IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
	scan := time.Since(start)
	page := filepath.Join(dir, "report.html")
	os.WriteFile(page, []byte(out.String()), 0o644)
	path, err := exec.LookPath("chromium")
	if err != nil {
		b.Skip("no chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("headless", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t0 := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#ns-table tbody tr"))); err != nil {
		b.Fatal(err)
	}
	render := time.Since(t0)
	b.ReportMetric(float64(out.Len())/(1<<20), "MiB")
	b.ReportMetric(float64(render.Milliseconds()), "render-ms")
	b.ReportMetric(scan.Seconds(), "scan-s")
}
