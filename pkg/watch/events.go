package watch

import (
	"context"
	"fmt"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// events posts one Kubernetes Event on the object of each new finding at
// or above a severity: once per finding (a finding restored from the
// reports after a restart is not new), at most rate per second.
type events struct {
	client  kubernetes.Interface
	min     api.Severity
	limiter *rate.Limiter
	posted  map[string]bool
	dropped int
}

// EventReason is the reason of the watcher's Events.
const EventReason = "GuardrailFinding"

func (e *events) post(ctx context.Context, fs []*Tracked, isNew func(*Tracked) bool) {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.Fingerprint] = true
		if f.Suppressed != nil || f.Platform || f.Severity < e.min || e.posted[f.Fingerprint] || !isNew(f) {
			continue
		}
		e.posted[f.Fingerprint] = true
		if !e.limiter.Allow() {
			e.dropped++
			continue
		}
		ns := f.Object.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault // cluster-scoped objects' Events live in default, as kubectl shows them
		}
		now := metav1.NewTime(time.Now())
		ev := &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "guardrail-", Namespace: ns},
			InvolvedObject: corev1.ObjectReference{APIVersion: f.Object.APIVersion, Kind: f.Object.Kind, Namespace: f.Object.Namespace,
				Name: f.Object.Name, UID: types.UID(f.Object.UID), FieldPath: f.Field},
			Reason: EventReason, Type: corev1.EventTypeWarning,
			Message:        clip(fmt.Sprintf("%s (%s): %s", f.RuleID, f.Severity, f.Message), 1024),
			Source:         corev1.EventSource{Component: "guardrail-watch"},
			FirstTimestamp: now, LastTimestamp: now, Count: 1,
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, _ = e.client.CoreV1().Events(ns).Create(rctx, ev, metav1.CreateOptions{})
		cancel()
	}
	for fp := range e.posted {
		if !seen[fp] {
			delete(e.posted, fp) // gone: if it comes back it is new again
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
