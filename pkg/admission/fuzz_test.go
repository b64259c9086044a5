package admission

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

// FuzzEnforceNeverAdmitsPrivileged: whatever else a pod spec holds, a pod
// with a privileged container is never admitted in enforce mode, and no
// input panics the handler. The fuzzer's JSON becomes the pod spec (the API
// server only sends objects that decode); the first container is then made
// privileged.
func FuzzEnforceNeverAdmitsPrivileged(f *testing.F) {
	for _, seed := range []string{
		`{"containers":[{"name":"c","image":"nginx"}]}`,
		`{"initContainers":[{"name":"i"}],"containers":[{"name":"c","securityContext":{"privileged":false,"capabilities":{"add":["SYS_ADMIN"]}}}],"hostNetwork":true}`,
		`{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"c","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],"volumes":[{"name":"v"}]}`,
		`{"ephemeralContainers":[{"name":"e","securityContext":{"privileged":true}}],"containers":[]}`,
	} {
		f.Add([]byte(seed))
	}
	h := handlerFor(f, "zero-trust", Enforce, api.SeverityHigh)
	f.Fuzz(func(t *testing.T, data []byte) {
		var spec corev1.PodSpec
		if json.Unmarshal(data, &spec) != nil {
			return
		}
		if len(spec.Containers) == 0 {
			spec.Containers = []corev1.Container{{Name: "c"}}
		}
		priv := true
		if spec.Containers[0].SecurityContext == nil {
			spec.Containers[0].SecurityContext = &corev1.SecurityContext{}
		}
		spec.Containers[0].SecurityContext.Privileged = &priv
		pod, err := json.Marshal(corev1.Pod{TypeMeta: typeMetaPod, Spec: spec})
		if err != nil {
			return
		}
		out, err := h.Review(context.Background(), HookEnforce, reviewOf(t, pod, "prod"))
		if err != nil {
			t.Fatalf("review error: %v", err)
		}
		if out.Response.Allowed {
			t.Fatalf("privileged pod admitted in enforce mode: %s", pod)
		}
	})
}
