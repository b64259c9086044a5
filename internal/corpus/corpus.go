// Package corpus generates realistic, reproducible Kubernetes manifests for
// benchmarks: workloads of every kind (hardened and not), RBAC, Services,
// Ingresses, NetworkPolicies, ConfigMaps and Secrets, spread over namespaces.
package corpus

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Generator writes objects; the same seed gives the same corpus.
type Generator struct {
	rng *rand.Rand
	n   int
}

// New returns a generator seeded with seed.
func New(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// WriteDir writes n objects into dir as multi-document files of about 200
// objects each (one application per file, as repositories hold them). It
// returns the number of bytes written.
func (g *Generator) WriteDir(dir string, n int) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var total int64
	for file := 0; n > 0; file++ {
		batch := min(n, 200)
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("app-%04d.yaml", file)))
		if err != nil {
			return total, err
		}
		cw := &countWriter{w: f}
		err = g.Write(cw, batch)
		f.Close()
		total += cw.n
		if err != nil {
			return total, err
		}
		n -= batch
	}
	return total, nil
}

// Write writes n objects to w as one multi-document YAML stream.
func (g *Generator) Write(w io.Writer, n int) error {
	for i := 0; i < n; i++ {
		if _, err := io.WriteString(w, "---\n"+g.object()); err != nil {
			return err
		}
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// object picks a kind with roughly the mix of a real repository.
func (g *Generator) object() string {
	g.n++
	ns := fmt.Sprintf("team-%d", g.rng.IntN(60))
	name := fmt.Sprintf("svc-%d", g.n)
	switch r := g.rng.IntN(100); {
	case r < 22:
		return g.workload("apps/v1", "Deployment", ns, name)
	case r < 27:
		return g.workload("apps/v1", "StatefulSet", ns, name)
	case r < 30:
		return g.workload("apps/v1", "DaemonSet", ns, name)
	case r < 34:
		return g.workload("batch/v1", "Job", ns, name)
	case r < 38:
		return g.workload("batch/v1", "CronJob", ns, name)
	case r < 40:
		return g.workload("v1", "Pod", ns, name)
	case r < 41:
		return g.workload("apps/v1", "ReplicaSet", ns, name)
	case r < 55:
		return g.service(ns, name)
	case r < 63:
		return g.networkPolicy(ns, name)
	case r < 73:
		return g.configMap(ns, name)
	case r < 78:
		return g.secret(ns, name)
	case r < 83:
		return g.role(ns, name)
	case r < 90:
		return g.binding(ns, name)
	case r < 93:
		return g.ingress(ns, name)
	case r < 96:
		return fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: %s\nautomountServiceAccountToken: false\n", name, ns)
	default:
		return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s-%d\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n", ns, g.n)
	}
}

func (g *Generator) pick(opts ...string) string { return opts[g.rng.IntN(len(opts))] }

func (g *Generator) container(name string, hardened bool) string {
	var b strings.Builder
	img := g.pick("registry.example.com/"+name+":1.4.2", "nginx:latest", "registry.example.com/"+name+":2.0.1@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", "ghcr.io/example/"+name)
	fmt.Fprintf(&b, "      - name: %s\n        image: %s\n        ports:\n        - containerPort: 8080\n          name: http\n", name, img)
	b.WriteString("        env:\n        - name: LOG_LEVEL\n          value: info\n        - name: UPSTREAM_URL\n          value: http://backend.default.svc:8080\n")
	if g.rng.IntN(10) == 0 {
		b.WriteString("        - name: DB_PASSWORD\n          value: Sup3rS3cretValue\n")
	}
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "        - name: FEATURE_%d_ENABLED\n          value: \"%v\"\n", i, g.rng.IntN(2) == 0)
	}
	b.WriteString("        - name: POD_NAME\n          valueFrom:\n            fieldRef:\n              fieldPath: metadata.name\n")
	b.WriteString("        - name: DB_USER\n          valueFrom:\n            secretKeyRef:\n              name: db\n              key: user\n")
	b.WriteString("        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n          limits:\n            cpu: 500m\n            memory: 256Mi\n")
	b.WriteString("        livenessProbe:\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 10\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: http\n")
	b.WriteString("        volumeMounts:\n        - name: config\n          mountPath: /etc/app\n          readOnly: true\n        - name: tmp\n          mountPath: /tmp\n")
	if hardened {
		b.WriteString("        securityContext:\n          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n          capabilities:\n            drop: [ALL]\n")
	} else {
		fmt.Fprintf(&b, "        securityContext:\n          privileged: %v\n          capabilities:\n            add: [%s]\n", g.rng.IntN(4) == 0, g.pick("NET_ADMIN", "SYS_TIME", "CHOWN", "NET_BIND_SERVICE"))
	}
	return b.String()
}

