package manifest

import (
	"fmt"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
	"math"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
	yaml "go.yaml.in/yaml/v3"
)

// converter turns a yaml.Node tree into the generic values that
// k8s.io/apimachinery's converters read (map[string]any, []any, string,
// int64, float64, bool, nil), recording each field's line on the way.
type converter struct {
	limits  Limits
	lineOff int // added to node lines to make them file lines
	nodes   int
	lines   fieldpath.Builder
}

// convError is a problem at one node.
type convError struct {
	line int
	msg  string
	hint string
}

func (e *convError) Error() string { return e.msg }

func (c *converter) fail(n *yaml.Node, hint, format string, args ...any) error {
	return &convError{line: n.Line + c.lineOff, msg: fmt.Sprintf(format, args...), hint: hint}
}

func (c *converter) value(n *yaml.Node, h fieldpath.Hash, depth int) (any, error) {
	c.nodes++
	if c.nodes > c.limits.MaxNodes {
		return nil, c.fail(n, "remove YAML anchors and aliases that expand recursively",
			"document expands to more than %d values (a YAML alias bomb?)", c.limits.MaxNodes)
	}
	if depth > c.limits.MaxDepth {
		return nil, c.fail(n, "Kubernetes objects are never this deep", "nesting deeper than %d levels", c.limits.MaxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], h, depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.fail(n, "", "unknown alias %q", secrets.SafeText(n.Value))
		}
		return c.value(n.Alias, h, depth+1)
	case yaml.MappingNode:
		return c.mapping(n, h, depth)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, item := range n.Content {
			ih := h.Index(i)
			c.lines.Add(ih, item.Line+c.lineOff)
			v, err := c.value(item, ih, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.fail(n, "", "unsupported YAML node kind %d", n.Kind)
}

func (c *converter) mapping(n *yaml.Node, h fieldpath.Hash, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.fail(k, "use a plain string as the key", "mapping key is not a scalar")
		}
		if _, dup := out[k.Value]; dup {
			return nil, c.fail(k, "remove one of them; kubectl rejects duplicate keys", "duplicate key %q", secrets.SafeText(k.Value))
		}
		kh := h.Key(k.Value)
		c.lines.Add(kh, k.Line+c.lineOff)
		val, err := c.value(v, kh, depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	// YAML merge keys ("<<: *defaults"): explicit keys win over merged ones.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			for s.Kind == yaml.AliasNode && s.Alias != nil {
				s = s.Alias
			}
			if s.Kind != yaml.MappingNode {
				return nil, c.fail(s, "merge only mappings", "merge key value is not a mapping")
			}
			merged, err := c.mapping(s, h, depth+1)
			if err != nil {
				return nil, err
			}
			for k, v := range merged {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
	}
	return out, nil
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.fail(n, "", "invalid boolean (%s)", secrets.Redact(n.Value))
		}
		return b, nil
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i, nil
		}
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return float64(u), nil
		}
		return nil, c.fail(n, "quote it if it is meant as a string", "integer (%s) out of range", secrets.Redact(n.Value))
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.fail(n, "", "invalid number (%s)", secrets.Redact(n.Value))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.fail(n, "quote it if it is meant as a string", "%s is not a number JSON can carry", secrets.Redact(n.Value))
		}
		return f, nil
	}
	// !!str, !!binary (base64 text, as Secret data carries it), !!timestamp
	// (Kubernetes reads dates as strings) and custom tags all stay text.
	return n.Value, nil
}

// yamlLine extracts the line from a go-yaml syntax error ("yaml: line 4: ...").
func yamlLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if l, e := strconv.Atoi(rest[:i]); e == nil {
				text := strings.TrimSpace(rest[i+1:])
				// go-yaml prints parser errors ("did not find expected key")
				// with a 0-based line and scanner errors with a 1-based one.
				if strings.HasPrefix(text, "did not find expected") {
					l++
				}
				return l, text
			}
		}
	}
	return 0, msg
}
