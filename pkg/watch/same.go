package watch

import (
	"slices"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// sameFinding says whether two findings say the same in every field, so
// that a pass can keep the last pass's Tracked. Written out rather than
// reflect.DeepEqual: it runs once per finding and pass, and strings the
// engine shares compare by pointer first. TestSameFindingComparesEveryField
// fails when api.Finding gains a field this does not compare.
func sameFinding(a, b *api.Finding) bool {
	if a == b {
		return true // the engine's cached finding, unchanged
	}
	return a.RuleID == b.RuleID && a.Title == b.Title && a.Severity == b.Severity && a.Category == b.Category &&
		a.Message == b.Message && a.Object == b.Object && a.Container == b.Container && a.Field == b.Field &&
		a.Location == b.Location && a.Fingerprint == b.Fingerprint && a.Note == b.Note &&
		slices.Equal(a.Related, b.Related) && a.Platform == b.Platform && sameSuppression(a.Suppressed, b.Suppressed)
}

func sameSuppression(a, b *api.Suppression) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
