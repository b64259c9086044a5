package watch

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
)

// source is one informer on one kind of the kinds table, and whether it
// can currently be read.
type source struct {
	res      cluster.Resource
	informer cache.SharedIndexInformer
	mu       sync.Mutex
	err      error  // the last list/watch error, nil once it lists again
	errRV    string // the informer's last synced version when err was set
	// listed is how many objects the last pass listed (the metrics).
	listed atomic.Int64
}

func (s *source) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.errRV = s.informer.LastSyncResourceVersion()
	s.mu.Unlock()
}

// lastErr is the error that keeps the kind from being read, cleared once
// the informer has listed again (its synced version moved).
func (s *source) lastErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil && s.informer.HasSynced() && s.informer.LastSyncResourceVersion() != s.errRV {
		s.err = nil
	}
	if s.err == nil && !s.informer.HasSynced() {
		return errNotSynced
	}
	return s.err
}

// managers remembers, per object UID, the field manager and time of its
// latest change, read from managedFields before the transform drops them.
type managers struct {
	mu sync.Mutex
	m  map[string]change
}

type change struct {
	manager string
	at      time.Time
}

func (m *managers) get(uid string) change {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[uid]
}

// forget drops a deleted object's entry: a cluster's pods come and go,
// and what is remembered of each must go with it.
func (m *managers) forget(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	uid := uidOf(obj)
	if uid == "" {
		return
	}
	m.mu.Lock()
	delete(m.m, uid)
	m.mu.Unlock()
}

// transform slims an object before it is cached: managedFields are
// dropped (the largest part of most objects and read by no rule), after
// their latest entry is noted for drift attribution, and so is the status
// no rule reads (see slimStatus).
func (m *managers) transform(obj any) (any, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil // a tombstone or a non-object: cached as it is
	}
	var latest change
	for _, mf := range acc.GetManagedFields() {
		if mf.Time != nil && (latest.at.IsZero() || mf.Time.After(latest.at)) {
			latest = change{manager: mf.Manager, at: mf.Time.Time}
		}
	}
	if latest.manager != "" {
		m.mu.Lock()
		m.m[string(acc.GetUID())] = latest
		m.mu.Unlock()
	}
	acc.SetManagedFields(nil)
	slimStatus(obj)
	// Typed objects come without apiVersion and kind; the rules read
	// them. Set here, once, the cached object is what a pass judges, with
	// no copy (the engine does not modify its input, see
	// engine.TestRulesDoNotModifyTheirInput).
	if ro, ok := obj.(runtime.Object); ok {
		if gvks, _, err := scheme.Scheme.ObjectKinds(ro); err == nil && len(gvks) > 0 {
			ro.GetObjectKind().SetGroupVersionKind(gvks[0])
		}
	}
	return obj, nil
}

// slimStatus drops what the kubelet and the controllers write into status
// that nothing in Guardrail reads: of a Pod only its addresses are kept
// (the network rules match them against ipBlocks), of a Node its addresses
// and versions (the kubelet and node rules), and a workload controller's
// status goes entirely. A real cluster's pod status (conditions, container
// statuses) is often larger than its spec. The live scan reads the same
// fields from full objects, and the watch-equals-scan test compares both.
func slimStatus(obj any) {
	switch o := obj.(type) {
	case *corev1.Pod:
		o.Status = corev1.PodStatus{Phase: o.Status.Phase, PodIP: o.Status.PodIP, PodIPs: o.Status.PodIPs}
	case *corev1.Node:
		o.Status = corev1.NodeStatus{Addresses: o.Status.Addresses, NodeInfo: o.Status.NodeInfo}
	case *appsv1.Deployment:
		o.Status = appsv1.DeploymentStatus{}
	case *appsv1.ReplicaSet:
		o.Status = appsv1.ReplicaSetStatus{}
	case *appsv1.StatefulSet:
		o.Status = appsv1.StatefulSetStatus{}
	case *appsv1.DaemonSet:
		o.Status = appsv1.DaemonSetStatus{}
	case *batchv1.Job:
		o.Status = batchv1.JobStatus{}
	case *batchv1.CronJob:
		o.Status = batchv1.CronJobStatus{}
	case *corev1.ReplicationController:
		o.Status = corev1.ReplicationControllerStatus{}
	}
}

// newSources makes one informer per kind of the kinds table; Secrets only
// with includeSecrets (as `scan --live`: their values are what they are).
func newSources(client kubernetes.Interface, includeSecrets bool, m *managers, onChange func()) (informers.SharedInformerFactory, []*source, []string, error) {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(m.transform))
	var out []*source
	var skipped []string
	for _, r := range cluster.Resources {
		if r.Sensitive && !includeSecrets {
			skipped = append(skipped, r.GVR.Resource+": not watched without --include-secrets")
			continue
		}
		gi, err := factory.ForResource(r.GVR)
		if err != nil {
			return nil, nil, nil, err
		}
		s := &source{res: r, informer: gi.Informer()}
		_ = s.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) {
				s.setErr(err)
				onChange()
			}
		})
		_, _ = s.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { onChange() },
			UpdateFunc: func(a, b any) { onChange() },
			DeleteFunc: func(obj any) { m.forget(obj); onChange() },
		})
		out = append(out, s)
	}
	return factory, out, skipped, nil
}

// errNotSynced is the state of a kind whose first list has not finished.
var errNotSynced = errors.New("not listed yet")

// uidOf returns an object's UID, or "".
func uidOf(obj any) string {
	if o, ok := obj.(metav1.Object); ok {
		return string(o.GetUID())
	}
	return ""
}
