package admission

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/config"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	"github.com/guardrail-k8s/guardrail/pkg/workload"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

func handlerFor(t testing.TB, profile string, mode Mode, failOn api.Severity) *Handler {
	rs, p, err := rules.Select(profile, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := rules.DefaultSettings()
	s.PSSLevel = p.PSSLevel
	return &Handler{Engine: NewEngine(engine.WithRules(AdmissionRules(rs)), engine.WithSettings(s), engine.WithAnnotationExceptions(false)),
		Policy: Policy{Default: mode}, FailOn: failOn}
}

func reviewOf(t testing.TB, obj []byte, ns string) []byte {
	b, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: types.UID("u1"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Namespace: ns, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: obj}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func privilegedPod() []byte {
	return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true}}]}}`)
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode    Mode
		allowed bool
	}{{Enforce, false}, {Warn, true}, {Audit, true}} {
		h := handlerFor(t, "zero-trust", tc.mode, api.SeverityHigh)
		var got Decision
		h.Record = func(d Decision) { got = d }
		out, err := h.Review(context.Background(), HookDefault, reviewOf(t, privilegedPod(), "shop"))
		if err != nil {
			t.Fatal(err)
		}
		r := out.Response
		if r.UID != "u1" || r.Allowed != tc.allowed || got.Mode != tc.mode || len(got.Findings) == 0 {
			t.Fatalf("%s: response %+v decision %+v", tc.mode, r, got)
		}
		switch tc.mode {
		case Enforce:
			if !strings.Contains(r.Result.Message, "[critical pss-privileged] privileged: container \"c\" must not set securityContext.privileged=true (field spec.containers[0].securityContext.privileged)") {
				t.Errorf("denial message: %s", r.Result.Message)
			}
		case Warn:
			if len(r.Warnings) == 0 || !strings.Contains(strings.Join(r.Warnings, "\n"), "pss-privileged") {
				t.Errorf("warnings: %v", r.Warnings)
			}
		case Audit:
			if !strings.Contains(r.AuditAnnotations["findings"], "pss-privileged") || len(r.Warnings) > 0 {
				t.Errorf("audit: %+v", r)
			}
		}
	}
}

// TestHookChoosesMode: the hook the API server called says the mode; the
// default hook decides by name alone (config patterns, then the default),
// so a cold namespace cache can never weaken a decision.
func TestHookChoosesMode(t *testing.T) {
	h := handlerFor(t, "zero-trust", Warn, api.SeverityHigh)
	h.Policy.Namespaces = []NamespaceMode{{Pattern: "dev-*", Mode: Audit}, {Pattern: "prod-*", Mode: Enforce}}
	h.Policy.Cluster = Enforce
	for _, tc := range []struct {
		hook Hook
		ns   string
		want Mode
	}{
		{HookEnforce, "dev-1", Enforce}, {HookWarn, "prod-1", Warn}, {HookAudit, "x", Audit},
		{HookDefault, "prod-1", Enforce}, {HookDefault, "dev-1", Audit}, {HookDefault, "other", Warn},
		{HookCluster, "", Enforce},
	} {
		var got Decision
		h.Record = func(d Decision) { got = d }
		out, err := h.Review(context.Background(), tc.hook, reviewOf(t, privilegedPod(), tc.ns))
		if err != nil || got.Mode != tc.want || out.Response.Allowed != (tc.want != Enforce) {
			t.Errorf("%s %s: mode %s allowed=%v err=%v, want %s", tc.hook, tc.ns, got.Mode, out.Response.Allowed, err, tc.want)
		}
	}
	// A label value that is not a mode is read as enforce.
	if m := h.Policy.ModeFor("dev-1", map[string]string{ModeLabel: "Enforce"}); m != Enforce {
		t.Errorf("invalid label: %s", m)
	}
	h.Exempt = []string{"kube-system"}
	if out, _ := h.Review(context.Background(), HookEnforce, reviewOf(t, privilegedPod(), "kube-system")); !out.Response.Allowed {
		t.Error("an exempt namespace is not judged")
	}
}

func TestMalformedReviewIsAnError(t *testing.T) {
	h := handlerFor(t, "zero-trust", Enforce, api.SeverityHigh)
	for _, body := range []string{"", "{", `{"kind":"AdmissionReview"}`, "[1,2]"} {
		if _, err := h.Review(context.Background(), HookDefault, []byte(body)); err == nil {
			t.Errorf("%q: no error", body)
		}
	}
	// An object Guardrail cannot read is denied in enforce, admitted with
	// a warning elsewhere.
	bad := reviewOf(t, []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"x"}}`), "shop")
	out, err := h.Review(context.Background(), HookEnforce, bad)
	if err != nil || out.Response.Allowed || !strings.Contains(out.Response.Result.Message, "could not read the object") {
		t.Errorf("unreadable object in enforce: %+v %v", out, err)
	}
	out, err = h.Review(context.Background(), HookWarn, bad)
	if err != nil || !out.Response.Allowed || len(out.Response.Warnings) != 1 {
		t.Errorf("unreadable object in warn: %+v %v", out, err)
	}
}

