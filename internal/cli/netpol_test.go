package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const netpolBase = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "api:1", ports: [{containerPort: 8080, name: http}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`

const netpolOpen = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-to-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}]
`

func TestNetpolCommands(t *testing.T) {
	dir := t.TempDir()
	oldDir, newDir := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	os.MkdirAll(oldDir, 0o755)
	os.MkdirAll(newDir, 0o755)
	os.WriteFile(filepath.Join(oldDir, "app.yaml"), []byte(netpolBase), 0o644)
	os.WriteFile(filepath.Join(newDir, "app.yaml"), []byte(netpolBase+netpolOpen), 0o644)

	code, out, _ := run(t, "", "netpol", "matrix", newDir)
	if code != 0 || !strings.Contains(out, "shop/Deployment/web  shop/Deployment/api  8080/TCP  allow") || strings.Contains(out, "shop/Deployment/api  shop/Deployment/web") {
		t.Errorf("matrix: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "shop/Deployment/web", "shop/Deployment/api", "8080", "-f", newDir)
	if code != 0 || !strings.Contains(out, ": allow") || !strings.Contains(out, "allowed by shop/web-to-api ingress[0] (allow)") {
		t.Errorf("explain: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "shop/Deployment/api", "shop/Deployment/web", "80", "-f", newDir)
	if code != 0 || !strings.Contains(out, ": deny") || !strings.Contains(out, "isolated by shop/deny") {
		t.Errorf("explain deny: %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "diff", oldDir, newDir, "--fail-on-added")
	if code != ExitFindings || !strings.Contains(out, "+ shop/Deployment/web -> shop/Deployment/api 8080/TCP (allow)") || !strings.Contains(out, "1 connections added, 0 removed") {
		t.Errorf("diff: %d\n%s", code, out)
	}
	if code, _, _ := run(t, "", "netpol", "diff", newDir, oldDir, "--fail-on-added"); code != 0 {
		t.Errorf("removing a connection must pass the gate, exit %d", code)
	}
	code, out, _ = run(t, "", "netpol", "matrix", newDir, "-o", "mermaid")
	if code != 0 || !strings.Contains(out, `-->|8080/TCP|`) {
		t.Errorf("mermaid: %s", out)
	}
}
