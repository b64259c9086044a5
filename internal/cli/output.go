package cli

import "fmt"

// mermaidIDs returns a function naming each distinct graph node n0, n1, ...
// in order of first use: Mermaid node IDs cannot hold the slashes of
// "namespace/Kind/name", so the label carries the name and the ID is short.
func mermaidIDs() func(string) string {
	ids := map[string]string{}
	return func(s string) string {
		if v, ok := ids[s]; ok {
			return v
		}
		ids[s] = fmt.Sprintf("n%d", len(ids))
		return ids[s]
	}
}
