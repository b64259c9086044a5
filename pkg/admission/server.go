package admission

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"
)

// Limits are the transport limits, all in one place.
type Limits struct {
	// MaxBodyBytes bounds a request body (default MaxReviewBytes: what the
	// API server can send).
	MaxBodyBytes int64
	// MaxInFlight bounds concurrent reviews once their bodies are read;
	// more wait for a slot until their deadline (default 64).
	MaxInFlight int
	// MemoryBudget bounds the memory the reviews in flight may use
	// together, estimated from body sizes; a review waits for room until
	// its deadline (default half of the Go memory limit, or 512 MiB).
	MemoryBudget int64
	// DefaultTimeout applies when the API server passes no ?timeout (default 10s).
	DefaultTimeout time.Duration
}

// MaxReviewBytes is the largest AdmissionReview the API server sends: an
// object up to its 3 MiB request limit and the old object up to etcd's
// 1.5 MiB, each up to six times larger escaped, and the envelope.
const MaxReviewBytes = 6*(3<<20) + 6*(3<<19) + 1<<20

// reviewCost estimates the memory a review of a body of n bytes needs:
// the body, the decoded old and new objects and the findings (measured in
// BenchmarkReviewMemory).
func reviewCost(n int) int64 { return int64(n)*32 + 1<<20 }

func (l *Limits) defaults() {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = MaxReviewBytes
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 64
	}
	if l.MemoryBudget <= 0 {
		l.MemoryBudget = 512 << 20
		if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
			l.MemoryBudget = lim / 2
		}
	}
	if l.DefaultTimeout <= 0 {
		l.DefaultTimeout = 10 * time.Second
	}
}

// CertSource provides the serving certificate for each TLS handshake, so a
// renewed certificate is used without a restart.
type CertSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// Server serves the handler over HTTPS with /validate, /healthz, /readyz
// and /metrics.
type Server struct {
	Handler *Handler
	// Certs serves the TLS certificate: the webhook's own CA, or files
	// written by cert-manager.
	Certs  CertSource
	Limits Limits
	Log    *slog.Logger
	// Ready reports whether informer caches are synced; nil means ready.
	Ready func() bool
	// ShutdownDelay is how long the server keeps serving after its context
	// ends, with /readyz failing and every response closing its
	// connection, before it stops listening and drains. A deleted pod
	// leaves its Service's endpoints while it gets SIGTERM, and the nodes
	// learn it a moment later: a server that stopped listening at once
	// would refuse the API server's new connections meanwhile, and with
	// failurePolicy Fail those reviews are denials while a healthy
	// replica is up (kube-apiserver's --shutdown-delay-duration, for the
	// same reason).
	ShutdownDelay time.Duration

	inflight chan struct{}
	memory   *semaphore.Weighted
	metrics  *metrics
	srv      *http.Server
	started  atomic.Bool
	stopping atomic.Bool
}

type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   prometheus.Histogram
	decisions *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guardrail_webhook_requests_total", Help: "Admission requests by HTTP code."}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "guardrail_webhook_review_seconds", Help: "Time to review one request.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1}}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "guardrail_webhook_decisions_total", Help: "Findings by rule, mode and outcome."}, []string{"rule", "mode", "allowed"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.decisions, prometheus.NewGoCollector())
	return m
}

