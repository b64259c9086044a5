package intents

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/netpol"
	networkingv1 "k8s.io/api/networking/v1"
)

// exposed adds to the fixture app a LoadBalancer in front of the frontend
// and an Ingress to the api.
const exposed = `---
apiVersion: v1
kind: Service
metadata: {name: frontend-lb, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: frontend}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: shop}
spec:
  rules:
  - host: api.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]
`

func planFor(t *testing.T, extra, intents string) *Plan {
	t.Helper()
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	more := manifest.NewLoader().LoadBytes("exposed.yaml", []byte(extra))
	f, err := Parse("in.yaml", []byte("apiVersion: guardrail.dev/v1alpha1\nkind: Intents\nintents:\n"+intents))
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Resolve(f, "in.yaml", inventory.New(append(res.Objects, more.Objects...)))
	for _, e := range errs {
		t.Errorf("resolve: %v", e)
	}
	return p
}

// TestEntryPointsAreKept: a default deny would cut off the LoadBalancer's
// frontend and the Ingress' api; generate opens each from the right
// source, lists why, and verification holds.
func TestEntryPointsAreKept(t *testing.T) {
	p := planFor(t, exposed, "  - from: shop/frontend\n    to: shop/Service/api\n    ports: [\"80\"]\n")
	entries := strings.Join(p.EntryPoints(), "\n")
	for _, want := range []string{
		"internet -> shop/Deployment/frontend 8080/TCP (Service shop/frontend-lb type LoadBalancer port 80)",
		"ingress-nginx/Deployment/(ingress-controller) -> shop/Deployment/api 9090/TCP (Ingress shop/api routes to Service api port 80)",
	} {
		if !strings.Contains(entries, want) {
			t.Errorf("entry points lack %q:\n%s", want, entries)
		}
	}
	gen := p.NetworkPolicies()
	var ingress *networkingv1.NetworkPolicy
	for _, np := range gen {
		if np.Name == "guardrail-ingress-deployment-frontend" {
			ingress = np
		}
		if np.Namespace == "ingress-nginx" {
			t.Errorf("a policy for the controller's namespace, which is not in scope: %s", np.Name)
		}
	}
	if ingress == nil || len(ingress.Spec.Ingress) != 1 || ingress.Spec.Ingress[0].From[0].IPBlock == nil || ingress.Spec.Ingress[0].From[0].IPBlock.CIDR != "0.0.0.0/0" {
		t.Fatalf("frontend ingress: %+v", ingress)
	}
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		t.Errorf("mismatch: %s", m)
	}
	// Open the frontend to the internet on every port: verification objects.
	ingress.Spec.Ingress[0].Ports = nil
	var all []string
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		all = append(all, m.String())
	}
	if !strings.Contains(strings.Join(all, "\n"), "internet -> shop/Deployment/frontend 1/TCP: allowed but not declared") {
		t.Errorf("opening every port to the internet not caught:\n%s", strings.Join(all, "\n"))
	}
	// Drop the entry point: verification says it is declared but cut off.
	ingress.Spec.Ingress = nil
	all = nil
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		all = append(all, m.String())
	}
	if !strings.Contains(strings.Join(all, "\n"), "internet -> shop/Deployment/frontend 8080/TCP: declared but not allowed") {
		t.Errorf("a cut-off entry point not caught:\n%s", strings.Join(all, "\n"))
	}
}

// TestIntentsFromOutside: from: internet, cidr: and ingress-controller
// NS/NAME, and their errors.
func TestIntentsFromOutside(t *testing.T) {
	p := planFor(t, "", `  - from: internet
    to: shop/Service/api
    ports: ["80"]
  - from: cidr:198.51.100.0/24
    to: shop/frontend
    ports: ["8080"]
  - from: ingress-controller ops/monitor
    to: shop/frontend
    ports: ["8080"]
`)
	var in []string
	for _, f := range p.Inbound {
		in = append(in, f.Source()+" -> "+f.To.ID())
	}
	if strings.Join(in, ",") != "internet -> shop/Deployment/api,cidr:198.51.100.0/24 -> shop/Deployment/frontend" {
		t.Errorf("inbound: %v", in)
	}
	if p.Inbound[0].Port != 9090 {
		t.Errorf("internet -> Service api 80 should open the target port 9090, got %d", p.Inbound[0].Port)
	}
	found := false
	for _, f := range p.Flows {
		found = found || f.From.ID() == "ops/Deployment/monitor" && f.To.ID() == "shop/Deployment/frontend" && f.Port == 8080
	}
	if !found {
		t.Errorf("ingress-controller ops/monitor: flows %+v", p.Flows)
	}
	// Whether an ipBlock of 198.51.100.0/24 holds pod addresses is the
	// CNI's to say: unknown, the pairs into the frontend depend.
	if ms := p.VerifyNetworkPolicies(nil, p.NetworkPolicies()); len(ms) == 0 || !strings.Contains(ms[0].Why, "depends on the CNI") {
		t.Errorf("with no CNI profile the pod pairs on 8080 should depend: %v", ms)
	}
	p.CNI = netpol.Profiles["cilium"] // CIDR rules never match pods
	for _, m := range p.VerifyNetworkPolicies(nil, p.NetworkPolicies()) {
		t.Errorf("mismatch: %s", m)
	}
	f, _ := Parse("bad.yaml", []byte("apiVersion: guardrail.dev/v1alpha1\nkind: Intents\nintents:\n  - from: cidr:nope\n    to: shop/frontend\n    ports: [\"8080\"]\n  - from: ingress-controller ops/none\n    to: shop/frontend\n    ports: [\"8080\"]\n"))
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	_, errs := Resolve(f, "bad.yaml", inventory.New(res.Objects))
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "bad.yaml:4: intents[0].from") || !strings.Contains(errs[1].Error(), "no workload ops/none") {
		t.Errorf("errors: %v", errs)
	}
}

