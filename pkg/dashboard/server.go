package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/report"
)

// Snapshot is what the dashboard shows: the latest result and its context.
type Snapshot func() (*engine.Result, report.Context, bool)

// Server serves the report page, its scripts and a JSON API.
type Server struct {
	Snapshot Snapshot
	// Auth checks every request; nil only with --insecure-no-auth.
	Auth    *Authorizer
	Version string
	Logger  *slog.Logger
}

// CheckAddress refuses to serve without authentication anywhere but
// loopback, and to take bearer tokens over plain HTTP off loopback: a
// viewer's token would cross the network in clear. Behind TLS any address
// is fine; without it, serve on 127.0.0.1 and reach it with kubectl
// port-forward, which connects inside the pod.
func CheckAddress(addr string, noAuth, tls bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %v", addr, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || ip != nil && ip.IsLoopback()
	switch {
	case noAuth && !loopback:
		return errors.New("--insecure-no-auth serves the report to anyone who can connect: it is only allowed on a loopback address (127.0.0.1:PORT)")
	case !tls && !loopback:
		return fmt.Errorf("%s is not a loopback address: viewers' bearer tokens would cross the network in plain HTTP; give the TLS certificate and key files, or serve on 127.0.0.1 and use kubectl port-forward", addr)
	}
	return nil
}

// Handler is the dashboard's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for path, a := range report.Assets() {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", a.ContentType)
			w.Write([]byte(a.Body))
		})
	}
	mux.HandleFunc("/api/report", s.authorized(func(w http.ResponseWriter, r *http.Request, res *engine.Result, c report.Context) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"summary": res.Summary, "findings": res.Findings, "suppressed": res.Suppressed})
	}))
	mux.HandleFunc("/", s.authorized(func(w http.ResponseWriter, r *http.Request, res *engine.Result, c report.Context) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		var buf bytes.Buffer
		if err := report.ServedPage(&buf, res, c, s.Version); err != nil {
			http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return headers(mux)
}

// headers sets the security headers on every response.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", report.ServedCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized authenticates the request, keeps only what the user may
// see, and calls h; 401 without a valid token, 403 when nothing is allowed.
func (s *Server) authorized(h func(http.ResponseWriter, *http.Request, *engine.Result, report.Context)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// A browser cannot send a header on navigation: ?token= once sets
		// an HttpOnly, SameSite=Strict cookie and redirects without it.
		if t := r.URL.Query().Get("token"); t != "" {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			q := r.URL.Query()
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
		res, c, ok := s.Snapshot()
		if !ok {
			http.Error(w, "no scan yet", http.StatusServiceUnavailable)
			return
		}
		if s.Auth == nil {
			h(w, r, res, c)
			return
		}
		token := Token(r)
		user, err := s.Auth.Authenticate(r.Context(), token)
		if err != nil {
			if errors.Is(err, errUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="guardrail"`)
				http.Error(w, "Unauthorized: send a Kubernetes bearer token (Authorization: Bearer TOKEN, or ?token= once)", http.StatusUnauthorized)
				return
			}
			http.Error(w, "cannot review the token: "+err.Error(), http.StatusBadGateway)
			return
		}
		nsSet := map[string]bool{}
		for _, f := range append(append([]api.Finding{}, res.Findings...), res.Suppressed...) {
			nsSet[f.Object.Namespace] = true
		}
		for ns := range c.ObjectsPerNamespace {
			nsSet[ns] = true
		}
		var nss []string
		for ns := range nsSet {
			nss = append(nss, ns)
		}
		sort.Strings(nss)
		allowed, all, err := s.Auth.Allowed(r.Context(), token, user, nss)
		if err != nil {
			http.Error(w, "cannot review access: "+err.Error(), http.StatusBadGateway)
			return
		}
		any := all
		for _, ok := range allowed {
			any = any || ok
		}
		if !any {
			http.Error(w, fmt.Sprintf("Forbidden: %s may not get %s.%s in any namespace", user.Username, Resource, Group), http.StatusForbidden)
			return
		}
		if !all {
			res, c = filter(res, c, allowed)
		}
		h(w, r, res, c)
	}
}

// filter keeps the findings, namespaces and network edges of the allowed
// namespaces (cluster-scoped ones need cluster-wide access).
func filter(res *engine.Result, c report.Context, allowed map[string]bool) (*engine.Result, report.Context) {
	out := &engine.Result{Rules: res.Rules, Summary: res.Summary}
	keep := func(fs []api.Finding) []api.Finding {
		var k []api.Finding
		for _, f := range fs {
			if f.Object.Namespace != "" && allowed[f.Object.Namespace] {
				k = append(k, f)
			}
		}
		return k
	}
	out.Findings, out.Suppressed = keep(res.Findings), keep(res.Suppressed)
	out.Summary = engine.Summary{Checks: res.Summary.Checks, Partial: res.Summary.Partial}
	for _, f := range out.Findings {
		switch f.Severity {
		case api.SeverityCritical:
			out.Summary.Critical++
		case api.SeverityHigh:
			out.Summary.High++
		case api.SeverityMedium:
			out.Summary.Medium++
		case api.SeverityLow:
			out.Summary.Low++
		default:
			out.Summary.Info++
		}
	}
	nc := report.Context{Source: c.Source, ObjectsPerNamespace: map[string]int{}}
	for ns, n := range c.ObjectsPerNamespace {
		if allowed[ns] {
			nc.ObjectsPerNamespace[ns] = n
		}
	}
	return out, nc // the network crosses namespaces: shown only with cluster-wide access
}
