package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/report"
)

// planted are credential-shaped values no output may quote: random
// enough that a 6-character piece of one cannot occur by chance.
var planted = []string{"Qz7xK9pL2mVn8rT4wY6b", "ghp_R4nd0mT0k3nV4lu3Xq9Zk2Lm8Np5Jw7Hs3Fd1", "Vb3Nm6Kq9Wx2Zr5Ty8Ua"}

// leakyInput writes each planted value where a schema error, an unknown
// field or a bad scalar would quote it: an env written as a string,
// stringData and data as strings, a ConfigMap's data as a string, a
// command as a string, annotations as a string, a token used as a key,
// and an invalid boolean.
func leakyInput(t *testing.T) string {
	dir := t.TempDir()
	a, b, c := planted[0], planted[1], planted[2]
	docs := []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers:\n      - name: d\n        image: registry.example.com/d:1\n        env: \"DB_PASSWORD=" + a + "\"\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\nstringData: \"password=" + a + "\"\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s2, namespace: x}\ndata: \"" + c + "\"\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata: \"DB_PASSWORD=" + c + "\"\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers:\n  - name: p\n    image: registry.example.com/p:1\n    command: \"mysql -p" + a + "\"\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p2\n  namespace: x\n  annotations: \"token=" + c + "\"\nspec:\n  containers:\n  - {name: p, image: registry.example.com/p:1}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p3, namespace: x}\nspec:\n  " + b + ": true\n  containers:\n  - {name: p, image: registry.example.com/p:1}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p4, namespace: x}\nspec:\n  hostNetwork: !!bool " + c + "\n  containers:\n  - {name: p, image: registry.example.com/p:1}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p5, namespace: x}\nspec:\n  containers:\n  - name: p\n    image: registry.example.com/p:1\n    env:\n    - name: X\n      valueFrom: \"" + a + "\"\n",
	}
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".yaml"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNoValueInAnyOutput sweeps every output format: no 6-character piece
// of a planted value appears in the report or on stderr.
func TestNoValueInAnyOutput(t *testing.T) {
	dir := leakyInput(t)
	for _, format := range report.FormatNames() {
		code, out, stderr := run(t, "", "scan", "-o", format, dir)
		if code != ExitError {
			t.Errorf("-o %s: exit %d, want %d (the input has errors)", format, code, ExitError)
		}
		for _, v := range planted {
			for i := 0; i+6 <= len(v); i++ {
				piece := v[i : i+6]
				if strings.Contains(out, piece) || strings.Contains(stderr, piece) {
					t.Errorf("-o %s: output quotes %q of a planted value", format, piece)
					break
				}
			}
		}
	}
}

// TestOneBadFieldDoesNotHideTheRest: a Deployment with a type error in one
// field is still checked for its secret-named env; the scan reports both
// and exits 2 for the input error, and each finding's note says what the
// rules did not see.
func TestOneBadFieldDoesNotHideTheRest(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: lots\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n        - name: DB_PASSWORD\n          value: hunter2-Sup3rS3cret\n"
	code, out, _ := run(t, in, "scan", "-", "-o", "json")
	if code != ExitError || !strings.Contains(out, `"ruleID": "secret-in-env"`) || !strings.Contains(out, "spec.replicas") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "lots") {
		t.Errorf("a value is printed:\n%s", out)
	}
	if !strings.Contains(out, `"note": "the object was judged without spec.replicas, which did not fit its type (see the input errors)"`) {
		t.Errorf("the findings do not say the object was judged in part:\n%s", out)
	}
}
