package cluster

import (
	"fmt"
	"strings"
)

// ScannerRole renders deploy/scanner/clusterrole.yaml from Resources: list,
// and nothing else, on exactly the kinds a live scan reads, Secrets in a
// role of their own. The file is generated so that a kind added to the
// table is granted with it (TestScannerRoleFileIsGenerated fails on a
// stale file; `go test ./pkg/cluster -run ScannerRoleFile -update`
// rewrites it).
func ScannerRole() string {
	var groups []string
	byGroup := map[string][]string{}
	var secrets []string
	for _, r := range Resources {
		if r.Sensitive {
			secrets = append(secrets, r.GVR.Resource)
			continue
		}
		g := r.GVR.Group
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], r.GVR.Resource)
	}
	var b strings.Builder
	b.WriteString(`# Generated from pkg/cluster/resources.go by ScannerRole; do not edit.
# Read-only permissions for guardrail scan --live: list, and nothing else,
# on exactly the kinds the scan reads. Secrets are in the separate role
# below, bound only where --include-secrets is used.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: guardrail-scanner
  labels:
    app.kubernetes.io/name: guardrail
rules:
`)
	for _, g := range groups {
		name := g
		if name == "" {
			name = `""`
		}
		fmt.Fprintf(&b, "- apiGroups: [%s]\n  resources: [%s]\n  verbs: [list]\n", name, strings.Join(byGroup[g], ", "))
	}
	fmt.Fprintf(&b, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: guardrail-scanner-secrets
  labels:
    app.kubernetes.io/name: guardrail
  annotations:
    exception.guardrail.dev/rbac-secret-read: "the certificate and annotation checks read Secrets; bind only for --include-secrets scans"
rules:
- apiGroups: [""]
  resources: [%s]
  verbs: [list]
---
# Optional: lets the scan read each kubelet's effective configuration
# (configz) through the API server. nodes/proxy reaches the kubelet API, so
# bind it only to the scanner's identity.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: guardrail-scanner-kubelet
  labels:
    app.kubernetes.io/name: guardrail
  annotations:
    exception.guardrail.dev/rbac-nodes-proxy: "reads /configz only; the kubelet checks need it; bind only to the scanner"
rules:
- apiGroups: [""]
  resources: [nodes/proxy]
  verbs: [get]
`, strings.Join(secrets, ", "))
	return b.String()
}
