// Command bench measures `guardrail scan` end to end on generated corpora:
// wall time and peak resident memory of the real binary, per corpus size;
// with -cluster, `guardrail scan --live` on the test control plane loaded
// with 10,000 pods in 500 namespaces, 2,000 role bindings, 1,000 network
// policies and 2,000 services; with -watch, `guardrail watch` as its own
// process on the watch target's cluster shape.
//
//	go run ./hack/bench -sizes 1000,10000,12000,100000
//	go run ./hack/bench -cluster
//	go run ./hack/bench -watch -churn 10m
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
)

func main() {
	sizes := flag.String("sizes", "1000,10000,12000,100000", "corpus sizes (objects), comma-separated")
	runs := flag.Int("runs", 3, "runs per size; the median is reported")
	profile := flag.String("profile", "zero-trust", "rule profile")
	bin := flag.String("bin", "", "guardrail binary (default: build one)")
	keep := flag.String("dir", "", "corpus directory to reuse (default: a temporary one)")
	live := flag.Bool("cluster", false, "benchmark `guardrail scan --live` on the test control plane instead (needs hack/build-control-plane.sh)")
	watch := flag.Bool("watch", false, "benchmark `guardrail watch` as its own process on the test control plane instead")
	settle := flag.Duration("settle", time.Minute, "with -watch: how long to sample memory after the first full pass")
	churn := flag.Duration("churn", time.Minute, "with -watch: how long to relabel 50 pods per second after settling (0 for none)")
	heapProfile := flag.String("heap-profile", "", "with -watch: write the watcher's heap profile (after a collection) to FILE once settled")
	perOwner := flag.Int("pods-per-owner", 0, "with -watch: pods per ReplicaSet that owns them, as a Deployment's are (0: bare pods, each judged on its own: the most findings)")
	flag.Parse()

	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "guardrail-bench")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	if *bin == "" {
		*bin = filepath.Join(dir, "guardrail")
		build := exec.Command("go", "build", "-tags", "kustomize_disable_go_plugin_support", "-trimpath", "-ldflags", "-s -w", "-o", *bin, "./cmd/guardrail")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		check(build.Run())
	}
	fmt.Printf("machine: %s, %d cores, %s\n\n", cpuModel(), runtime.NumCPU(), runtime.Version())
	if *watch {
		benchWatch(*bin, *settle, *churn, *heapProfile, *perOwner)
		return
	}
	if *live {
		benchCluster(*bin, *runs, 10000, 500, 2000, 1000, 2000)
		return
	}
	fmt.Println("| objects | YAML | wall (median) | peak RSS | peak anonymous RSS | objects/s |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		cdir := filepath.Join(dir, fmt.Sprintf("corpus-%d", n))
		size := dirSize(cdir)
		if size == 0 {
			size, err = corpus.New(1).WriteDir(cdir, n)
			check(err)
		}
		var walls []time.Duration
		var rss, anon int64
		for r := 0; r < *runs; r++ {
			cmd := exec.Command(*bin, "scan", "-o", "json", "--fail-on", "none", "--profile", *profile, cdir)
			devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			cmd.Stdout, cmd.Stderr = devnull, os.Stderr
			start := time.Now()
			a, err := runMeasured(cmd)
			walls = append(walls, time.Since(start))
			anon = max(anon, a)
			devnull.Close()
			check(err)
			if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = max(rss, u.Maxrss) // KiB on Linux
			}
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		med := walls[len(walls)/2]
		fmt.Printf("| %d | %.1f MB | %.2f s | %.0f MB | %.0f MB | %.0f |\n", n, float64(size)/1e6, med.Seconds(), float64(rss)/1024, float64(anon)/1024, float64(n)/med.Seconds())
	}
}

func dirSize(dir string) int64 {
	var total int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