// TestRestrictedModeMatchesUpstreamPodSecurity sends every pod of the
// upstream Pod Security test data (every version's restricted and baseline
// fixtures) through the handler in enforce mode with the pss-restricted
// profile: it must deny exactly the pods the official restricted level
// (latest version) denies.
func TestRestrictedModeMatchesUpstreamPodSecurity(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "test", "testdata", "*", "*", "*", "*.yaml"))
	official, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := handlerFor(t, "pss-restricted", Enforce, api.SeverityInfo)
	denied := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		var pod corev1.Pod
		if err := json.Unmarshal(js, &pod); err != nil {
			t.Fatal(err)
		}
		// Webhooks see the object after the API server's defaulting (a
		// volume without a source becomes emptyDir): judge that object.
		workload.FromPodSpec(&pod.ObjectMeta, &pod.Spec, "spec")
		agg := policy.AggregateCheckResults(official.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &pod.ObjectMeta, &pod.Spec))
		rv, err := h.Review(context.Background(), HookDefault, reviewOf(t, js, "ns"))
		if err != nil {
			t.Fatal(err)
		}
		if rv.Response.Allowed != agg.Allowed {
			t.Errorf("%s: webhook allowed=%v, official restricted allowed=%v (%s)", f, rv.Response.Allowed, agg.Allowed, agg.ForbiddenReason())
		}
		if !agg.Allowed {
			denied++
		}
	}
	t.Logf("%d upstream pods: webhook and official restricted agree (%d denied)", len(files), denied)
}

var typeMetaPod = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}

// TestExceptionsAtAdmissionAreTheScanOnes: the webhook's engine takes the
// same config exceptions, with the same expiry, and ignores the object's own
// exception annotation unless the operator allows it.
func TestExceptionsAtAdmissionAreTheScanOnes(t *testing.T) {
	cfg, err := config.Parse("t", []byte(`
exceptions:
- rules: [pss-privileged, container-dangerous-capabilities]
  namespaces: [cni]
  reason: CNI agent
- rules: [pss-privileged]
  namespaces: [legacy]
  reason: migration
  expires: 2020-01-01
`))
	if err != nil {
		t.Fatal(err)
	}
	rs, p, _ := rules.Select("pss-baseline", nil, nil)
	s := rules.DefaultSettings()
	s.PSSLevel = p.PSSLevel
	mk := func(annotations bool) *Handler {
		return &Handler{Engine: NewEngine(engine.WithRules(AdmissionRules(rs)), engine.WithSettings(s), engine.WithExceptions(cfg.Exceptions),
			engine.WithAnnotationExceptions(annotations)), Policy: Policy{Default: Enforce}, FailOn: api.SeverityHigh}
	}
	h := mk(false)
	for ns, want := range map[string]bool{"cni": true, "legacy": false, "shop": false} {
		out, _ := h.Review(context.Background(), HookDefault, reviewOf(t, privilegedPod(), ns))
		if out.Response.Allowed != want {
			t.Errorf("namespace %s: allowed=%v, want %v", ns, out.Response.Allowed, want)
		}
	}
	annotated := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"exception.guardrail.dev/pss-privileged":"trust me"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true}}]}}`)
	if out, _ := h.Review(context.Background(), HookDefault, reviewOf(t, annotated, "shop")); out.Response.Allowed {
		t.Error("an object must not except itself at admission by default")
	}
	if out, _ := mk(true).Review(context.Background(), HookDefault, reviewOf(t, annotated, "shop")); !out.Response.Allowed {
		t.Error("with annotation exceptions allowed by the operator, the annotation applies")
	}
}
