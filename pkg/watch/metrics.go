package watch

import (
	"sort"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the watcher's Prometheus metrics. Every replica serves
// them; only the leader writes reports. docs/metrics.md lists them.
type Metrics struct {
	findings   *prometheus.GaugeVec
	score      *prometheus.GaugeVec
	evaluation prometheus.Histogram
	lastPass   prometheus.Gauge
	partial    prometheus.Gauge
	unreadable *prometheus.GaugeVec
	cached     *prometheus.GaugeVec
	writes     *prometheus.CounterVec
	lag        prometheus.Histogram
	cross      *prometheus.CounterVec
}

// MetricDoc describes one metric for the docs.
type MetricDoc struct{ Name, Type, Help string }

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "guardrail_findings",
			Help: "Active findings by severity, rule and namespace (empty for cluster-scoped objects)."}, []string{"severity", "rule", "namespace"}),
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "guardrail_posture_score",
			Help: "Posture score 0-100 per namespace, as scan computes it for the namespace's objects."}, []string{"namespace"}),
		evaluation: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "guardrail_evaluation_seconds",
			Help: "Time of one evaluation pass over the cached objects.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{Name: "guardrail_last_pass_timestamp_seconds",
			Help: "Unix time of the last evaluation pass."}),
		partial: prometheus.NewGauge(prometheus.GaugeOpts{Name: "guardrail_partial",
			Help: "1 when some kind could not be read (findings may be missing), else 0."}),
		unreadable: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "guardrail_kind_unreadable",
			Help: "1 for a kind the watcher cannot list or watch (forbidden, not served, not yet listed)."}, []string{"resource"}),
		cached: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "guardrail_cached_objects",
			Help: "Objects in each informer's cache."}, []string{"resource"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "guardrail_change_to_evaluation_seconds",
			Help: "Time from the first change an informer delivered to the end of the evaluation that judged it (before reports are written).", Buckets: lagBuckets}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guardrail_report_writes_total",
			Help: "Report writes by result: created, updated, error."}, []string{"result"}),
		cross: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guardrail_cross_object_checks_total",
			Help: "Cross-object rule checks by result: cached (nothing the rule reads changed since the last pass) or run."}, []string{"result"}),
	}
	reg.MustRegister(m.findings, m.score, m.evaluation, m.lastPass, m.partial, m.unreadable, m.cached, m.writes, m.lag, m.cross)
	return m
}

// MetricDocs lists the metrics, for docs/metrics.md.
func MetricDocs() []MetricDoc {
	m := NewMetrics(prometheus.NewRegistry())
	var out []MetricDoc
	for _, c := range []prometheus.Collector{m.findings, m.score, m.evaluation, m.lastPass, m.partial, m.unreadable, m.cached, m.writes, m.lag, m.cross} {
		ch := make(chan *prometheus.Desc, 1)
		c.Describe(ch)
		d := (<-ch).String()
		out = append(out, MetricDoc{Name: between(d, `fqName: "`, `"`), Help: between(d, `help: "`, `"`), Type: metricType(c)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func metricType(c prometheus.Collector) string {
	switch c.(type) {
	case prometheus.Histogram:
		return "histogram"
	case *prometheus.CounterVec:
		return "counter"
	}
	return "gauge"
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

func (m *Metrics) write(result string) {
	if m != nil {
		m.writes.WithLabelValues(result).Inc()
	}
}

// lagBuckets bound change-to-evaluation: fine around the 2 s a change
// should take to be judged, so that a p99 can be told to be under it or
// not (doubling buckets put 2 s inside 1.28–2.56 s).
var lagBuckets = []float64{0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7.5, 10, 20, 40}

// observe publishes a pass's state.
func (m *Metrics) observe(st *State, sources []*source) {
	m.findings.Reset()
	m.score.Reset()
	// Counted first, then set once per label set: a label lookup per
	// finding was a tenth of a pass at 100,000 findings.
	type series struct {
		sev  api.Severity
		rule string
		ns   string
	}
	type object struct{ kind, ns, name string }
	counts := map[series]int{}
	worst := map[string]map[object]api.Severity{}
	for _, f := range st.Findings {
		if f.Suppressed != nil || f.Platform {
			continue
		}
		ns := f.Object.Namespace
		counts[series{f.Severity, f.RuleID, ns}]++
		if worst[ns] == nil {
			worst[ns] = map[object]api.Severity{}
		}
		k := object{f.Object.Kind, ns, f.Object.Name}
		if w, ok := worst[ns][k]; !ok || f.Severity > w {
			worst[ns][k] = f.Severity
		}
	}
	for k, n := range counts {
		m.findings.WithLabelValues(k.sev.String(), k.rule, k.ns).Set(float64(n))
	}
	for ns := range st.Namespaces {
		m.score.WithLabelValues(ns).Set(float64(engine.ScoreOf(st.Passed[ns]+len(worst[ns]), worst[ns])))
	}
	m.evaluation.Observe(st.Took.Seconds())
	m.cross.WithLabelValues("cached").Add(float64(st.CrossCached))
	m.cross.WithLabelValues("run").Add(float64(st.CrossRun))
	if st.Lag > 0 {
		m.lag.Observe(st.Lag.Seconds())
	}
	m.lastPass.Set(float64(st.At.Unix()))
	if st.Partial {
		m.partial.Set(1)
	} else {
		m.partial.Set(0)
	}
	for _, s := range sources {
		v := 0.0
		if s.lastErr() != nil {
			v = 1
		}
		m.unreadable.WithLabelValues(s.res.GVR.Resource).Set(v)
		// What the pass listed: a list of keys per kind and pass was
		// garbage of 20,000 strings.
		m.cached.WithLabelValues(s.res.GVR.Resource).Set(float64(s.listed.Load()))
	}
}

// MetricsMarkdown writes docs/metrics.md from the registered metrics.
func MetricsMarkdown() string {
	var b strings.Builder
	b.WriteString("# guardrail watch metrics\n\n")
	b.WriteString("Generated from `pkg/watch/metrics.go` (`go test ./pkg/watch -run MetricsDoc -update`). Every replica serves them at `--metrics-addr` `/metrics`, with the Go and process collectors; only the leader writes reports, so `guardrail_report_writes_total` grows on one replica.\n\n")
	b.WriteString("| metric | type | meaning |\n|---|---|---|\n")
	for _, d := range MetricDocs() {
		b.WriteString("| `" + d.Name + "` | " + d.Type + " | " + d.Help + " |\n")
	}
	return b.String()
}
