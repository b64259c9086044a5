package engine

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/guardrail-k8s/guardrail/pkg/api"
)

// Fingerprint identifies a finding by what it is about, not where it was
// written: rule, object identity (group, kind, namespace, name), container
// and the rule's stable key. Moving documents between files, reordering
// them, or editing unrelated fields keeps it unchanged.
func Fingerprint(ruleID, group string, obj api.ObjectRef, container, key string) string {
	h := sha256.New()
	for _, s := range []string{ruleID, group, obj.Kind, obj.Namespace, obj.Name, container, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}
