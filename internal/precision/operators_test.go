package precision

import (
	"github.com/guardrail-k8s/guardrail/internal/upstream"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"path/filepath"
	"testing"
)

// operators are real operators' Helm charts and kustomize trees, shipped
// in the modules the Go module proxy serves (sigs.k8s.io projects that
// nobody on this team wrote), rendered and built in-process as a user's
// `guardrail scan CHART` would.
var operators = []struct{ module, root string }{
	{"sigs.k8s.io/metrics-server@v0.8.0", "charts/metrics-server"},
	{"sigs.k8s.io/metrics-server@v0.8.0", "manifests/base"},
	{"sigs.k8s.io/kueue@v0.17.0", "charts/kueue"},
	{"sigs.k8s.io/kueue@v0.17.0", "config/default"},
	{"sigs.k8s.io/external-dns@v0.19.0", "charts/external-dns"},
	{"sigs.k8s.io/external-dns@v0.19.0", "kustomize"},
	{"sigs.k8s.io/jobset@v0.10.1", "charts/jobset"},
	{"sigs.k8s.io/jobset@v0.10.1", "config/default"},
	{"sigs.k8s.io/node-feature-discovery@v0.18.2", "deployment/helm/node-feature-discovery"},
}

// TestPrecisionOperators checks every finding at or above medium on the
// operators' charts and kustomizations against testdata/operators.yaml,
// as TestPrecisionCorpus does for Kubernetes' own manifests.
func TestPrecisionOperators(t *testing.T) {
	for _, op := range operators {
		t.Run(op.module+"/"+op.root, func(t *testing.T) {
			dir := upstream.Module(t, op.module)
			judge(t, "testdata/operators.yaml", op.module, dir, []string{filepath.Join(dir, op.root)}, band{min: api.SeverityMedium, sample: 1})
		})
	}
}
