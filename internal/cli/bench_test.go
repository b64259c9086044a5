package cli

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
)

// BenchmarkScan12k measures the whole `guardrail scan` of 12,000 generated
// objects (about 20 MB of YAML) with the zero-trust profile and JSON output.
// `go run ./hack/bench` measures the real binary's wall time and peak RSS.
func BenchmarkScan12k(b *testing.B) {
	dir := b.TempDir()
	if _, err := corpus.New(1).WriteDir(dir, 12000); err != nil {
		b.Fatal(err)
	}
	streams := IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := Execute([]string{"scan", "-o", "json", "--fail-on", "none", dir}, streams); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkScanDir scans the corpus directory named by GUARDRAIL_BENCH_DIR
// (for example one `go run ./hack/corpusgen -n 100000` wrote), to profile
// large inputs; it is skipped without it.
func BenchmarkScanDir(b *testing.B) {
	dir := os.Getenv("GUARDRAIL_BENCH_DIR")
	if dir == "" {
		b.Skip("set GUARDRAIL_BENCH_DIR to a corpus directory")
	}
	streams := IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
	for i := 0; i < b.N; i++ {
		if code := Execute([]string{"scan", "-o", "json", "--fail-on", "none", dir}, streams); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
