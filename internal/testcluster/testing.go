package testcluster

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns a control plane shared by the tests of one package, started
// on first use and stopped by Main. Without the binaries the test is
// skipped locally; under CI (CI=true) that is a failure, because .ci/run
// installs them.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		if _, _, err := Binaries(); err != nil {
			sharedErr = err
			return
		}
		dir, err := os.MkdirTemp("", "guardrail-cluster")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = Start(context.Background(), dir)
	})
	if sharedErr != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no test control plane: %v", sharedErr)
		}
		t.Fatalf("no test control plane: %v", sharedErr)
	}
	return shared
}

// Main runs a package's tests and stops the shared control plane afterwards.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.Dir)
	}
	os.Exit(code)
}

// Dedicated starts a control plane of the test's own, with
// kube-controller-manager running controllers (RealControllers when none
// are named), and stops it when the test ends. Binaries missing: skipped
// locally, a failure under CI, as with Shared.
func Dedicated(t testing.TB, controllers ...string) *Cluster {
	t.Helper()
	if _, _, err := Binaries(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no test control plane: %v", err)
		}
		t.Fatalf("no test control plane: %v", err)
	}
	dir := t.TempDir()
	c, err := Start(context.Background(), dir)
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(c.Stop)
	if len(controllers) == 0 {
		controllers = RealControllers
	}
	if err := c.StartControllerManager(controllers...); err != nil {
		t.Fatalf("start kube-controller-manager: %v", err)
	}
	return c
}

// Kubectl returns the path of the kubectl built with the control plane,
// skipping the test locally (failing it under CI) when there is none.
func Kubectl(t testing.TB) string {
	t.Helper()
	p := os.Getenv("KUBECTL")
	if p == "" {
		home, _ := os.UserHomeDir()
		p = filepath.Join(home, ".cache", "guardrail", "control-plane", KubeVersion, "kubectl")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no kubectl (run hack/build-control-plane.sh): %v", err)
		}
		t.Fatalf("no kubectl (run hack/build-control-plane.sh): %v", err)
	}
	return p
}