// Handler returns the HTTP mux (also used by tests without TLS).
func (s *Server) HTTPHandler() http.Handler {
	s.Limits.defaults()
	if s.inflight == nil {
		s.inflight = make(chan struct{}, s.Limits.MaxInFlight)
		s.memory = semaphore.NewWeighted(s.Limits.MemoryBudget)
		s.metrics = newMetrics()
	}
	if s.Log == nil {
		s.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	record := s.Handler.Record
	s.Handler.Record = func(d Decision) {
		for _, f := range d.Findings {
			s.metrics.decisions.WithLabelValues(f.RuleID, string(d.Mode), strconv.FormatBool(d.Allowed)).Inc()
		}
		if len(d.Findings) > 0 {
			s.Log.Info("review", "uid", d.UID, "kind", d.Kind, "namespace", d.Namespace, "name", d.Name, "mode", d.Mode,
				"allowed", d.Allowed, "findings", len(d.Findings), "elapsed", d.Elapsed)
		}
		if record != nil {
			record(d)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc(PathPrefix+"/", s.validate)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.stopping.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if s.Certs == nil || (s.Ready != nil && !s.Ready()) || s.Handler.Engine == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.stopping.Load() {
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	code := http.StatusOK
	defer func() { s.metrics.requests.WithLabelValues(strconv.Itoa(code)).Inc() }()
	hook, ok := HookFromPath(r.URL.Path)
	if !ok {
		code = http.StatusNotFound
		http.Error(w, "no such hook; the configuration `guardrail webhook install` renders names them", code)
		return
	}
	if r.Method != http.MethodPost {
		code = http.StatusMethodNotAllowed
		http.Error(w, "POST an AdmissionReview", code)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		code = http.StatusUnsupportedMediaType
		http.Error(w, "Content-Type must be application/json", code)
		return
	}
	// Spend at most half of the deadline the API server passes: the rest
	// is for the API server's own answer.
	timeout := s.Limits.DefaultTimeout
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
		timeout = t
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout/2)
	defer cancel()
	// The body is read before a slot is taken, so that clients sending
	// slowly hold only their own connections (bounded by the server's read
	// timeout), never the slots the API server's reviews need.
	body, err := readBody(w, r, s.Limits.MaxBodyBytes)
	if err != nil {
		code = http.StatusRequestEntityTooLarge
		http.Error(w, "request body too large or unreadable: "+err.Error(), code)
		return
	}
	cost := min(reviewCost(len(body)), s.Limits.MemoryBudget)
	if err := s.memory.Acquire(ctx, cost); err != nil {
		code = http.StatusTooManyRequests
		http.Error(w, "no memory free for the review before its deadline", code)
		return
	}
	released := false
	release := func() {
		if !released {
			released = true
			s.memory.Release(cost)
		}
	}
	select {
	case s.inflight <- struct{}{}:
	case <-ctx.Done():
		release()
		code = http.StatusTooManyRequests
		http.Error(w, "too many reviews in flight", code)
		return
	}
	start := time.Now()
	type result struct {
		out any
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The slot and the memory are held until the review really ends,
		// past a timeout too, so abandoned reviews cannot pile up.
		defer func() { <-s.inflight; release() }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: errors.New("internal error reviewing the request")}
				s.Log.Error("review panicked", "panic", p)
			}
		}()
		out, err := s.Handler.Review(ctx, hook, body)
		done <- result{out: out, err: err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res = result{err: ctx.Err()}
	}
	s.metrics.latency.Observe(time.Since(start).Seconds())
	if res.err != nil {
		if ctx.Err() != nil {
			code = http.StatusGatewayTimeout
			http.Error(w, "review took longer than half the API server's deadline", code)
			return
		}
		code = http.StatusBadRequest
		http.Error(w, res.err.Error(), code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res.out)
}

// Serve listens on addr with TLS 1.2+ (1.3 preferred by Go's defaults) and
// serves until ctx is done and ShutdownDelay has passed, then drains
// in-flight requests.
func (s *Server) Serve(ctx context.Context, addr string) error {
	h := s.HTTPHandler()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, IdleTimeout: 90 * time.Second, MaxHeaderBytes: 64 << 10, WriteTimeout: 30 * time.Second,
		TLSConfig:    &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.Certs.GetCertificate, NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}} // HTTP/1.1 only
	s.started.Store(true)
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		if s.ShutdownDelay > 0 {
			// Each response now closes its connection (the handler sets
			// Connection: close), so the API server reconnects through the
			// Service, elsewhere. Not SetKeepAlivesEnabled(false): it
			// closes idle connections at once, and a request the API
			// server is sending on one fails (it does not retry a POST).
			s.stopping.Store(true)
			select {
			case err := <-errc:
				return err
			case <-time.After(s.ShutdownDelay):
			}
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return s.srv.Shutdown(shutdown)
	}
}

// readBody reads the request body into a buffer sized from Content-Length
// (the API server always sends it), so that a large review costs its size
// once rather than the doublings of a growing buffer.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n > 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(body)
}
