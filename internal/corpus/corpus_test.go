package corpus

import (
	"bytes"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/manifest"
)

// TestCorpusDecodesCleanly keeps the generator honest: every object it
// writes must decode without a problem, or the benchmarks measure errors.
func TestCorpusDecodesCleanly(t *testing.T) {
	var buf bytes.Buffer
	if err := New(1).Write(&buf, 2000); err != nil {
		t.Fatal(err)
	}
	r := manifest.NewLoader(manifest.WithStdin(strings.NewReader(buf.String()))).Load([]string{"-"})
	if len(r.Problems) > 0 {
		t.Fatalf("%d problems, first: %v", len(r.Problems), r.Problems[0])
	}
	if len(r.Objects) != 2000 {
		t.Fatalf("objects = %d", len(r.Objects))
	}
	kinds := map[string]int{}
	for _, o := range r.Objects {
		kinds[o.GVK.Kind]++
	}
	for _, k := range []string{"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet", "Service", "NetworkPolicy", "ConfigMap", "Secret", "Role", "RoleBinding", "Ingress", "ServiceAccount", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the corpus", k)
		}
	}
	var again bytes.Buffer
	New(1).Write(&again, 2000)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("same seed, different corpus")
	}
	t.Logf("%d bytes for 2000 objects (%.0f bytes/object)", buf.Len(), float64(buf.Len())/2000)
}
