// Command dump-bootstrap-rbac writes the ClusterRoles a kube-apiserver
// creates at start-up (label kubernetes.io/bootstrapping=rbac-defaults), as
// read from the test control plane, to pkg/rbac/bootstrap/clusterroles.yaml:
//
//	go run ./hack/dump-bootstrap-rbac > pkg/rbac/bootstrap/clusterroles.yaml
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	dir, _ := os.MkdirTemp("", "dump-rbac")
	defer os.RemoveAll(dir)
	c, err := testcluster.Start(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Stop()
	client, _ := c.Client()
	list, err := client.RbacV1().ClusterRoles().List(context.Background(), metav1.ListOptions{LabelSelector: "kubernetes.io/bootstrapping=rbac-defaults"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	fmt.Printf("# The ClusterRoles kube-apiserver %s creates at start-up, read from a real API\n# server by hack/dump-bootstrap-rbac. Aggregated roles (admin, edit, view) keep their\n# aggregationRule; Guardrail computes their rules.\n", testcluster.KubeVersion)
	for _, r := range list.Items {
		out := rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: r.Name, Labels: r.Labels}, Rules: r.Rules, AggregationRule: r.AggregationRule}
		if out.AggregationRule != nil {
			out.Rules = nil
		}
		b, _ := yaml.Marshal(out)
		fmt.Printf("---\n%s", b)
	}
}
