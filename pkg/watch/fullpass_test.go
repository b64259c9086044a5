package watch

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestFullPassRerunsEveryCrossObjectRule: a pass after a change answers
// most cross-object checks from the cache; the periodic full pass answers
// none from it (every cross-object rule runs on every object again, so a
// change the incremental passes missed is caught), and, nothing having
// changed, it rewrites no report.
func TestFullPassRerunsEveryCrossObjectRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := "team-full"
	f.namespace(t, ns)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := f.client.CoreV1().Pods(ns).Create(ctx, pod(name, name == "a"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	const period = 3 * time.Second
	w, _ := f.start(t, Options{Reports: true, FullPass: period})
	if !eventually(10*time.Second, func() bool { r, err := f.report(OpenReports, ns); return err == nil && r != nil }) {
		t.Fatal("no report")
	}
	// A change: the next pass reuses the cache.
	before := w.Passes()
	if _, err := f.client.CoreV1().Pods(ns).Patch(ctx, "b", types.MergePatchType, []byte(`{"metadata":{"labels":{"rev":"1"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool { return w.Passes() > before }) {
		t.Fatal("no pass after the change")
	}
	if st := w.State(); st.CrossCached == 0 {
		t.Errorf("the pass after one change answered nothing from the cache (run %d)", st.CrossRun)
	}
	versions := f.reportVersions(t)
	// Then only the timer: the full pass.
	after := w.Passes()
	var st *State
	if !eventually(3*period, func() bool {
		st = w.State()
		return w.Passes() > after && st.CrossCached == 0 && st.CrossRun > 0
	}) {
		t.Fatalf("no full pass in %s: the last pass had %d checks from the cache, %d run", 3*period, st.CrossCached, st.CrossRun)
	}
	if got := f.reportVersions(t); got != versions {
		t.Errorf("the full pass rewrote reports: %s -> %s", versions, got)
	}
}
