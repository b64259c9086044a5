package manifest

import (
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

// leakTemplates put a planted value (@S@) where a wrong shape, an unknown
// field or a bad scalar makes the decoder complain about it. Key positions
// (@K@) hold a credential-shaped token used as a field name.
var leakTemplates = []string{
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    env: \"DB_PASSWORD=@S@\"\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: \"password=@S@\"\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: \"@S@\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [\"@S@\"]\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    command: \"mysql -p@S@\"\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: \"token=@S@\"\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  @K@: true\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: !!bool @S@\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  replicas: !!int @S@\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    env:\n    - name: X\n      valueFrom: \"@S@\"\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  @K@:\n    @K@: 1\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  @K@: a\n  @K@: b\n",
}

// plantable turns fuzz bytes into a 16-40 character token of letters and
// digits, so that it is a value a credential could be.
func plantable(raw []byte) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	var b strings.Builder
	b.WriteString("Zx")
	for i, c := range raw {
		if i >= 38 {
			break
		}
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// FuzzNoSecretInProblems plants random secrets into malformed documents:
// no problem the decoder reports (message, field, hint) may hold a
// 6-character piece of the planted value.
func FuzzNoSecretInProblems(f *testing.F) {
	for i := range leakTemplates {
		f.Add(uint8(i), []byte("q7K9pL2mVn8rT4wY6b3N"))
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		tpl := leakTemplates[int(which)%len(leakTemplates)]
		secret := plantable(raw)
		if len(secret) < 16 {
			return
		}
		if strings.Contains(tpl, "@K@") && secrets.Entropy(secret) < 3.5 || len(secret) < 20 && strings.Contains(tpl, "@K@") {
			return // a field name is redacted only when it is credential-shaped
		}
		doc := strings.ReplaceAll(strings.ReplaceAll(tpl, "@S@", secret), "@K@", secret)
		r := NewLoader(WithStdin(strings.NewReader(doc))).Load([]string{"-"})
		for _, p := range r.Problems {
			text := p.Message + "\x00" + p.Field + "\x00" + p.Hint + "\x00" + p.Object
			for i := 0; i+6 <= len(secret); i++ {
				if strings.Contains(text, secret[i:i+6]) {
					t.Fatalf("problem quotes %q of the planted %q: %+v", secret[i:i+6], secret, p)
				}
			}
		}
	})
}

// TestLeakTemplatesComplain keeps FuzzNoSecretInProblems meaningful: every
// template, with a credential-shaped value planted, makes the decoder
// report a problem about it.
func TestLeakTemplatesComplain(t *testing.T) {
	secret := plantable([]byte("q7K9pL2mVn8rT4wY6b3NxW5"))
	for i, tpl := range leakTemplates {
		doc := strings.ReplaceAll(strings.ReplaceAll(tpl, "@S@", secret), "@K@", secret)
		if r := NewLoader(WithStdin(strings.NewReader(doc))).Load([]string{"-"}); len(r.Problems) == 0 {
			t.Errorf("template %d gives no problem:\n%s", i, doc)
		}
	}
}
