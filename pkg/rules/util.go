package rules

import (
	"sort"
	"strconv"
	"strings"
)

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }

// sortedKeys returns the keys of m in order, so violations are deterministic.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

func sortStrings(s []string) { sort.Strings(s) }

// joinList joins names with commas, shortening long lists.
func joinList(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + " and " + itoa(len(names)-5) + " more"
	}
	return strings.Join(names, ", ")
}
