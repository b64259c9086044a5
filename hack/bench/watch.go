package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// benchWatch measures `guardrail watch` as its own process, the way it
// runs in a cluster: the shape (10,000 pods, 10,000 RoleBindings,
// 1,000 NetworkPolicies in 100 namespaces) is loaded first, then the
// watcher starts with reports on. It reports the time to the first full
// pass (/readyz), the resident memory once settled (total and anonymous,
// sampled from /proc), and, over churn of 50 pod relabels per second, the
// memory at its start and end and the p99 of the watcher's own
// change-to-evaluation histogram.
func benchWatch(bin string, settle, churn time.Duration, heapProfile string, perOwner int) {
	ctx := context.Background()
	tc, client, stop := startCluster(ctx)
	defer stop()
	crds, _ := filepath.Glob("deploy/crds/*.yaml")
	check(tc.CreateCRDs(ctx, crds...))
	start := time.Now()
	const pods, namespaces = 10000, 100
	check(load(ctx, client, pods, namespaces, 10000, 1000, 0, perOwner))
	owned, objects := "bare", pods+10000+1000+2*namespaces
	if perOwner > 0 {
		objects += namespaces * ((pods/namespaces + perOwner - 1) / perOwner)
		owned = fmt.Sprintf("owned by ReplicaSets of %d", perOwner)
	}
	fmt.Printf("loaded %d pods (%s) in %d namespaces, 10000 role bindings, 1000 network policies in %.1f s\n\n", pods, owned, namespaces, time.Since(start).Seconds())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"watch", "--kubeconfig", tc.Kubeconfig, "--metrics-addr", addr, "--events=false"}
	if heapProfile != "" {
		args = append(args, "--profiling")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start = time.Now()
	check(cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	var peakAnon, peakRSS int64
	sample := func() (rss, anon int64) {
		rss, anon = procKiB(status, "VmRSS:"), procKiB(status, "RssAnon:")
		peakRSS, peakAnon = max(peakRSS, rss), max(peakAnon, anon)
		return rss, anon
	}
	for !ready("http://" + addr + "/readyz") {
		sample()
		if time.Since(start) > 5*time.Minute {
			check(fmt.Errorf("the watcher was not ready after 5 minutes"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	firstPass := time.Since(start)
	deadline := time.Now().Add(settle)
	var settledRSS, settledAnon int64
	for time.Now().Before(deadline) {
		settledRSS, settledAnon = sample()
		time.Sleep(time.Second)
	}
	heap, _ := scrape("http://"+addr+"/metrics", "go_memstats_heap_alloc_bytes")
	if heapProfile != "" {
		check(fetch("http://"+addr+"/debug/pprof/heap?gc=1", heapProfile))
		fmt.Printf("heap profile (after a collection): %s\n\n", heapProfile)
	}
	findings, _ := scrape("http://"+addr+"/metrics", "guardrail_findings")
	fmt.Println("| objects | findings | first full pass | peak RSS (anonymous) | settled RSS (anonymous) | Go heap (allocated) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	fmt.Printf("| %d | %.0f | %.1f s | %.0f MB (%.0f MB) | %.0f MB (%.0f MB) | %.0f MB |\n\n", objects, findings, firstPass.Seconds(),
		mb(peakRSS), mb(peakAnon), mb(settledRSS), mb(settledAnon), heap/(1<<20))
	if churn <= 0 {
		return
	}
	beforeRSS, beforeAnon := sample()
	end := time.Now().Add(churn)
	tick := time.NewTicker(time.Second / 50)
	defer tick.Stop()
	changes := 0
	var errs int
	for time.Now().Before(end) {
		<-tick.C
		i := changes % pods
		patch := fmt.Sprintf(`{"metadata":{"labels":{"rev":"r%d"}}}`, changes)
		if err := relabel(ctx, client, fmt.Sprintf("team-%03d", i%namespaces), fmt.Sprintf("pod-%d", i), patch); err != nil {
			errs++
		}
		changes++
		if changes%50 == 0 {
			sample()
		}
	}
	time.Sleep(3 * time.Second)
	afterRSS, afterAnon := sample()
	p99, err := histogramQuantile("http://"+addr+"/metrics", "guardrail_change_to_evaluation_seconds", 0.99)
	check(err)
	if heapProfile != "" {
		// Against the settled profile (pprof -base), what the churn allocated.
		check(fetch("http://"+addr+"/debug/pprof/heap?gc=1", heapProfile+".churn"))
		fmt.Printf("heap profile after the churn: %s.churn\n\n", heapProfile)
	}
	fmt.Println("| changes | rate | p99 change to evaluation (histogram bucket) | RSS before → after (anonymous) | failed writes |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	fmt.Printf("| %d | 50/s for %s | ≤ %.2f s | %.0f → %.0f MB (%.0f → %.0f MB) | %d |\n", changes, churn, p99,
		mb(beforeRSS), mb(afterRSS), mb(beforeAnon), mb(afterAnon), errs)
}

func relabel(ctx context.Context, c kubernetes.Interface, ns, name, patch string) error {
	_, err := c.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// fetch writes what url serves to file.
func fetch(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mb(kib int64) float64 { return float64(kib) / 1024 }

func ready(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// procKiB reads one "Field: N kB" line of /proc/PID/status.
func procKiB(status, field string) int64 {
	f, err := os.Open(status)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// scrape sums the samples of one metric (all label sets) in Prometheus'
// text format.
func scrape(url, name string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// histogramQuantile returns the upper bound of the bucket holding quantile
// q of a Prometheus histogram scraped in text format: an upper bound, as
// Prometheus' histogram_quantile would interpolate inside the bucket.
func histogramQuantile(url, name string, q float64) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	type bucket struct{ le, count float64 }
	var buckets []bucket
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, value, _ := strings.Cut(rest, `"} `)
		b := bucket{le: math.Inf(1)}
		if le != "+Inf" {
			b.le, _ = strconv.ParseFloat(le, 64)
		}
		b.count, _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
		buckets = append(buckets, b)
	}
	if len(buckets) == 0 || buckets[len(buckets)-1].count == 0 {
		return 0, fmt.Errorf("%s: no observations at %s", name, url)
	}
	total := buckets[len(buckets)-1].count
	for _, b := range buckets {
		if b.count >= q*total {
			return b.le, nil
		}
	}
	return math.Inf(1), nil
}
