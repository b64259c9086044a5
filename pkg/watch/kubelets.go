package watch

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"k8s.io/client-go/rest"
)

// kubeletFetch reads the kubelet configuration of nodes (cluster.KubeletConfigs).
type kubeletFetch func(ctx context.Context, nodes []string) ([]*inventory.Object, []*api.Problem, []string)

// kubelets keeps each node's kubelet configuration, read through the API
// server's node proxy as `scan --live` reads it, so that the kubelet
// rules judge the same objects in both. Nodes are read when they first
// appear and again on each full pass (a kubelet's configuration changes
// only with a restart); reading runs beside the passes, since one
// unreachable kubelet takes its 10 s timeout, and pokes the watcher
// when done.
type kubelets struct {
	fetch  kubeletFetch
	poke   func()
	logger *slog.Logger

	mu       sync.Mutex
	objs     map[string]*inventory.Object
	problems map[string]*api.Problem
	read     map[string]bool // nodes read or being read
	skipped  string
	running  bool
}

func newKubelets(cfg *rest.Config, poke func(), logger *slog.Logger) *kubelets {
	return &kubelets{poke: poke, logger: logger,
		fetch: func(ctx context.Context, nodes []string) ([]*inventory.Object, []*api.Problem, []string) {
			return cluster.KubeletConfigs(ctx, cfg, nodes)
		},
		objs: map[string]*inventory.Object{}, problems: map[string]*api.Problem{}, read: map[string]bool{}}
}

// current returns the configurations and problems of the given nodes,
// and starts reading the nodes not read yet (all of them when again).
func (k *kubelets) current(ctx context.Context, nodes []string, again bool) ([]*inventory.Object, []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if again {
		for n := range k.read {
			k.read[n] = false // read again now, or after the read in flight
		}
	}
	live := map[string]bool{}
	var todo []string
	for _, n := range nodes {
		live[n] = true
		if !k.read[n] {
			todo = append(todo, n)
		}
	}
	for n := range k.read {
		if !live[n] {
			delete(k.read, n)
			delete(k.objs, n)
			delete(k.problems, n)
		}
	}
	if len(todo) > 0 && !k.running {
		k.running = true
		for _, n := range todo {
			k.read[n] = true
		}
		go k.run(ctx, todo)
	}
	var objs []*inventory.Object
	var problems []string
	for _, n := range nodes {
		if o := k.objs[n]; o != nil {
			objs = append(objs, o)
		}
		if p := k.problems[n]; p != nil {
			problems = append(problems, p.Object+": "+p.Message)
		}
	}
	sort.Strings(problems)
	return objs, problems
}

func (k *kubelets) run(ctx context.Context, nodes []string) {
	objs, problems, skipped := k.fetch(ctx, nodes)
	k.mu.Lock()
	for _, n := range nodes {
		delete(k.objs, n)
		delete(k.problems, n)
	}
	for _, o := range objs {
		k.objs[o.Name()] = o
	}
	for _, p := range problems {
		k.problems[p.Object[len("Node/"):]] = p
	}
	if s := firstOr(skipped, ""); s != k.skipped {
		k.skipped = s
		if s != "" {
			k.logger.Info(s)
		}
	}
	k.running = false
	k.mu.Unlock()
	if ctx.Err() == nil {
		k.poke()
	}
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
