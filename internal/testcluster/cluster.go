// Package testcluster starts a real Kubernetes control plane for tests:
// etcd (Debian's etcd-server) and kube-apiserver (built from k8s.io/kubernetes
// by hack/build-control-plane.sh), on loopback ports, with RBAC
// authorization and a throwaway PKI. No fake clientset stands in for it.
package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeVersion is the Kubernetes version the harness builds and runs.
const KubeVersion = "v1.37.2"

// Cluster is a running control plane.
type Cluster struct {
	// Dir holds the PKI, etcd data and logs.
	Dir string
	// URL is the API server's https address.
	URL string
	// Kubeconfig is the path of an admin kubeconfig (system:masters).
	Kubeconfig string
	// EtcdURL is etcd's client address.
	EtcdURL string

	ca     *ca
	procs  []*exec.Cmd
	exited []chan struct{}
	names  []string
	logs   []*bytes.Buffer
	mu     sync.Mutex
	// apiBin and apiArgs start the API server again (RestartAPIServer).
	apiBin  string
	apiArgs []string
}

// Binaries locates etcd and kube-apiserver. KUBE_APISERVER and ETCD
// override the defaults (the control-plane cache and PATH).
func Binaries() (etcd, apiserver string, err error) {
	etcd = os.Getenv("ETCD")
	if etcd == "" {
		etcd, _ = exec.LookPath("etcd")
	}
	apiserver = os.Getenv("KUBE_APISERVER")
	if apiserver == "" {
		home, _ := os.UserHomeDir()
		apiserver = filepath.Join(home, ".cache", "guardrail", "control-plane", KubeVersion, "kube-apiserver")
	}
	var missing []string
	if etcd == "" {
		missing = append(missing, "etcd (apt-get install etcd-server)")
	}
	if _, err := os.Stat(apiserver); err != nil {
		missing = append(missing, apiserver+" (run hack/build-control-plane.sh)")
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("control plane binaries missing: %s", strings.Join(missing, ", "))
	}
	return etcd, apiserver, nil
}

// Start runs etcd and kube-apiserver in dir and waits until the API server
// is ready. extraArgs are appended to kube-apiserver's flags. A port that
// another test's server took between being found free and being bound
// (seen in CI) is retried with fresh ports, up to three times.
func Start(ctx context.Context, dir string, extraArgs ...string) (*Cluster, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var c *Cluster
		try := filepath.Join(dir, fmt.Sprintf("attempt-%d", attempt))
		if attempt == 0 {
			try = dir
		}
		if c, err = start(ctx, try, extraArgs...); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return c, err
		}
	}
	return nil, err
}

func start(ctx context.Context, dir string, extraArgs ...string) (*Cluster, error) {
	etcdBin, apiBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir}
	if c.ca, err = newCA(); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	c.EtcdURL = etcdURL
	if err := c.run(etcdBin, "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", etcdPeer),
		"--quota-backend-bytes", strconv.Itoa(4<<30), "--log-level", "warn"); err != nil {
		return nil, err
	}
	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		c.Stop()
		return nil, err
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(pki, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	serverCert, serverKey, err := c.ca.issue("kube-apiserver", nil, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}, true)
	if err != nil {
		c.Stop()
		return nil, err
	}
	saPub, saKey, err := serviceAccountKey(pki)
	if err != nil {
		c.Stop()
		return nil, err
	}
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	args := []string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(apiPort),
		"--tls-cert-file", write("apiserver.crt", serverCert), "--tls-private-key-file", write("apiserver.key", serverKey),
		"--client-ca-file", write("ca.crt", c.ca.pem),
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey, "--api-audiences", "https://kubernetes.default.svc",
		"--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type=none", "--allow-privileged=true",
		"--authorization-mode", "Node,RBAC", "--anonymous-auth=false",
		"--storage-media-type", "application/vnd.kubernetes.protobuf",
		"--cert-dir", pki, "--v", "0",
	}
	c.apiBin, c.apiArgs = apiBin, append(args, extraArgs...)
	if err := c.run(apiBin, c.apiArgs...); err != nil {
		c.Stop()
		return nil, err
	}
	if c.Kubeconfig, err = c.WriteKubeconfig(filepath.Join(dir, "admin.kubeconfig"), "admin", "system:masters"); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, fmt.Errorf("%w\n%s", err, c.Logs())
	}
	return c, nil
}

// run starts a process whose output goes to a buffer (see Logs).
func (c *Cluster) run(bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{b: &buf, mu: &c.mu}, &syncWriter{b: &buf, mu: &c.mu}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	c.procs = append(c.procs, cmd)
	c.exited = append(c.exited, done)
	c.names = append(c.names, filepath.Base(bin))
	c.logs = append(c.logs, &buf)
	return nil
}

