package watch

import (
	"context"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election is leader election on a coordination.k8s.io Lease, so only one
// replica writes reports while every replica evaluates and serves metrics.
type Election struct {
	leading atomic.Bool
	// Lease timings; defaults 15 s, 10 s, 2 s (client-go's usual).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Leading reports whether this replica holds the Lease.
func (e *Election) Leading() bool { return e.leading.Load() }

// Run campaigns for the Lease namespace/name as identity until ctx ends;
// onLead is called each time this replica starts leading.
func (e *Election) Run(ctx context.Context, client kubernetes.Interface, namespace, name, identity string, onLead func()) error {
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, namespace, name, client.CoreV1(), client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: identity})
	if err != nil {
		return err
	}
	ld, rd, rp := e.LeaseDuration, e.RenewDeadline, e.RetryPeriod
	if ld == 0 {
		ld, rd, rp = 15*time.Second, 10*time.Second, 2*time.Second
	}
	for ctx.Err() == nil {
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock: lock, LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp, ReleaseOnCancel: true,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) {
					e.leading.Store(true)
					if onLead != nil {
						onLead()
					}
				},
				OnStoppedLeading: func() { e.leading.Store(false) },
			},
		})
	}
	return nil
}
