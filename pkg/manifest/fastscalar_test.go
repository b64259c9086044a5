package manifest

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestResolvePlainLettersAgreeWithYAML: plain scalars starting with a
// letter resolve as yaml.v3 resolves them (only exact null/bool tokens are
// not strings).
func TestResolvePlainLettersAgreeWithYAML(t *testing.T) {
	for _, s := range []string{"yes", "Yes", "YES", "no", "on", "On", "off", "OFF", "y", "Y", "n", "N", "TCP", "Never", "nginx",
		"True", "TRUE", "true", "tRue", "False", "FALSE", "null", "Null", "NULL", "nULL", "Infinity", "NaN", "o", "f", "t1"} {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte("v: "+s), &m); err != nil {
			t.Fatal(err)
		}
		want := m["v"]
		got, err := resolvePlain(s)
		if err != nil || got != want {
			t.Errorf("%q: got %#v (%v), yaml.v3 %#v", s, got, err, want)
		}
	}
}
