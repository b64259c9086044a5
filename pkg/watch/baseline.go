package watch

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/guardrail-k8s/guardrail/pkg/engine"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BaselineKey is the ConfigMap key that holds an approved baseline, in
// the format of `guardrail scan --write-baseline`.
const BaselineKey = "baseline.json"

// baselineSource reads the approved baseline from a ConfigMap on every
// pass; a missing ConfigMap means no baseline, a bad one keeps the last
// good one and says so (an error result in the cluster report).
type baselineSource struct {
	namespace, name string
	last            *engine.Baseline
	problem         string
}

func newBaselineSource(ref string) (*baselineSource, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("baseline ConfigMap %q: write NAMESPACE/NAME", ref)
	}
	return &baselineSource{namespace: ns, name: name}, nil
}

func (b *baselineSource) get(ctx context.Context, w *Watcher) *engine.Baseline {
	// The ConfigMaps informer holds it (and its change triggers a pass);
	// without that informer it is read from the API server.
	var cm *corev1.ConfigMap
	found := false
	for _, s := range w.sources {
		if s.res.GVR.Resource != "configmaps" {
			continue
		}
		item, exists, err := s.informer.GetStore().GetByKey(b.namespace + "/" + b.name)
		if err == nil && exists {
			cm, found = item.(*corev1.ConfigMap)
		}
		if err == nil {
			return b.parse(cm, found)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, err := w.client.CoreV1().ConfigMaps(b.namespace).Get(rctx, b.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return b.parse(nil, false)
	case err != nil:
		b.problem = fmt.Sprintf("baseline ConfigMap %s/%s not read: %v (the last one read is used)", b.namespace, b.name, err)
		return b.last
	}
	return b.parse(got, true)
}

// parse reads the baseline of a ConfigMap (none when it does not exist).
func (b *baselineSource) parse(cm *corev1.ConfigMap, found bool) *engine.Baseline {
	if !found || cm == nil {
		b.last, b.problem = nil, ""
		return nil
	}
	bl, err := engine.ReadBaseline(bytes.NewReader([]byte(cm.Data[BaselineKey])))
	if err != nil {
		b.problem = fmt.Sprintf("baseline ConfigMap %s/%s key %s: %v (the last good one is used)", b.namespace, b.name, BaselineKey, err)
		return b.last
	}
	b.last, b.problem = bl, ""
	return bl
}
