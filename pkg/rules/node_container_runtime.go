package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// runtimeFixes lists, per container runtime and minor line, the first
// release with the container-escape fixes below; lines older than the
// oldest listed are out of support. As of 2026-12-03, from the projects'
// advisories:
//   - containerd 1.6.28, 1.7.13: bundle runc 1.1.12 (CVE-2024-21626,
//     "Leaky Vessels": a process escapes through a leaked host file
//     descriptor); 1.6 reached end of life in 2025, 2.x ships the fix.
//   - CRI-O 1.19.6, 1.20.7, 1.21.6, 1.22.3, 1.23.2: CVE-2022-0811
//     ("cr8escape": kernel parameters set through pinns give root on the
//     node); later lines ship the fix.
var runtimeFixes = map[string]struct {
	oldest string            // oldest supported minor line
	fixed  map[string]string // minor line -> first fixed release
	cves   string
}{
	"containerd": {oldest: "1.7", fixed: map[string]string{"1.6": "1.6.28", "1.7": "1.7.13"}, cves: "CVE-2024-21626"},
	"cri-o":      {oldest: "1.23", fixed: map[string]string{"1.19": "1.19.6", "1.20": "1.20.7", "1.21": "1.21.6", "1.22": "1.22.3", "1.23": "1.23.2"}, cves: "CVE-2022-0811"},
}

func init() {
	register(Rule{
		RuleInfo: api.RuleInfo{
			ID: "node-container-runtime", Title: "Container runtime with known escape fixes missing", Severity: api.SeverityHigh, Category: api.CategoryHardening,
			Rationale:   "The container runtime enforces the container boundary; releases before the fixes of CVE-2024-21626 (containerd's bundled runc) or CVE-2022-0811 (CRI-O) let a container's process reach the host.",
			Remediation: "Upgrade the node's container runtime to a fixed release of a supported line (containerd 1.7.13 or 2.x, CRI-O 1.23.2 or later), or roll the node pool to an image that ships one.",
			Example:     "# status.nodeInfo.containerRuntimeVersion: containerd://1.7.13 or later",
			References:  []api.Reference{mitreEscape},
		},
		JudgesPlatform: true,
		Scope:          ScopeObject,
		Kinds:          []schema.GroupKind{kindNode},
		Check: func(in *Input) []Violation {
			n, ok := in.Object.Obj.(*corev1.Node)
			if !ok {
				return nil
			}
			rv := n.Status.NodeInfo.ContainerRuntimeVersion
			name, ver, ok := strings.Cut(rv, "://")
			fx, known := runtimeFixes[name]
			if !ok || !known {
				return nil
			}
			ver = strings.TrimPrefix(ver, "v")
			line := minorLine(ver)
			const field = "status.nodeInfo.containerRuntimeVersion"
			if line == "" {
				return nil
			}
			if older(line+".0", fx.oldest+".0") {
				return []Violation{{Message: fmt.Sprintf("%s %s: the %s line is out of support", name, ver, line), Field: field}}
			}
			if first, ok := fx.fixed[line]; ok && older(ver, first) {
				return []Violation{{Message: fmt.Sprintf("%s %s is older than %s, which fixes %s (container escape)", name, ver, first, fx.cves), Field: field}}
			}
			return nil
		},
	})
}

// minorLine returns "1.7" of "1.7.13-1" ("" when it is not a version).
func minorLine(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "." + parts[1]
}

// older compares dotted versions numerically ("1.6.9" < "1.6.28"); a
// suffix (-rc1, +build) is ignored.
func older(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func versionParts(v string) [3]int {
	var out [3]int
	for i, p := range strings.SplitN(v, ".", 3) {
		if j := strings.IndexAny(p, "-+~"); j >= 0 {
			p = p[:j]
		}
		out[i], _ = strconv.Atoi(p)
	}
	return out
}
