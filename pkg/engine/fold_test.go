package engine_test

import (
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/manifest"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

const rootPod = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers:
  - name: a
    image: registry.example.com/a:1.0
    securityContext: {runAsUser: 0, runAsGroup: 0}
  - name: b
    image: registry.example.com/b:1.0
    securityContext: {runAsUser: 500, runAsNonRoot: true}
`

func scanWith(t *testing.T, doc string, disable ...string) []api.Finding {
	t.Helper()
	rs, _, err := rules.Select("zero-trust", nil, disable)
	if err != nil {
		t.Fatal(err)
	}
	loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(doc))).Load([]string{"-"})
	return engine.New(engine.WithRules(rs)).Scan(inventory.New(loaded.Objects)).Findings
}

func byRule(fs []api.Finding, id string) []api.Finding {
	var out []api.Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// TestOneFactOneFinding: runAsUser 0 is reported once, by pss-run-as-user,
// with container-low-uid riding along; the facts only container-low-uid
// states (GID 0, UID 500 of container b) stay; disabling the subsuming rule
// brings the subsumed finding back.
func TestOneFactOneFinding(t *testing.T) {
	fs := scanWith(t, rootPod)
	root := byRule(fs, "pss-run-as-user")
	if len(root) != 1 || strings.Join(root[0].Related, ",") != "container-low-uid" {
		t.Fatalf("pss-run-as-user findings = %+v", root)
	}
	var low []string
	for _, f := range byRule(fs, "container-low-uid") {
		low = append(low, f.Message)
	}
	want := []string{`container "a": runAsGroup 0 is the root group`,
		`container "b": runAsGroup is not set, so the image's group applies (often GID 0, the root group)`, `container "b": runAsUser 500 is below 10000`}
	if strings.Join(low, "|") != strings.Join(want, "|") {
		t.Errorf("container-low-uid kept %q, want %q", low, want)
	}

	fs = scanWith(t, rootPod, "pss-run-as-user")
	var back bool
	for _, f := range byRule(fs, "container-low-uid") {
		back = back || strings.Contains(f.Message, "runAsUser 0 is below")
	}
	if !back {
		t.Errorf("with pss-run-as-user disabled, container-low-uid must report runAsUser 0: %+v", byRule(fs, "container-low-uid"))
	}
}

// TestPlatformObjectsLeftOut: kube-root-ca.crt is Kubernetes' own object;
// a finding on it is not reported, counted or scored unless asked for.
func TestPlatformObjectsLeftOut(t *testing.T) {
	doc := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:controller:generic-garbage-collector
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: generic-garbage-collector, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: system:unauthenticated, apiGroup: rbac.authorization.k8s.io}
`
	loaded := manifest.NewLoader(manifest.WithStdin(strings.NewReader(doc))).Load([]string{"-"})
	inv := inventory.New(loaded.Objects)
	res := engine.New().Scan(inv)
	for _, f := range res.Findings {
		if f.Object.Name != "ops" {
			t.Errorf("platform object reported: %s %s", f.RuleID, f.Object)
		}
	}
	if len(res.Findings) == 0 || res.Summary.Platform == 0 {
		t.Fatalf("want the user's binding reported and platform findings counted apart: %+v", res.Summary)
	}
	all := engine.New(engine.WithIncludeSystem(true)).Scan(inv)
	platform := 0
	for _, f := range all.Findings {
		if f.Platform {
			platform++
			if f.Object.Name == "ops" {
				t.Errorf("user's binding marked platform")
			}
		}
	}
	if platform != res.Summary.Platform || all.Summary.AtOrAbove(api.SeverityInfo) != len(res.Findings) {
		t.Errorf("--include-system: %d platform findings shown (want %d), gate counts %d (want %d)", platform, res.Summary.Platform, all.Summary.AtOrAbove(api.SeverityInfo), len(res.Findings))
	}
}
