package manifest

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWarningFlood loads a million documents that are not Kubernetes
// objects (a million identical warnings) and reports the peak heap in use
// while loading: the warning cap works while results stream in, so the
// warnings never sit in memory at once (issue 16).
func BenchmarkWarningFlood(b *testing.B) {
	input := strings.Repeat("a: 1\n---\n", 1_000_000)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}()
		res := NewLoader(WithStdin(strings.NewReader(input))).Load([]string{"-"})
		close(stop)
		<-done
		if len(res.Problems) != MaxRepeatedWarnings {
			b.Fatalf("%d problems", len(res.Problems))
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	}
}
