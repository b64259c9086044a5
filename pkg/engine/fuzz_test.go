package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// FuzzScan runs every rule over whatever the decoder makes of arbitrary
// input. No rule may panic, and every finding must be well formed.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{
		privileged,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  volumes: [{name: v, hostPath: {path: /}}]\n  containers: [{name: c, image: 'x@', env: [{name: PASSWORD, value: hunter2hunter2}], args: ['--token', 'AKIAZ2Q3R4S5T6U7V2X3']}]\n",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: ['*'], resources: ['*/scale', 'pods/*'], verbs: ['*']}, {nonResourceURLs: ['/apis/*'], verbs: [get]}]\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: n}\nspec: {podSelector: {matchExpressions: [{key: a, operator: In, values: []}]}, egress: []}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\nspec: {type: LoadBalancer, selector: {a: b}, externalIPs: ['1.2.3.4']}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, annotations: {kubectl.kubernetes.io/last-applied-configuration: '{\"kind\":\"Secret\",\"data\":{\"a\":\"b\"}}'}}\ndata: {a: \"-----BEGIN PRIVATE KEY-----\"}\n",
	} {
		f.Add([]byte(seed))
	}
	p, _ := rules.LookupProfile("all")
	e := engine.New(engine.WithRules(p.Rules()), engine.WithWorkers(2))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("scan of %d bytes took %v", len(data), d)
			}
		}()
		limits := manifest.Limits{MaxFileBytes: 1 << 20, MaxDocumentBytes: 64 << 10, MaxDepth: 50, MaxNodes: 20000}
		loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(string(data))), manifest.WithLimits(limits)).Load([]string{"-"})
		res := e.Scan(inventory.New(loaded.Objects))
		for _, fd := range res.Findings {
			if _, ok := rules.Get(fd.RuleID); !ok || fd.Message == "" || fd.Fingerprint == "" || !fd.Severity.Valid() {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
		if sc := res.Summary.Score; (sc != nil && (*sc < 0 || *sc > 100)) || (sc == nil && res.Summary.Checks > 0) || res.Summary.AtOrAbove(api.SeverityInfo) != len(res.Findings) {
			t.Fatalf("bad summary %+v", res.Summary)
		}
	})
}
