package rules

import (
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kubeletSkew is how many minors a kubelet may trail the API server
// (Kubernetes version skew policy since 1.28); it may never be newer.
const kubeletSkew = 3

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "node-kubelet-version", Title: "Kubelet out of support or beyond the version skew", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "A kubelet on an end-of-life minor gets no security fixes, and one outside the supported skew (newer than the API server, or more than three minors older) runs untested against it: the node agent is the boundary between pods and the host.",
			Remediation: "Upgrade (or replace) the node so its kubelet is a supported minor no newer than the API server and at most three minors older.",
			Example:     "# kubeadm upgrade node && systemctl restart kubelet\n# or roll the node pool to the control plane's version",
			References:  []api.Reference{cis("4.2", "Kubelet"), mitre("T1190", "Exploit Public-Facing Application")},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindNode},
		CrossObject:    true, // compares with the API server's version
		Reads:          everywhere(kindClusterInfo),
		Check: func(in *Input) []Violation {
			n, ok := in.Object.Obj.(*corev1.Node)
			if !ok {
				return nil
			}
			kv := n.Status.NodeInfo.KubeletVersion
			minor, _, ok := parseVersion(kv)
			if !ok {
				return nil
			}
			const field = "status.nodeInfo.kubeletVersion"
			if eol, known := endOfLife(minor); minor < oldestKnownMinor || (known && in.Settings.Now.After(eol)) {
				return []Violation{{Message: fmt.Sprintf("kubelet %s: Kubernetes 1.%d is out of support", kv, minor), Field: field}}
			}
			for _, info := range in.Inventory.ByKind(kindClusterInfo) {
				sv := serverVersion(&Input{Object: info})
				sm, _, ok := parseVersion(sv)
				switch {
				case !ok:
				case minor > sm:
					return []Violation{{Message: fmt.Sprintf("kubelet %s is newer than the API server %s: not supported", kv, sv), Field: field}}
				case sm-minor > kubeletSkew:
					return []Violation{{Message: fmt.Sprintf("kubelet %s is %d minors behind the API server %s (at most %d are supported)", kv, sm-minor, sv, kubeletSkew), Field: field}}
				}
			}
			return nil
		},
	})
}
