package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// clusterOptions are the flags of `guardrail scan --live`, following
// kubectl's conventions.
type clusterOptions struct {
	enabled bool
	// kube holds kubectl's connection flags (--kubeconfig, --context, --as,
	// --as-group, --token, --server, --request-timeout, ...), from
	// cli-runtime so they mean what they mean to kubectl.
	kube           *genericclioptions.ConfigFlags
	namespace      string
	allNamespaces  bool
	includeSecrets bool
	pageSize       int64
	timeout        time.Duration
	qps            float32
}

func (o *scanOptions) addClusterFlags(f *pflag.FlagSet) {
	o.live.addFlags(f)
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with --live: exit 0/1 by findings even when some kinds could not be read (the report still says PARTIAL)")
}

func (c *clusterOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&c.enabled, "live", false, "read the live cluster of the current kubeconfig context instead of files")
	// --cluster was this switch's first name; kubectl's --cluster names a
	// kubeconfig cluster, so it is kept one release as a deprecated alias
	// and will then mean what it means to kubectl.
	f.BoolVar(&c.enabled, "cluster", false, "deprecated: use --live")
	_ = f.MarkHidden("cluster") // the warning is the root's (see deprecatedFlags), on stderr
	c.addKubeFlags(f)
	f.StringVarP(&c.namespace, "namespace", "n", "", "this namespace only (in manifests, objects that name none are in it): of the cluster-scoped objects, only those that grant or expose into it are reported (ClusterRoleBindings, ClusterRoles bound there, webhooks selecting it, PersistentVolumes it may claim)")
	f.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "scan every namespace (the default)")
	f.BoolVar(&c.includeSecrets, "include-secrets", false, "read Secret values (certificate and annotation checks on Secrets need them)")
	f.Int64Var(&c.pageSize, "page-size", 500, "objects per list request")
	f.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up on the cluster scan after this long")
	f.Float32Var(&c.qps, "qps", 50, "client-side limit on API requests per second (burst is twice this)")
}

// addKubeFlags adds kubectl's connection flags. Two are left out: -n,
// which each command defines for what it scopes, and --cluster, which is
// the deprecated alias of --live for one more release. --request-timeout
// defaults to 30 s: a scan must not wait forever for a wedged server.
func (c *clusterOptions) addKubeFlags(f *pflag.FlagSet) {
	c.kube = genericclioptions.NewConfigFlags(false)
	c.kube.Namespace, c.kube.ClusterName = nil, nil
	timeout := "30s"
	c.kube.Timeout = &timeout
	c.kube.AddFlags(f)
}

// restConfig loads the kubeconfig as kubectl does, with its flags.
func (c *clusterOptions) restConfig() (*rest.Config, error) {
	if c.kube == nil {
		c.kube = genericclioptions.NewConfigFlags(false)
	}
	cfg, err := c.kube.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = c.qps, int(2*c.qps)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cfg.UserAgent = "guardrail/" + Version
	return cfg, nil
}

// liveEngine resolves the engine options for a live cluster (profile,
// config, baseline) and the connection: what scan --live, watch and
// dashboard share.
func (o *scanOptions) liveEngine() (*resolved, []engine.Option, *rest.Config, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, nil, nil, err
	}
	r.settings.Live = true
	opts, err := o.engineOptions(r)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := o.live.restConfig()
	if err != nil {
		return nil, nil, nil, usageErr("%v", err)
	}
	return r, opts, cfg, nil
}

// progress shows what is being listed on stderr when it is a terminal.
type progress struct {
	w      io.Writer
	mu     sync.Mutex
	counts map[string]int
	last   time.Time
}

func newProgress(streams IO) *progress {
	if streams.IsTTY == nil || !streams.IsTTY(streams.Err) {
		return &progress{}
	}
	return &progress{w: streams.Err, counts: map[string]int{}}
}

func (p *progress) update(kind string, n int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[kind] = n
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	total := 0
	for _, c := range p.counts {
		total += c
	}
	fmt.Fprintf(p.w, "\r\x1b[Klisting %s: %d objects read", kind, total)
}

func (p *progress) done() {
	if p != nil && p.w != nil {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
