package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInputSize counts only the files a scan reads: not dot-files,
// dot-directories or other extensions.
func TestInputSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", 100)
	write("sub/b.json", 20)
	write("sub/c.yml", 3)
	write("guardrail", 5000)       // a binary beside the manifests
	write(".guardrail.yaml", 7000) // config, not a manifest
	write(".git/x.yaml", 9000)     // dot-directory
	if got := InputSize([]string{dir, "-"}); got != 123 {
		t.Errorf("InputSize = %d, want 123", got)
	}
	if got := InputSize([]string{filepath.Join(dir, "guardrail")}); got != 5000 {
		t.Errorf("a file named on the command line is read whatever its name: %d, want 5000", got)
	}
}
