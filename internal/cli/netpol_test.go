package cli

import (
	"encoding/json"
	"fmt"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const netpolBase = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "api:1", ports: [{containerPort: 8080, name: http}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`

const netpolOpen = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-to-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}]
`

func TestNetpolCommands(t *testing.T) {
	dir := t.TempDir()
	oldDir, newDir := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	os.MkdirAll(oldDir, 0o755)
	os.MkdirAll(newDir, 0o755)
	os.WriteFile(filepath.Join(oldDir, "app.yaml"), []byte(netpolBase), 0o644)
	os.WriteFile(filepath.Join(newDir, "app.yaml"), []byte(netpolBase+netpolOpen), 0o644)

	code, out, _ := run(t, "", "netpol", "matrix", newDir)
	if code != 0 || !strings.Contains(out, "shop/Deployment/web  shop/Deployment/api  8080/TCP  allow") || strings.Contains(out, "shop/Deployment/api  shop/Deployment/web") {
		t.Errorf("matrix: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "shop/Deployment/web", "shop/Deployment/api", "8080", "-f", newDir)
	if code != 0 || !strings.Contains(out, ": allow") || !strings.Contains(out, "allowed by shop/web-to-api ingress[0] (allow)") {
		t.Errorf("explain: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "shop/Deployment/api", "shop/Deployment/web", "80", "-f", newDir)
	if code != 0 || !strings.Contains(out, ": deny") || !strings.Contains(out, "isolated by shop/deny") {
		t.Errorf("explain deny: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "diff", oldDir, newDir, "--fail-on-added")
	if code != ExitFindings || !strings.Contains(out, "+ shop/Deployment/web -> shop/Deployment/api 8080/TCP allow (was deny)") || !strings.Contains(out, "1 connections added, 0 removed") {
		t.Errorf("diff: %d\n%s", code, out)
	}
	if !strings.Contains(out, "because egress: no policy isolates it; ingress: allowed by shop/web-to-api ingress[0] (allow)") {
		t.Errorf("diff does not say which rule opened the connection:\n%s", out)
	}
	code, out, _ = run(t, "", "netpol", "diff", oldDir, newDir, "-o", "json")
	var d netpol.DiffReport
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || d.SchemaVersion != netpol.SchemaVersion || len(d.Added) != 1 || len(d.Removed) != 0 ||
		d.Added[0].Before != netpol.Deny || d.Added[0].Verdict != netpol.Allow || !strings.Contains(d.Added[0].Because, "shop/web-to-api ingress[0]") {
		t.Errorf("diff json: exit %d, %v\n%s", code, err, out)
	}
	if code, _, _ := run(t, "", "netpol", "diff", newDir, oldDir, "--fail-on-added"); code != 0 {
		t.Errorf("removing a connection must pass the gate, exit %d", code)
	}
	code, out, _ = run(t, "", "netpol", "matrix", newDir, "-o", "mermaid")
	if code != 0 || !strings.Contains(out, `-->|8080/TCP|`) {
		t.Errorf("mermaid: %s", out)
	}
}

// TestNetpolGenerateRoundTrip generates policies for the intents fixture,
// then feeds the printed YAML back through `netpol matrix`: the only
// connections left between the workloads must be the four intents.
func TestNetpolGenerateRoundTrip(t *testing.T) {
	app, in := "../../pkg/intents/testdata/app.yaml", "../../pkg/intents/testdata/intents.yaml"
	code, out, errOut := run(t, "", "netpol", "generate", "-i", in, "--istio", app)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "verified: 0 differences") || strings.Count(out, "kind: NetworkPolicy") != 12 ||
		strings.Count(out, "kind: PeerAuthentication") != 3 {
		t.Fatalf("stderr %q; output:\n%s", errOut, out)
	}
	gen := filepath.Join(t.TempDir(), "gen.yaml")
	var nps []string // only the NetworkPolicies: matrix reads Kubernetes objects
	for _, doc := range strings.Split(out, "---\n") {
		if strings.Contains(doc, "kind: NetworkPolicy") {
			nps = append(nps, doc)
		}
	}
	if err := os.WriteFile(gen, []byte(strings.Join(nps, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "netpol", "matrix", "-o", "json", app, gen)
	if code != 0 {
		t.Fatalf("matrix exit %d: %s", code, errOut)
	}
	es := matrixEdges(t, out)
	var got []string
	for _, e := range es {
		if netpol.IsPeer(e.To) {
			// Only DNS leaves the input: to kube-system, which is not in
			// it, so namespace:* may or may not be it.
			if e.To != "namespace:*" || e.Port != 53 || e.Verdict != netpol.Depends {
				t.Errorf("generated policies open %s -> %s %s (%s)", e.From, e.To, e.PortString(), e.Verdict)
			}
			continue
		}
		if netpol.IsPeer(e.From) {
			t.Errorf("generated policies open %s -> %s %s (%s)", e.From, e.To, e.PortString(), e.Verdict)
			continue
		}
		got = append(got, fmt.Sprintf("%s>%s>%d/%s:%s", e.From, e.To, e.Port, e.Protocol, e.Verdict))
	}
	sort.Strings(got)
	want := []string{
		"ops/Deployment/monitor>shop/Deployment/api>9102/TCP:allow",
		"shop/Deployment/api>data/StatefulSet/db>5432/TCP:allow",
		"shop/Deployment/frontend>shop/Deployment/api>9090/TCP:allow",
		"shop/Deployment/worker>data/StatefulSet/db>5432/TCP:allow",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("edges after generation:\n%s\nwant exactly the intents:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The bundled example: the backend runs on the host network, where
	// enforcement depends on the CNI, and verification says so.
	code, _, errOut = run(t, "", "netpol", "generate", "-i", "../../examples/intents.yaml", "../../examples/shop")
	if code != 1 || !strings.Contains(errOut, "host-network pods") {
		t.Errorf("example: exit %d, stderr:\n%s", code, errOut)
	}
	code, _, errOut = run(t, "", "netpol", "generate", "../../examples/shop")
	if code != 2 || !strings.Contains(errOut, "-i") {
		t.Errorf("missing -i: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestNetpolCNIProfile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "m.yaml")
	ipOnly := netpolBase + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ip-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
`
	if err := os.WriteFile(f, []byte(ipOnly), 0o644); err != nil {
		t.Fatal(err)
	}
	verdict := func(args ...string) string {
		code, out, errOut := run(t, "", append([]string{"netpol", "explain", "shop/Deployment/web", "shop/Deployment/api", "8080", "-f", f}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		first, _, _ := strings.Cut(out, "\n")
		return first
	}
	if v := verdict(); !strings.HasSuffix(v, "depends") {
		t.Errorf("no profile: %q", v)
	}
	if v := verdict("--cni", "cilium"); !strings.HasSuffix(v, ": deny") {
		t.Errorf("cilium: %q", v)
	}
	if v := verdict("--cni", "flannel"); !strings.HasSuffix(v, ": allow") {
		t.Errorf("flannel: %q", v)
	}
}

// TestNetpolExplainService: explain to a Service port judges the backend on
// its target port (named, resolved on the pod) and reports the Service-port
// question as open unless the profile settles it.
func TestNetpolExplainService(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(f, []byte(netpolBase+netpolOpen+`---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: http}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"shop/Deployment/web -> shop/Service/api 80: depends", "backend shop/Deployment/api on target port 8080: depends",
			"policies give allow on target port 8080 but deny on Service port 80"}},
		{[]string{"--cni", "calico"}, []string{"shop/Service/api 80: allow", "calico checks policies after the Service translation, on target port 8080"}},
	} {
		code, out, errOut := run(t, "", append([]string{"netpol", "explain", "shop/Deployment/web", "shop/Service/api", "80", "-f", f}, tc.args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: missing %q in:\n%s", tc.args, w, out)
			}
		}
	}
	if code, _, errOut := run(t, "", "netpol", "explain", "shop/Deployment/web", "shop/Service/api", "443", "-f", f); code != 2 || !strings.Contains(errOut, "has no port 443/TCP (it has 80/TCP)") {
		t.Errorf("unknown Service port: exit %d: %s", code, errOut)
	}
}

// TestNetpolPodCIDR: with --pod-cidr, calico's by-address ipBlocks settle
// the internet-only egress rule for workload templates.
func TestNetpolPodCIDR(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(f, []byte(netpolBase+`---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-internet-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: data}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "db:1", ports: [{containerPort: 5432}]}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 0, "data/Deployment/db 5432: depends"},
		{[]string{"--cni", "calico"}, 0, "data/Deployment/db 5432: depends"},
		{[]string{"--cni", "calico", "--pod-cidr", "10.244.0.0/16"}, 0, "data/Deployment/db 5432: deny"},
		{[]string{"--cni", "calico", "--pod-cidr", "172.16.0.0/16"}, 0, "data/Deployment/db 5432: allow"},
		{[]string{"--pod-cidr", "10.244.0.0/16"}, 2, "--pod-cidr needs a profile whose ipBlocks match pod addresses"},
		{[]string{"--cni", "calico", "--pod-cidr", "10.244.0.0"}, 2, `--pod-cidr "10.244.0.0"`},
	} {
		code, out, errOut := run(t, "", append([]string{"netpol", "explain", "shop/Deployment/web", "data/Deployment/db", "5432", "-f", f}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s%s", tc.args, code, tc.code, tc.want, out, errOut)
		}
	}
}

// TestNetpolMatrixListsEveryWorkloadOfAClass: two workloads with the same
// labels and ports share a class; both must appear in the matrix.
func TestNetpolMatrixListsEveryWorkloadOfAClass(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	twin := `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME, namespace: shop}
spec:
  selector: {matchLabels: {app: twin}}
  template:
    metadata: {labels: {app: twin}}
    spec:
      containers: [{name: c, image: "c:1", ports: [{containerPort: 9000}]}]
`
	if err := os.WriteFile(f, []byte(netpolBase+strings.ReplaceAll(twin, "NAME", "twin-a")+strings.ReplaceAll(twin, "NAME", "twin-b")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "netpol", "matrix", f, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	es := matrixEdges(t, out)
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.From] = true
		if e.To != e.From && strings.HasPrefix(e.To, "shop/") {
			t.Errorf("the namespace denies all ingress, yet %s -> %s %d is listed", e.From, e.To, e.Port)
		}
	}
	for _, w := range []string{"shop/Deployment/twin-a", "shop/Deployment/twin-b", "shop/Deployment/web", "shop/Deployment/api"} {
		if !seen[w] {
			t.Errorf("%s missing from the matrix:\n%s", w, out)
		}
	}
}

// TestNetpolGenerateVerifiesUnderTheProfile: the bundled example's backend
// runs on the host network; without a profile verification reports it as
// depending on the CNI, under calico as what calico does: the caller's
// egress selectors miss the node, and the backend's own policy binds nothing.
func TestNetpolGenerateVerifiesUnderTheProfile(t *testing.T) {
	args := []string{"netpol", "generate", "-i", "../../examples/intents.yaml", "../../examples/shop"}
	for _, tc := range []struct {
		cni  []string
		want string
	}{
		{nil, "shop/StatefulSet/backend -> shop/Deployment/frontend 1/TCP,1/UDP,65535/TCP,65535/UDP: allowed but not declared (depends)"},
		{[]string{"--cni", "calico"}, "shop/Deployment/frontend -> shop/StatefulSet/backend 8443/TCP: declared but not allowed (deny) calico: a host-network pod's traffic is node traffic"},
	} {
		code, _, errOut := run(t, "", append(args, tc.cni...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 1 and %q:\n%s", tc.cni, code, tc.want, errOut)
		}
	}
}

// TestNetpolProfiles: the profile list comes from the code that applies
// the profiles, and each names its sources.
func TestNetpolProfiles(t *testing.T) {
	code, out, errOut := run(t, "", "netpol", "profiles", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []struct {
		Name, IPBlockVersusPods, HostNetwork, ServicePort string
		Sources                                           []string
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Name] = r.IPBlockVersusPods + "/" + r.HostNetwork + "/" + r.ServicePort
		if len(r.Sources) == 0 {
			t.Errorf("%s: no sources", r.Name)
		}
	}
	want := map[string]string{"calico": "matches by address/node traffic/target port", "cilium": "never matches pods/depends on the CNI/target port", "flannel": "-/-/-"}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
}

// TestNetpolLiveDrift: flags that were accepted and ignored now act or
// refuse: netpol diff --live checks --pod-cidr as the manifest path does,
// and netpol generate --live says it does not read the cluster.
func TestNetpolLiveDrift(t *testing.T) {
	code, _, errs := run(t, "", "netpol", "diff", "--live", "--kubeconfig", "/nonexistent", "--pod-cidr", "10.244.0.0/16", examples)
	if code != ExitError || !strings.Contains(errs, "--pod-cidr needs a profile") {
		t.Errorf("diff --live --pod-cidr without --cni: exit %d: %s", code, errs)
	}
	code, _, errs = run(t, "", "netpol", "generate", "--live", "-i", "x.yaml", examples)
	if code != ExitError || !strings.Contains(errs, "--live is not supported by generate") {
		t.Errorf("generate --live: exit %d: %s", code, errs)
	}
}

// matrixEdges reads `netpol matrix -o json`.
func matrixEdges(t *testing.T, out string) []netpol.Edge {
	t.Helper()
	var rep netpol.MatrixReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("matrix json: %v\n%s", err, out)
	}
	if rep.SchemaVersion != netpol.SchemaVersion {
		t.Fatalf("schemaVersion %q", rep.SchemaVersion)
	}
	return rep.Connections
}
