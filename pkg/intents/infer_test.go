package intents

import (
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// TestInferThenGenerate infers intents from the fixture's environment and
// ConfigMaps, then checks the printed file parses, resolves and yields
// policies that allow exactly those calls.
func TestInferThenGenerate(t *testing.T) {
	res := manifest.NewLoader().Load([]string{"testdata/app.yaml"})
	inv := inventory.New(res.Objects)
	got := Infer(inv)
	var lines []string
	for _, in := range got {
		lines = append(lines, in.From+" > "+in.To+" "+strings.Join(in.Ports, ","))
	}
	want := []string{
		"shop/Deployment/api > data/Service/db 5432",     // envFrom ConfigMap DB_HOST
		"shop/Deployment/frontend > shop/Service/api 80", // http://api/v1: bare name after a scheme
		"shop/Deployment/reports > data/Service/db 5432", // mounted application.properties; its unmounted key names api
		"shop/Deployment/worker > data/Service/db 5432",  // postgres://db.data:5432
	} // not: "ask the api team" (free text), api.shop:9102 (no such Service port)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("inferred:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	text := Marshal(got)
	if !strings.Contains(string(text), "# container api envFrom ConfigMap api-config key DB_HOST names db.data.svc.cluster.local") {
		t.Errorf("evidence missing:\n%s", text)
	}
	f, err := Parse("inferred.yaml", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	p, errs := Resolve(f, "inferred.yaml", inv)
	if !strings.Contains(string(text), "# container reports file /etc/reports/app.properties (ConfigMap reports-config key application.properties) names db.data.svc:5432") {
		t.Errorf("file evidence missing:\n%s", text)
	}
	if len(errs) > 0 || len(p.Flows) != 4 {
		t.Fatalf("resolve: %v, %d flows", errs, len(p.Flows))
	}
	for _, m := range p.VerifyNetworkPolicies(nil, p.NetworkPolicies()) {
		t.Errorf("mismatch: %s", m)
	}
}

func TestReferences(t *testing.T) {
	for v, want := range map[string]string{
		"http://api.shop:8080/v1":   "api.shop:8080:true v1:false",
		"db.data.svc:5432,cache:63": "db.data.svc:5432:true cache:63:true",
		"api":                       "api:true",
		"the api":                   "the:false api:false",
	} {
		var got []string
		for _, r := range references(v) {
			s := r.host
			if r.port != 0 {
				s += ":" + itoa(r.port)
			}
			if r.explicit {
				s += ":true"
			} else {
				s += ":false"
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q: got %q, want %q", v, strings.Join(got, " "), want)
		}
	}
}