// Logs returns the tail of every process's output, for failure messages.
func (c *Cluster) Logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for i, l := range c.logs {
		s := l.String()
		if len(s) > 4000 {
			s = s[len(s)-4000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", c.names[i], s)
	}
	return b.String()
}

// Hang stops the API server's process (SIGSTOP), so that it accepts
// connections and answers nothing, as a wedged server does; the returned
// function resumes it.
func (c *Cluster) Hang() (resume func()) {
	for i, n := range c.names {
		if n == "kube-apiserver" && c.procs[i].Process != nil {
			p := c.procs[i].Process
			p.Signal(syscall.SIGSTOP)
			return func() { p.Signal(syscall.SIGCONT) }
		}
	}
	return func() {}
}

// RestartAPIServer kills the API server and, after between (during
// which etcd stays up and the caller may, say, compact it), starts it
// again on the same address and waits until it is ready: what clients see
// when a control-plane node restarts.
func (c *Cluster) RestartAPIServer(ctx context.Context, between func()) error {
	for i := len(c.names) - 1; i >= 0; i-- {
		if c.names[i] == "kube-apiserver" && c.procs[i].Process != nil {
			c.procs[i].Process.Kill()
			<-c.exited[i]
			c.mu.Lock()
			c.procs = append(c.procs[:i], c.procs[i+1:]...)
			c.exited = append(c.exited[:i], c.exited[i+1:]...)
			c.names = append(c.names[:i], c.names[i+1:]...)
			c.logs = append(c.logs[:i], c.logs[i+1:]...)
			c.mu.Unlock()
		}
	}
	if between != nil {
		between()
	}
	if err := c.run(c.apiBin, c.apiArgs...); err != nil {
		return err
	}
	return c.waitReady(ctx)
}

// Stop kills the processes (API server first) and waits for them.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		if p := c.procs[i]; p.Process != nil {
			p.Process.Kill()
			<-c.exited[i]
		}
	}
	c.procs, c.exited = nil, nil
}

// WriteKubeconfig writes a kubeconfig that authenticates with a client
// certificate for user in groups, and returns its path.
func (c *Cluster) WriteKubeconfig(path, user string, groups ...string) (string, error) {
	cert, key, err := c.ca.issue(user, groups, nil, false)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.ca.pem}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: user}
	cfg.CurrentContext = "test"
	return path, clientcmd.WriteToFile(*cfg, path)
}

// RESTConfig returns a client config for the admin user.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	return cfg, nil
}

// Client returns an admin clientset.
func (c *Cluster) Client() (*kubernetes.Clientset, error) {
	cfg, err := c.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

func (c *Cluster) waitReady(ctx context.Context) error {
	client, err := c.Client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		for i, done := range c.exited {
			select {
			case <-done:
				return fmt.Errorf("%s exited", c.names[i])
			default:
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("kube-apiserver not ready after 90s")
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out, nil
}

type syncWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// RealControllers are the controllers a real cluster runs before anything
// is deployed that write objects a scan reads: service accounts and their
// tokens, the CA bundle in every namespace, aggregated roles.
var RealControllers = []string{"serviceaccount-controller", "serviceaccount-token-controller", "root-ca-certificate-publisher-controller", "clusterrole-aggregation-controller"}

// StartControllerManager runs kube-controller-manager against the cluster
// with only the named controllers (e.g. "clusterrole-aggregation").
func (c *Cluster) StartControllerManager(controllers ...string) error {
	bin := os.Getenv("KUBE_CONTROLLER_MANAGER")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "guardrail", "control-plane", KubeVersion, "kube-controller-manager")
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("kube-controller-manager missing (run hack/build-control-plane.sh): %w", err)
	}
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	// The CA and the token signing key are what a real control plane gives
	// the root-ca-certificate-publisher and serviceaccount-token controllers;
	// the other controllers ignore them.
	pki := filepath.Join(c.Dir, "pki")
	return c.run(bin, "--kubeconfig", c.Kubeconfig, "--controllers", strings.Join(controllers, ","),
		"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(ports[0]),
		"--root-ca-file", filepath.Join(pki, "ca.crt"), "--service-account-private-key-file", filepath.Join(pki, "sa.key"),
		"--use-service-account-credentials=true",
		"--cert-dir", filepath.Join(c.Dir, "kcm"), "--v", "0")
}

// ForeignClientKubeconfig writes a kubeconfig for c's server whose client
// certificate is signed by another CA: the server rejects it as it would
// an expired or revoked credential.
func ForeignClientKubeconfig(dir, url string, c *Cluster) (string, error) {
	other, err := newCA()
	if err != nil {
		return "", err
	}
	cert, key, err := other.issue("intruder", nil, nil, false)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: c.ca.pem}
	cfg.AuthInfos["intruder"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "intruder"}
	cfg.CurrentContext = "test"
	path := filepath.Join(dir, "foreign.kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// Compact compacts etcd's history up to its current revision, through the
// v3 JSON gateway: list continue tokens issued before are then expired, as
// on a busy cluster whose lists are slower than its compaction.
func (c *Cluster) Compact(ctx context.Context) error {
	post := func(path, body string) (map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.EtcdURL+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("etcd %s: %v", path, out)
		}
		return out, nil
	}
	r, err := post("/v3/kv/range", `{"key":"AA=="}`)
	if err != nil {
		return err
	}
	header, _ := r["header"].(map[string]any)
	rev, _ := header["revision"].(string)
	if rev == "" {
		return fmt.Errorf("etcd range: no revision in %v", r)
	}
	_, err = post("/v3/kv/compaction", `{"revision":"`+rev+`","physical":true}`)
	return err
}
