package intents

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	networkingv1 "k8s.io/api/networking/v1"
)

func load(t *testing.T, intentsFile string) (*Plan, []*networkingv1.NetworkPolicy) {
	t.Helper()
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	if len(res.Problems) > 0 {
		t.Fatalf("manifests: %v", res.Problems)
	}
	data, err := os.ReadFile(intentsFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(intentsFile, data)
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.New(res.Objects)
	p, errs := Resolve(f, intentsFile, inv)
	if len(errs) > 0 {
		t.Fatalf("resolve: %v", errs)
	}
	var existing []*networkingv1.NetworkPolicy
	for _, o := range inv.Objects() {
		if np, ok := o.Obj.(*networkingv1.NetworkPolicy); ok {
			existing = append(existing, np)
		}
	}
	return p, existing
}

func TestResolveTargetPorts(t *testing.T) {
	p, _ := load(t, "testdata/intents.yaml")
	var got []string
	for _, f := range p.Flows {
		got = append(got, f.From.ID()+">"+f.To.ID()+">"+string(f.Protocol)+"/"+itoa(f.Port))
	}
	want := []string{
		"shop/Deployment/frontend>shop/Deployment/api>TCP/9090", // Service port 80 -> targetPort grpc -> 9090
		"shop/Deployment/api>data/StatefulSet/db>TCP/5432",      // named container port
		"shop/Deployment/worker>data/StatefulSet/db>TCP/5432",
		"ops/Deployment/monitor>shop/Deployment/api>TCP/9102",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("flows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(p.Scope, ",") != "data,ops,shop" {
		t.Errorf("scope %v", p.Scope)
	}
}

// TestGeneratedNetworkPoliciesAllowExactlyTheIntents is the issue's
// acceptance test: the reachability engine finds every declared flow and
// DNS allowed and nothing else.
func TestGeneratedNetworkPoliciesAllowExactlyTheIntents(t *testing.T) {
	p, existing := load(t, "testdata/intents.yaml")
	gen := p.NetworkPolicies()
	for _, m := range p.VerifyNetworkPolicies(existing, gen) {
		t.Errorf("mismatch: %s", m)
	}
	for _, np := range gen {
		for _, r := range np.Spec.Ingress {
			checkPeers(t, np, r.From)
			if len(r.Ports) == 0 {
				t.Errorf("%s/%s: ingress rule without ports", np.Namespace, np.Name)
			}
		}
		for _, r := range np.Spec.Egress {
			checkPeers(t, np, r.To)
			if len(r.Ports) == 0 {
				t.Errorf("%s/%s: egress rule without ports", np.Namespace, np.Name)
			}
		}
	}
}

func checkPeers(t *testing.T, np *networkingv1.NetworkPolicy, peers []networkingv1.NetworkPolicyPeer) {
	if len(peers) == 0 {
		t.Errorf("%s/%s: rule with no peers allows everyone", np.Namespace, np.Name)
	}
	for _, pe := range peers {
		if pe.NamespaceSelector == nil && pe.PodSelector == nil && pe.IPBlock == nil {
			t.Errorf("%s/%s: empty peer", np.Namespace, np.Name)
		}
	}
}

// TestVerifyCatchesWrongPolicies shows the verification can fail: each
// mutation of the generated set must produce the expected mismatch.
func TestVerifyCatchesWrongPolicies(t *testing.T) {
	p, existing := load(t, "testdata/intents.yaml")
	cases := map[string]struct {
		mutate func([]*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy
		want   string
	}{
		"no default deny": {func(g []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
			return drop(g, "guardrail-default-deny")
		}, "allowed but not declared"},
		"no dns": {func(g []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
			return drop(g, "guardrail-allow-dns")
		}, "(dns) 53/UDP: declared but not allowed"},
		"no db ingress": {func(g []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
			return drop(g, "guardrail-ingress-statefulset-db")
		}, "data/StatefulSet/db 5432/TCP: declared but not allowed"},
		"rule without ports": {func(g []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
			for _, np := range g {
				switch np.Name {
				case "guardrail-ingress-statefulset-db":
					np.Spec.Ingress[0].Ports = nil
				case "guardrail-egress-deployment-api":
					np.Spec.Egress[0].Ports = nil
				}
			}
			return g
		}, "data/StatefulSet/db 1/TCP: allowed but not declared"},
		"rule with empty peer": {func(g []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
			for _, np := range g {
				if np.Name == "guardrail-egress-deployment-api" {
					np.Spec.Egress[0].To = nil // no peers: every destination
				}
			}
			return g
		}, "shop/Deployment/api -> 8.8.8.8 5432/TCP: allowed but not declared"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			gen := c.mutate(p.NetworkPolicies())
			var all []string
			for _, m := range p.VerifyNetworkPolicies(existing, gen) {
				all = append(all, m.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("want a mismatch containing %q, got:\n%s", c.want, strings.Join(all, "\n"))
			}
		})
	}
}

func drop(g []*networkingv1.NetworkPolicy, name string) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, np := range g {
		if np.Name != name {
			out = append(out, np)
		}
	}
	return out
}

func TestGeneratedIstioAllowsExactlyTheIntents(t *testing.T) {
	p, _ := load(t, "testdata/intents.yaml")
	gen := p.Istio()
	for _, m := range p.VerifyIstio(gen) {
		t.Errorf("mismatch: %s", m)
	}
	var strict, principals int
	for _, r := range gen {
		spec := r["spec"].(map[string]any)
		if r["kind"] == "PeerAuthentication" && spec["mtls"].(map[string]any)["mode"] == "STRICT" {
			strict++
		}
		if rules, ok := spec["rules"].([]any); ok {
			for _, ru := range rules {
				for _, fr := range ru.(map[string]any)["from"].([]any) {
					principals += len(fr.(map[string]any)["source"].(map[string]any)["principals"].([]any))
				}
			}
		}
	}
	if strict != 3 || principals != 4 {
		t.Errorf("got %d STRICT PeerAuthentications (want 3) and %d principals (want 4)", strict, principals)
	}
	// Without the allow-nothing policy, workloads no intent reaches accept
	// everyone: verification must say so.
	var loose []Resource
	for _, r := range gen {
		if r["metadata"].(map[string]any)["name"] != "guardrail-allow-nothing" {
			loose = append(loose, r)
		}
	}
	found := false
	for _, m := range p.VerifyIstio(loose) {
		found = found || m.Extra && m.Dst == "shop/Deployment/frontend"
	}
	if !found {
		t.Error("verification missed the open frontend without allow-nothing")
	}
}

func TestSharedServiceAccountIsAnExtra(t *testing.T) {
	p, _ := load(t, "testdata/intents.yaml")
	for _, e := range p.Endpoints {
		if e.Name == "worker" {
			e.ServiceAccount = "frontend" // worker now runs as frontend's principal
		}
	}
	var extras []string
	for _, m := range p.VerifyIstio(p.Istio()) {
		if m.Extra {
			extras = append(extras, m.String())
		}
	}
	if !strings.Contains(strings.Join(extras, "\n"), "shop/Deployment/worker -> shop/Deployment/api 9090/TCP") {
		t.Errorf("shared principal not reported; extras:\n%s", strings.Join(extras, "\n"))
	}
}

func TestBadIntentsAreReportedAndTheRestKept(t *testing.T) {
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	src := `apiVersion: guardrail.dev/v1alpha1
kind: Intents
intents:
  - from: shop/nope
    to: shop/api
    ports: ["9090"]
  - from: shop/frontend
    to: shop/api
    ports: []
  - from: shop/frontend
    to: shop/api
    ports: ["http-missing", "70000", "9090/ICMP", "9090"]
`
	f, err := Parse("bad.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Resolve(f, "bad.yaml", inventory.New(res.Objects))
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		"bad.yaml:4: intents[0].from: no workload shop/nope",
		"bad.yaml:7: intents[1].ports: no ports",
		`bad.yaml:10: intents[2].ports: "http-missing": shop/Deployment/api declares no container port named "http-missing"`,
		"port 70000 is out of range",
		`protocol "ICMP" is not TCP, UDP or SCTP`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if len(p.Flows) != 1 || p.Flows[0].Port != 9090 {
		t.Errorf("the good port of intent 2 must be kept: %+v", p.Flows)
	}
	if _, err := Parse("x.yaml", []byte("kind: Intents\nintent: []\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := Parse("x.yaml", []byte("kind: Policy\n")); err == nil || !strings.Contains(err.Error(), "want Intents") {
		t.Errorf("wrong kind: %v", err)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func TestIntentsToCIDRs(t *testing.T) {
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	inv := inventory.New(res.Objects)
	src := `apiVersion: guardrail.dev/v1alpha1
kind: Intents
intents:
  - from: shop/worker
    to: cidr:203.0.113.7/24
    ports: ["443"]
  - from: shop/frontend
    to: shop/api
    ports: ["9090"]
  - from: shop/api
    to: cidr:not-a-cidr
    ports: ["443"]
  - from: shop/api
    to: cidr:198.51.100.0/24
    ports: [https]
`
	f, err := Parse("ext.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Resolve(f, "ext.yaml", inv)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	if len(errs) != 2 || !strings.Contains(msgs[0], `ext.yaml:10: intents[2].to: "not-a-cidr" is not a CIDR`) ||
		!strings.Contains(msgs[1], "ext.yaml:13: intents[3].ports") {
		t.Fatalf("errors:\n%s", strings.Join(msgs, "\n"))
	}
	if len(p.External) != 1 || p.External[0].CIDR.String() != "203.0.113.0/24" {
		t.Fatalf("external flows: %+v", p.External)
	}
	gen := p.NetworkPolicies()
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		t.Errorf("mismatch: %s", m)
	}
	// Widen the generated block to the whole internet: verification must object.
	for _, np := range gen {
		for _, r := range np.Spec.Egress {
			for _, pe := range r.To {
				if pe.IPBlock != nil {
					pe.IPBlock.CIDR = "0.0.0.0/0"
				}
			}
		}
	}
	var all []string
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		all = append(all, m.String())
	}
	if !strings.Contains(strings.Join(all, "\n"), "shop/Deployment/worker -> 8.8.8.8 443/TCP: allowed but not declared") {
		t.Errorf("widened CIDR not caught:\n%s", strings.Join(all, "\n"))
	}
}

// TestIstioServiceEntriesForCIDRs: a TCP intent to a CIDR gets a
// ServiceEntry in the caller's namespace, visible only there; UDP gets none.
func TestIstioServiceEntriesForCIDRs(t *testing.T) {
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	src := `apiVersion: guardrail.dev/v1alpha1
kind: Intents
intents:
  - {from: shop/worker, to: "cidr:203.0.113.0/24", ports: ["443", "8443"]}
  - {from: shop/api, to: "cidr:203.0.113.0/24", ports: ["443"]}
  - {from: shop/api, to: "cidr:2001:db8::/32", ports: ["443", "53/UDP"]}
`
	f, err := Parse("ext.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Resolve(f, "ext.yaml", inventory.New(res.Objects))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, r := range p.Istio() {
		if r["kind"] != "ServiceEntry" {
			continue
		}
		md, spec := r["metadata"].(map[string]any), r["spec"].(map[string]any)
		var ports []string
		for _, pt := range spec["ports"].([]any) {
			ports = append(ports, fmt.Sprint(pt.(map[string]any)["number"]))
		}
		got = append(got, fmt.Sprintf("%s/%s %v %v %s %v", md["namespace"], md["name"], spec["addresses"], ports, spec["resolution"], spec["exportTo"]))
	}
	want := []string{
		"shop/guardrail-egress-2001-db8---32 [2001:db8::/32] [443] NONE [.]",
		"shop/guardrail-egress-203-0-113-0-24 [203.0.113.0/24] [443 8443] NONE [.]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("service entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
