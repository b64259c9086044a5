package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The virtual resource a user needs "get" on, per namespace (or cluster
// wide for cluster-scoped findings and everything), to see a report:
//
//	kind: ClusterRole
//	rules: [{apiGroups: [guardrail.dev], resources: [reports], verbs: [get]}]
const (
	Group    = "guardrail.dev"
	Resource = "reports"
	Verb     = "get"
)

// Authorizer checks bearer tokens and what their users may see.
type Authorizer struct {
	Client kubernetes.Interface
	// TTL caches answers (default 10 s), so a page load is not dozens of reviews.
	TTL time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	at   time.Time
	user authnv1.UserInfo
	ok   bool
	ns   map[string]bool
}

// errUnauthenticated is a missing or rejected token.
var errUnauthenticated = errors.New("unauthenticated")

// Token reads the bearer token of a request: the Authorization header,
// or the cookie a ?token= visit set.
func Token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value
	}
	return ""
}

const cookieName = "guardrail-token"

// Authenticate returns the token's user (TokenReview).
func (a *Authorizer) Authenticate(ctx context.Context, token string) (authnv1.UserInfo, error) {
	if token == "" {
		return authnv1.UserInfo{}, errUnauthenticated
	}
	if c, ok := a.lookup(token); ok {
		if !c.ok {
			return authnv1.UserInfo{}, errUnauthenticated
		}
		return c.user, nil
	}
	tr, err := a.Client.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return authnv1.UserInfo{}, err // the API server is unreachable: not the user's fault, and not a pass
	}
	a.store(token, cached{at: time.Now(), user: tr.Status.User, ok: tr.Status.Authenticated})
	if !tr.Status.Authenticated {
		return authnv1.UserInfo{}, errUnauthenticated
	}
	return tr.Status.User, nil
}

// Allowed returns the namespaces (of those given) the user may see, and
// whether they may see cluster-wide (then every namespace).
func (a *Authorizer) Allowed(ctx context.Context, token string, u authnv1.UserInfo, namespaces []string) (map[string]bool, bool, error) {
	c, _ := a.lookup(token)
	if c.ns != nil {
		return c.ns, c.ns[""], nil
	}
	review := func(ns string) (bool, error) {
		extra := map[string]authzv1.ExtraValue{}
		for k, v := range u.Extra {
			extra[k] = authzv1.ExtraValue(v)
		}
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: u.Username, Groups: u.Groups, UID: u.UID, Extra: extra,
			ResourceAttributes: &authzv1.ResourceAttributes{Group: Group, Resource: Resource, Verb: Verb, Namespace: ns}}}
		res, err := a.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return res.Status.Allowed, nil
	}
	out := map[string]bool{}
	all, err := review("")
	if err != nil {
		return nil, false, err
	}
	out[""] = all
	for _, ns := range namespaces {
		if ns == "" {
			continue
		}
		if all {
			out[ns] = true
			continue
		}
		ok, err := review(ns)
		if err != nil {
			return nil, false, err
		}
		out[ns] = ok
	}
	c.ns = out
	a.store(token, c)
	return out, all, nil
}

func (a *Authorizer) lookup(token string) (cached, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ttl := a.TTL
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	c, ok := a.cache[token]
	if !ok || time.Since(c.at) > ttl {
		return cached{}, false
	}
	return c, true
}

func (a *Authorizer) store(token string, c cached) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil {
		a.cache = map[string]cached{}
	}
	if len(a.cache) > 10000 {
		a.cache = map[string]cached{}
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	a.cache[token] = c
}
