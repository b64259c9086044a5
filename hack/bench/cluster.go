package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// benchCluster loads a cluster of the size the live-scan target names into
// the test control plane and times `guardrail scan --live` on it.
func benchCluster(bin string, runs int, pods, namespaces, bindings, policies, services int) {
	ctx := context.Background()
	tc, client, stop := startCluster(ctx)
	defer stop()
	start := time.Now()
	check(load(ctx, client, pods, namespaces, bindings, policies, services, 0))
	fmt.Printf("loaded %d pods in %d namespaces, %d role bindings, %d network policies, %d services in %.1f s\n\n",
		pods, namespaces, bindings, policies, services, time.Since(start).Seconds())
	fmt.Println("| objects | wall (median) | peak RSS |")
	fmt.Println("|---:|---:|---:|")
	var walls []time.Duration
	var rss int64
	for r := 0; r < runs; r++ {
		cmd := exec.Command(bin, "scan", "--live", "--kubeconfig", tc.Kubeconfig, "-o", "json", "--fail-on", "none")
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		cmd.Stdout, cmd.Stderr = devnull, os.Stderr
		t := time.Now()
		check(cmd.Run())
		walls = append(walls, time.Since(t))
		devnull.Close()
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = max(rss, u.Maxrss)
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	total := pods + namespaces*2 + bindings + policies + services
	fmt.Printf("| %d | %.2f s | %.0f MB |\n", total, walls[len(walls)/2].Seconds(), float64(rss)/1024)
}

// startCluster starts the test control plane in a temporary directory;
// stop stops it and removes the directory.
func startCluster(ctx context.Context) (tc *testcluster.Cluster, client *kubernetes.Clientset, stop func()) {
	dir, err := os.MkdirTemp("", "guardrail-bench-cluster")
	check(err)
	tc, err = testcluster.Start(ctx, dir)
	check(err)
	client, err = tc.Client()
	check(err)
	return tc, client, func() { tc.Stop(); os.RemoveAll(dir) }
}

// load creates the objects with bounded concurrency.
// With perOwner > 0, every perOwner pods of a namespace are owned by one
// ReplicaSet with their template, as a Deployment's are (no controller
// runs: the pods are created as it would create them); else they are bare.
func load(ctx context.Context, c *kubernetes.Clientset, pods, namespaces, bindings, policies, services, perOwner int) error {
	type job func() error
	jobs := make(chan job, 256)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := j(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	ns := func(i int) string { return fmt.Sprintf("team-%03d", i%namespaces) }
	for i := 0; i < namespaces; i++ {
		name := ns(i)
		if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		jobs <- func() error {
			_, err := c.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
			return err
		}
	}
	wg2 := func() { close(jobs); wg.Wait() }
	spec := func(priv bool) corev1.PodSpec {
		return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/app:1.0",
			Env:             []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
			SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}
	}
	// owner is pod i's ReplicaSet, created before its pods.
	owners := map[string]*appsv1.ReplicaSet{}
	owner := func(i int) (*appsv1.ReplicaSet, error) {
		name := fmt.Sprintf("rs-%d", (i/namespaces)/perOwner)
		if rs := owners[ns(i)+"/"+name]; rs != nil {
			return rs, nil
		}
		labels := map[string]string{"app": fmt.Sprintf("app-%d", i%40), "rs": name}
		rs, err := c.AppsV1().ReplicaSets(ns(i)).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.ReplicaSetSpec{Replicas: new(int32(perOwner)), Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec(i%7 == 0)}}}, metav1.CreateOptions{})
		owners[ns(i)+"/"+name] = rs
		return rs, err
	}
	for i := 0; i < pods; i++ {
		i := i
		meta := metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%40)}}
		priv := i%7 == 0
		if perOwner > 0 {
			rs, err := owner(i)
			if err != nil {
				return err
			}
			meta.Labels = rs.Spec.Template.Labels
			priv = *rs.Spec.Template.Spec.Containers[0].SecurityContext.Privileged
			meta.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}
		}
		jobs <- func() error {
			_, err := c.CoreV1().Pods(ns(i)).Create(ctx, &corev1.Pod{ObjectMeta: meta, Spec: spec(priv)}, metav1.CreateOptions{})
			return err
		}
	}
	for i := 0; i < bindings; i++ {
		i := i
		jobs <- func() error {
			_, err := c.RbacV1().RoleBindings(ns(i)).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i)},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}}}, metav1.CreateOptions{})
			return err
		}
	}
	for i := 0; i < policies; i++ {
		i := i
		jobs <- func() error {
			_, err := c.NetworkingV1().NetworkPolicies(ns(i)).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np-%d", i)},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("app-%d", i%40)}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}}}, metav1.CreateOptions{})
			return err
		}
	}
	for i := 0; i < services; i++ {
		i := i
		jobs <- func() error {
			_, err := c.CoreV1().Services(ns(i)).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", i)},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": fmt.Sprintf("app-%d", i%40)},
					Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{})
			return err
		}
	}
	wg2()
	return firstErr
}