func (g *Generator) podSpec(name, kind string) string {
	hardened := g.rng.IntN(3) > 0
	var b strings.Builder
	fmt.Fprintf(&b, "      serviceAccountName: %s\n", name)
	if kind == "Job" || kind == "CronJob" {
		b.WriteString("      restartPolicy: OnFailure\n")
	}
	if hardened {
		b.WriteString("      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n        runAsGroup: 10001\n        seccompProfile:\n          type: RuntimeDefault\n")
	} else if g.rng.IntN(4) == 0 {
		b.WriteString("      hostNetwork: true\n")
	}
	fmt.Fprintf(&b, "      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 100\n            podAffinityTerm:\n              topologyKey: kubernetes.io/hostname\n              labelSelector:\n                matchLabels:\n                  app: %s\n", name)
	b.WriteString("      tolerations:\n      - key: dedicated\n        operator: Equal\n        value: apps\n        effect: NoSchedule\n")
	b.WriteString("      containers:\n")
	b.WriteString(g.container(name, hardened))
	if g.rng.IntN(3) == 0 {
		b.WriteString(g.container(name+"-sidecar", hardened))
	}
	b.WriteString("      volumes:\n      - name: config\n        configMap:\n          name: " + name + "\n      - name: tmp\n        emptyDir: {}\n")
	if !hardened && g.rng.IntN(5) == 0 {
		b.WriteString("      - name: sock\n        hostPath:\n          path: /var/run/docker.sock\n")
	}
	return b.String()
}

// indent shifts a pod template block right by n spaces.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// dedent shifts a block left by n spaces.
func dedent(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = l[min(n, len(l)-len(strings.TrimLeft(l, " "))):]
	}
	return strings.Join(lines, "\n") + "\n"
}

func (g *Generator) workload(apiVersion, kind, ns, name string) string {
	head := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app: %s\n    team: %s\n  annotations:\n    owner: %s@example.com\n", apiVersion, kind, name, ns, name, ns, name)
	tmpl := fmt.Sprintf("  template:\n    metadata:\n      labels:\n        app: %s\n    spec:\n", name) + g.podSpec(name, kind)
	switch kind {
	case "Pod":
		return head + "spec:\n" + dedent(g.podSpec(name, kind), 4)
	case "CronJob":
		return head + "spec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n" + indent(tmpl, 4)
	case "Job":
		return head + "spec:\n  backoffLimit: 2\n" + tmpl
	case "DaemonSet":
		return head + fmt.Sprintf("spec:\n  selector:\n    matchLabels:\n      app: %s\n", name) + tmpl
	}
	return head + fmt.Sprintf("spec:\n  replicas: %d\n  selector:\n    matchLabels:\n      app: %s\n", 1+g.rng.IntN(5), name) + tmpl
}

func (g *Generator) service(ns, name string) string {
	typ := g.pick("ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer")
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  type: %s\n  selector:\n    app: svc-%d\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n", name, ns, typ, g.rng.IntN(g.n+1))
}

func (g *Generator) networkPolicy(ns, name string) string {
	if g.rng.IntN(3) == 0 {
		return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-%s\n  namespace: %s\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", name, ns)
	}
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s
  namespace: %s
spec:
  podSelector:
    matchLabels:
      app: svc-%d
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: team-%d
      podSelector:
        matchLabels:
          app: svc-%d
    ports:
    - port: 8080
      protocol: TCP
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
`, name, ns, g.rng.IntN(g.n+1), g.rng.IntN(60), g.rng.IntN(g.n+1))
}

func (g *Generator) configMap(ns, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: search,checkout,recommendations\n  application.yaml: |\n", name, ns)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "    section%d:\n      enabled: true\n      timeout: %ds\n      endpoint: http://svc-%d.%s.svc:8080/api/v1\n", i, 5+i, g.rng.IntN(g.n+1), ns)
	}
	if g.rng.IntN(8) == 0 {
		b.WriteString("    database:\n      password: Pr0d-P4ssw0rd!\n")
	}
	return b.String()
}

func (g *Generator) secret(ns, name string) string {
	if g.rng.IntN(2) == 0 {
		return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\ntype: Opaque\nstringData:\n  password: ${DB_PASSWORD}\n", name, ns)
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\ntype: Opaque\ndata:\n  user: YXBw\n  password: aHVudGVyMmh1bnRlcjI=\n", name, ns)
}

func (g *Generator) role(ns, name string) string {
	verbs := g.pick("[get, list, watch]", "[\"*\"]", "[get, list, watch, create, update, patch, delete]")
	res := g.pick("[configmaps, services]", "[secrets]", "[pods, pods/exec, pods/log]", "[deployments, replicasets]")
	grp := "\"\""
	if strings.Contains(res, "deployments") {
		grp = "apps"
	}
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s\n  namespace: %s\nrules:\n- apiGroups: [%s]\n  resources: %s\n  verbs: %s\n- apiGroups: [\"\"]\n  resources: [events]\n  verbs: [create, patch]\n", name, ns, grp, res, verbs)
}

func (g *Generator) binding(ns, name string) string {
	role := g.pick("Role/"+name, "ClusterRole/view", "ClusterRole/edit", "ClusterRole/cluster-admin")
	kind, rn, _ := strings.Cut(role, "/")
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %s\n  namespace: %s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\nsubjects:\n- kind: ServiceAccount\n  name: %s\n  namespace: %s\n- kind: Group\n  name: %s-devs\n  apiGroup: rbac.authorization.k8s.io\n", name, ns, kind, rn, name, ns, ns)
}

func (g *Generator) ingress(ns, name string) string {
	tls := ""
	if g.rng.IntN(2) == 0 {
		tls = fmt.Sprintf("  tls:\n  - hosts: [%s.example.com]\n    secretName: %s-tls\n", name, name)
	}
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n%s  rules:\n  - host: %s.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: 80\n", name, ns, tls, name, name)
}
