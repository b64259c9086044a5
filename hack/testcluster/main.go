// Command testcluster starts the test control plane (etcd and
// kube-apiserver on loopback, RBAC on) and keeps it running until
// interrupted, so `guardrail scan --cluster` can be tried by hand:
//
//	hack/build-control-plane.sh          # once; cached under ~/.cache
//	go run ./hack/testcluster            # prints the kubeconfig to use
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
)

func main() {
	dir := flag.String("dir", "", "directory for PKI, etcd data and the kubeconfig (default: a temporary one)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "guardrail-testcluster")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		*dir = d
	}
	c, err := testcluster.Start(context.Background(), *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcluster:", err)
		os.Exit(1)
	}
	fmt.Printf("API server %s ready.\nexport KUBECONFIG=%s\nguardrail scan --cluster\nCtrl-C stops it.\n", c.URL, c.Kubeconfig)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	c.Stop()
}