// TestIntentsFromLabelledNamespace: from: namespace:{...} opens a port to
// every pod of the namespaces with those labels (a monitoring stack the
// manifests do not hold), as a namespaceSelector; verification holds, and
// catches the rule widened to any namespace or dropped; namespace:* is
// refused (it would open the port to every namespace).
func TestIntentsFromLabelledNamespace(t *testing.T) {
	p := planFor(t, "", `  - from: namespace:{team=monitoring}
    to: shop/frontend
    ports: ["8080"]
`)
	if len(p.Inbound) != 1 || p.Inbound[0].Source() != "namespace:{team=monitoring}" || p.Inbound[0].To.ID() != "shop/Deployment/frontend" {
		t.Fatalf("inbound: %+v", p.Inbound)
	}
	gen := p.NetworkPolicies()
	var rule *networkingv1.NetworkPolicyIngressRule
	for _, np := range gen {
		if np.Name == "guardrail-ingress-deployment-frontend" {
			for i, r := range np.Spec.Ingress {
				if len(r.From) == 1 && r.From[0].NamespaceSelector != nil && r.From[0].PodSelector == nil {
					rule = &np.Spec.Ingress[i]
				}
			}
		}
	}
	if rule == nil || rule.From[0].NamespaceSelector.MatchLabels["team"] != "monitoring" || len(rule.Ports) != 1 || rule.Ports[0].Port.IntValue() != 8080 {
		t.Fatalf("no namespaceSelector rule for team=monitoring on 8080: %+v", gen)
	}
	for _, m := range p.VerifyNetworkPolicies(nil, gen) {
		t.Errorf("mismatch: %s", m)
	}
	messages := func() string {
		var all []string
		for _, m := range p.VerifyNetworkPolicies(nil, gen) {
			all = append(all, m.String())
		}
		return strings.Join(all, "\n")
	}
	rule.From[0].NamespaceSelector.MatchLabels = nil // any namespace
	if got := messages(); !strings.Contains(got, "namespace:* -> shop/Deployment/frontend 8080/TCP") {
		t.Errorf("a rule widened to every namespace not caught:\n%s", got)
	}
	rule.From[0].NamespaceSelector.MatchLabels = map[string]string{"team": "other"}
	if got := messages(); !strings.Contains(got, "namespace:{team=monitoring} -> shop/Deployment/frontend 8080/TCP: declared but not allowed") {
		t.Errorf("a rule for the wrong namespaces not caught:\n%s", got)
	}
	f, _ := Parse("bad.yaml", []byte("apiVersion: guardrail.dev/v1alpha1\nkind: Intents\nintents:\n  - from: namespace:*\n    to: shop/frontend\n    ports: [\"8080\"]\n"))
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	if _, errs := Resolve(f, "bad.yaml", inventory.New(res.Objects)); len(errs) != 1 || !strings.Contains(errs[0].Error(), "namespace:{key=value") {
		t.Errorf("namespace:* errors: %v", errs)
	}
}

// TestIstioKeepsTheEntryPoints: the allow-nothing mesh policy would shut
// out the LoadBalancer's clients and labelled namespaces; Istio() allows
// them by address and by namespace name, lets plain text in on exactly the
// public ports, and says what it cannot translate. VerifyIstio catches a
// dropped rule and a missing PERMISSIVE port.
func TestIstioKeepsTheEntryPoints(t *testing.T) {
	p := planFor(t, exposed, `  - from: namespace:{kubernetes.io/metadata.name=monitoring}
    to: shop/frontend
    ports: ["8080"]
  - from: namespace:{team=ops}
    to: shop/frontend
    ports: ["8080"]
`)
	rs := p.Istio()
	for _, m := range p.VerifyIstio(rs) {
		t.Errorf("mismatch: %s", m)
	}
	var ap, pa map[string]any
	for _, r := range rs {
		meta := r["metadata"].(map[string]any)
		if meta["name"] == "guardrail-deployment-frontend" {
			switch r["kind"] {
			case "AuthorizationPolicy":
				ap = r["spec"].(map[string]any)
			case "PeerAuthentication":
				pa = r["spec"].(map[string]any)
			}
		}
	}
	if ap == nil || pa == nil {
		t.Fatalf("frontend: AuthorizationPolicy %v, PeerAuthentication %v", ap, pa)
	}
	text := fmt.Sprint(ap["rules"])
	if !strings.Contains(text, "ipBlocks:[0.0.0.0/0]") || !strings.Contains(text, "namespaces:[monitoring]") || strings.Contains(text, "team") {
		t.Errorf("frontend rules: %s", text)
	}
	if levels := fmt.Sprint(pa["portLevelMtls"]); levels != "map[8080:map[mode:PERMISSIVE]]" {
		t.Errorf("portLevelMtls: %s", levels)
	}
	if len(p.IstioNotes) != 1 || !strings.Contains(p.IstioNotes[0], "namespace:{team=ops}") {
		t.Errorf("notes: %v", p.IstioNotes)
	}
	pa["portLevelMtls"] = map[string]any{}
	ap["rules"] = ap["rules"].([]any)[:len(ap["rules"].([]any))-2] // drop the inbound rules
	var all []string
	for _, m := range p.VerifyIstio(rs) {
		all = append(all, m.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{"internet -> shop/Deployment/frontend 8080/TCP", "namespace:{kubernetes.io/metadata.name=monitoring} -> shop/Deployment/frontend 8080/TCP", "STRICT mTLS refuses plain-text clients"} {
		if !strings.Contains(got, want) {
			t.Errorf("not caught: %s\n%s", want, got)
		}
	}
}
