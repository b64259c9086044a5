package admission

import (
	"context"
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// maximalPod is a pod with n containers, each with the findings a careless
// container has: as large a review as a pod creator can send.
func maximalPod(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"big"},"spec":{"containers":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"c%d","image":"nginx","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN","NET_RAW"]}},"ports":[{"containerPort":%d,"hostPort":%d}]}`, i, 1000+i%60000, 1000+i%60000)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// BenchmarkReviewMemory measures one review of a pod with 10,000
// containers: the bytes allocated and the heap it peaks at are what
// reviewCost must cover.
const benchContainers = 10000

func BenchmarkReviewMemory(b *testing.B) {
	h := handlerFor(b, "zero-trust", Enforce, api.SeverityHigh)
	body := reviewOf(b, maximalPod(benchContainers), "prod")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		out, err := h.Review(context.Background(), HookEnforce, body)
		if err != nil || out.Response.Allowed {
			b.Fatal("a maximal privileged pod must be denied", err)
		}
	}
	b.ReportMetric(float64(len(body))/1e6, "body-MB")
	peak := peakHeapDuring(func() { h.Review(context.Background(), HookEnforce, body) })
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(peak)/float64(len(body)), "peak/body")
	if cost := reviewCost(len(body)); cost < peak {
		b.Errorf("reviewCost(%d) = %d is below the measured peak %d", len(body), cost, peak)
	}
}

// peakHeapDuring samples the live heap while fn runs and returns the most
// it grew above where it started.
func peakHeapDuring(fn func()) int64 {
	runtime.GC()
	sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { rtmetrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	base := read()
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			if v := read() - base; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak.Load()
}

// TestDenialIsReadable: the denial of a pod with 10,000 privileged
// containers names its rules in a few kilobytes (it was 89 KB), and says
// how much it left out.
func TestDenialIsReadable(t *testing.T) {
	h := handlerFor(t, "zero-trust", Enforce, api.SeverityHigh)
	out, err := h.Review(context.Background(), HookEnforce, reviewOf(t, maximalPod(10000), "prod"))
	if err != nil || out.Response.Allowed {
		t.Fatal("denied expected", err)
	}
	msg := out.Response.Result.Message
	if len(msg) > 4096 || !strings.Contains(msg, "pss-privileged") || !strings.Contains(msg, "more bytes; guardrail scan shows all") {
		t.Errorf("denial of %d bytes: %.400s", len(msg), msg)
	}
	for _, w := range out.Response.Warnings {
		if len(w) > 512 {
			t.Errorf("warning of %d bytes", len(w))
		}
	}
}
