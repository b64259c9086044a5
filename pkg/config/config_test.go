package config

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	c, err := Parse("t", []byte(`
profile: all
failOn: medium
disable: ["image-*"]
exceptions:
- rules: [pss-privileged]
  namespaces: ["kube-*"]
  reason: CNI needs it
  expires: 2030-01-31
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Exceptions[0].ExpiresAt.Format("2006-01-02") != "2030-02-01" {
		t.Errorf("expiry = %v", c.Exceptions[0].ExpiresAt)
	}
}

func TestParseErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		"profile: strict\n":                                                            `unknown profile "strict"`,
		"exceptions:\n- rules: [pss-privileged]\n":                                     "reason is required",
		"exceptions:\n- rules: [pss-privilegd]\n  reason: x\n":                         `did you mean "pss-privileged"`,
		"exceptions:\n- rules: [nope-*]\n  reason: x\n":                                `unknown rule "nope-*"`,
		"exceptions:\n- rules: [pss-privileged]\n  reason: x\n  expires: 31/01/2030\n": "use YYYY-MM-DD",
		"exeptions: []\n":                                  `unknown field "exeptions"`,
		"admission:\n  defaultMode: block\n":               `admission.defaultMode "block"`,
		"admission:\n  namespaces:\n  - pattern: prod-*\n": "admission.namespaces[0]",
	}
	for in, want := range cases {
		_, err := Parse("t", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}
