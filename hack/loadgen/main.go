// Command loadgen measures the admission webhook under a fixed request rate,
// bounded in count and time, on loopback only:
//
//	go run ./hack/loadgen -rate 1000 -duration 60s
//	go run ./hack/loadgen -apiserver 500   # latency added to pod creates, through the test control plane
//	go run ./hack/loadgen -maximal 16      # peak RSS under 16 concurrent reviews of 10,000-container pods
//
// It starts `guardrail webhook --standalone` as its own process, sends
// AdmissionReviews for a mix of clean and privileged pods, and reports
// client-side latency percentiles, errors, the server's latency histogram
// and the server process's resident memory over time.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send (at most 10m)")
	bin := flag.String("bin", "", "guardrail binary (default: build one)")
	apiserver := flag.Int("apiserver", 0, "instead: create this many pods through the test control plane with and without the webhook and compare latency")
	maximal := flag.Int("maximal", 0, "instead: send this many concurrent reviews of 10,000-container pods, three rounds, with the server limited as the shipped Deployment is (GOMEMLIMIT 90% of -limit-mib), and report its peak RSS")
	limitMiB := flag.Int("limit-mib", 256, "the container memory limit to model for -maximal (the shipped Deployment's)")
	flag.Parse()
	if *duration > 10*time.Minute {
		*duration = 10 * time.Minute
	}
	dir, _ := os.MkdirTemp("", "loadgen")
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "guardrail")
		b := exec.Command("go", "build", "-tags", "kustomize_disable_go_plugin_support", "-trimpath", "-ldflags", "-s -w", "-o", *bin, "./cmd/guardrail")
		b.Stdout, b.Stderr = os.Stdout, os.Stderr
		check(b.Run())
	}
	if *apiserver > 0 {
		apiServerOverhead(*bin, *apiserver)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	server := exec.Command(*bin, "webhook", "--standalone", "--listen", addr, "--default-mode", "enforce")
	server.Stderr = io.Discard
	if *maximal > 0 {
		server.Env = append(os.Environ(), fmt.Sprintf("GOMEMLIMIT=%dMiB", *limitMiB*9/10))
	}
	check(server.Start())
	defer server.Process.Kill()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	url := "https://" + addr + "/validate/default?timeout=10s"
	for i := 0; ; i++ {
		if r, err := client.Get("https://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if i > 100 {
			check(fmt.Errorf("webhook did not start"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if *maximal > 0 {
		maximalReviews(client, url, server.Process.Pid, *maximal, *limitMiB)
		return
	}
	bodies := [][]byte{review(false), review(true)}
	total := int(float64(*rate) * duration.Seconds())
	lat := make([]time.Duration, total)
	var errs, sent atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int, 1024)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				start := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[i%2]))
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs.Add(1)
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	var rss []int64
	stopSampling := make(chan struct{})
	go func() {
		for t := time.NewTicker(time.Second); ; {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				rss = append(rss, rssKB(server.Process.Pid))
			}
		}
	}()
	interval := time.Second / time.Duration(*rate)
	begin := time.Now()
	for i := 0; i < total; i++ {
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		work <- i
		sent.Add(1)
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(begin)
	close(stopSampling)
	metrics := scrape(client, "https://"+addr+"/metrics")

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("sent %d requests in %.1f s (%.0f/s), %d errors\n", sent.Load(), elapsed.Seconds(), float64(sent.Load())/elapsed.Seconds(), errs.Load())
	fmt.Printf("client-side latency over loopback TLS: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", ms(pct(.5)), ms(pct(.99)), ms(lat[len(lat)-1]))
	fmt.Printf("server-side review time p99 (histogram bucket): <= %s\n", histogramP99(metrics))
	if len(rss) > 0 {
		maxRSS := int64(0)
		for _, v := range rss {
			maxRSS = max(maxRSS, v)
		}
		fmt.Printf("server RSS: first %d MB, last %d MB, max %d MB over %d samples\n", rss[0]/1024, rss[len(rss)-1]/1024, maxRSS/1024, len(rss))
	}
}

func review(privileged bool) []byte {
	sc := `{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}`
	if privileged {
		sc = `{"privileged":true}`
	}
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"load","labels":{"app":"web"}},"spec":{"serviceAccountName":"web","automountServiceAccountToken":false,` +
		`"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"runAsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"}},` +
		`"containers":[{"name":"web","image":"registry.example.com/web:1.2.3@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",` +
		`"env":[{"name":"LOG_LEVEL","value":"info"}],"securityContext":` + sc + `}]}}`
	b, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": map[string]any{
		"uid": "1", "kind": map[string]string{"version": "v1", "kind": "Pod"}, "namespace": "load", "operation": "CREATE", "object": json.RawMessage(pod)}})
	return b
}

func rssKB(pid int) int64 { return statusKB(pid, "VmRSS:") }

func statusKB(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), field) {
			v, _ := strconv.ParseInt(strings.Fields(sc.Text())[1], 10, 64)
			return v
		}
	}
	return 0
}

func scrape(c *http.Client, url string) string {
	r, err := c.Get(url)
	if err != nil {
		return ""
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// histogramP99 returns the smallest bucket bound holding 99% of reviews.
func histogramP99(metrics string) string {
	var bounds []string
	var counts []float64
	var total float64
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "guardrail_webhook_review_seconds_bucket{le=\"") {
			le := l[len("guardrail_webhook_review_seconds_bucket{le=\""):strings.Index(l, "\"}")]
			v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			bounds, counts = append(bounds, le), append(counts, v)
		}
		if strings.HasPrefix(l, "guardrail_webhook_review_seconds_count ") {
			total, _ = strconv.ParseFloat(strings.Fields(l)[1], 64)
		}
	}
	for i, c := range counts {
		if c >= 0.99*total {
			return bounds[i] + " s"
		}
	}
	return "n/a"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// maximalReviews sends n concurrent reviews of a 10,000-container
// privileged pod, three rounds, and reports the answers and the server's
// peak RSS (VmHWM).
func maximalReviews(client *http.Client, url string, pid, n, limitMiB int) {
	var b strings.Builder
	b.WriteString(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"big","namespace":"load"},"spec":{"containers":[`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"c%d","image":"nginx","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN","NET_RAW"]}},"ports":[{"containerPort":%d,"hostPort":%d}]}`, i, 1000+i, 1000+i)
	}
	b.WriteString(`]}}`)
	body, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": map[string]any{
		"uid": "1", "kind": map[string]string{"version": "v1", "kind": "Pod"}, "namespace": "load", "operation": "CREATE", "object": json.RawMessage(b.String())}})
	client.Timeout = 30 * time.Second
	codes := map[string]int{}
	var mu sync.Mutex
	begin := time.Now()
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := client.Post(url, "application/json", bytes.NewReader(body))
				key := "error"
				if err == nil {
					out, _ := io.ReadAll(r.Body)
					r.Body.Close()
					key = strconv.Itoa(r.StatusCode)
					if r.StatusCode == 200 && bytes.Contains(out, []byte(`"allowed":false`)) {
						key += " denied"
					}
				}
				mu.Lock()
				codes[key]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	fmt.Printf("%d rounds of %d concurrent reviews of a %.1f MB pod (10,000 privileged containers) in %.1f s: %v\n", 3, n, float64(len(body))/1e6, time.Since(begin).Seconds(), codes)
	fmt.Printf("server peak RSS (VmHWM): %d MiB; the modelled limit is %d MiB\n", statusKB(pid, "VmHWM:")/1024, limitMiB)
}
