package admission

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
)

// FuzzEnforceNeverAdmitsPrivileged: whatever else a pod holds, metadata
// included (labels, annotations, owner references, managedFields of any
// depth), a pod with a privileged container is never admitted in enforce
// mode, and no input panics the handler. The fuzzer's JSON becomes the
// whole pod (the API server only sends objects that decode); the first
// container is then made privileged. Seeds that are a bare spec are read
// as one, so the corpus from before still runs.
func FuzzEnforceNeverAdmitsPrivileged(f *testing.F) {
	for _, seed := range []string{
		`{"containers":[{"name":"c","image":"nginx"}]}`,
		`{"initContainers":[{"name":"i"}],"containers":[{"name":"c","securityContext":{"privileged":false,"capabilities":{"add":["SYS_ADMIN"]}}}],"hostNetwork":true}`,
		`{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"c","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],"volumes":[{"name":"v"}]}`,
		`{"ephemeralContainers":[{"name":"e","securityContext":{"privileged":true}}],"containers":[]}`,
		`{"metadata":{"name":"p","annotations":{"exception.guardrail.dev/pss-privileged":"x"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r","uid":"u","controller":true}],"managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:a":{"f:b":{"f:c":{}}}}}]},"spec":{"containers":[{"name":"c"}]}}`,
		`{"metadata":{"labels":{"a":"b"},"finalizers":["x/y"]},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"nginx"}]}}`,
	} {
		f.Add([]byte(seed))
	}
	h := handlerFor(f, "zero-trust", Enforce, api.SeverityHigh)
	f.Fuzz(func(t *testing.T, data []byte) {
		var pod corev1.Pod
		if json.Unmarshal(data, &pod) != nil {
			return
		}
		if pod.Spec.Containers == nil && pod.Spec.InitContainers == nil && pod.Spec.EphemeralContainers == nil {
			_ = json.Unmarshal(data, &pod.Spec) // a bare spec
		}
		spec := pod.Spec
		if len(spec.Containers) == 0 {
			spec.Containers = []corev1.Container{{Name: "c"}}
		}
		priv := true
		if spec.Containers[0].SecurityContext == nil {
			spec.Containers[0].SecurityContext = &corev1.SecurityContext{}
		}
		spec.Containers[0].SecurityContext.Privileged = &priv
		pod.TypeMeta, pod.Spec = typeMetaPod, spec
		obj, err := json.Marshal(pod)
		if err != nil {
			return
		}
		out, err := h.Review(context.Background(), HookEnforce, reviewOf(t, obj, "prod"))
		if err != nil {
			t.Fatalf("review error: %v", err)
		}
		if out.Response.Allowed {
			t.Fatalf("privileged pod admitted in enforce mode: %s", obj)
		}
	})
}
