package watch

import "testing"

// keyLess must order as the concatenated "namespace/name" keys do (the API
// server's list order), including where a namespace is a prefix of another
// and a byte sorts before or after "/".
func TestKeyLessIsTheListOrder(t *testing.T) {
	cases := [][4]string{
		{"a", "b", "a-x", "c"}, {"a", "b", "a0", "c"}, {"a", "z", "a", "b"},
		{"", "x", "a", "b"}, {"b", "a", "a", "z"}, {"ab", "c", "a", "b"},
		{"a.b", "x", "a", "x"}, {"a", "x", "a", "x"}, {"kube-system", "p", "kube", "p"},
	}
	for _, c := range cases {
		for _, k := range [][4]string{c, {c[2], c[3], c[0], c[1]}} {
			want := k[0]+"/"+k[1] < k[2]+"/"+k[3]
			if got := keyLess(k[0], k[1], k[2], k[3]); got != want {
				t.Errorf("keyLess(%q, %q, %q, %q) = %v, want %v", k[0], k[1], k[2], k[3], got, want)
			}
		}
	}
}

func FuzzKeyLess(f *testing.F) {
	f.Add("a", "b", "a-x", "c")
	f.Add("a", "b", "a", "a")
	f.Fuzz(func(t *testing.T, ans, an, bns, bn string) {
		if want := ans+"/"+an < bns+"/"+bn; keyLess(ans, an, bns, bn) != want {
			t.Fatalf("keyLess(%q, %q, %q, %q) != %v", ans, an, bns, bn, want)
		}
	})
}
