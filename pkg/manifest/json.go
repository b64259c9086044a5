package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/fieldpath"
	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

// LoadJSON decodes one JSON object as the webhook receives it from the API
// server. JSON is YAML, but a YAML node tree of a pod with 10,000
// containers costs tens of megabytes more than Go's JSON decoder, and one
// review must cost bounded memory. The typed decoding, the limits and the
// problems are those of LoadBytes; there is no line index (a review has no
// file lines to point at).
func (ld *Loader) LoadJSON(name string, data []byte) *Result {
	res := &Result{Files: 1}
	var out decoded
	problem := func(line int, obj, field, msg, hint string, warning bool) {
		out.problems = append(out.problems, &api.Problem{Location: api.Location{File: name, Line: line},
			Object: obj, Field: secrets.SafeText(field), Message: msg, Hint: hint, Warning: warning})
	}
	defer func() {
		res.Objects = append(res.Objects, out.objects...)
		res.Problems = append(res.Problems, out.problems...)
	}()
	if len(data) > ld.limits.MaxDocumentBytes {
		problem(1, "", "", fmt.Sprintf("object is %d bytes, over the %d byte limit", len(data), ld.limits.MaxDocumentBytes), "", false)
		return res
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		problem(1, "", "", "invalid JSON: "+err.Error(), "", false)
		return res
	}
	m, ok := v.(map[string]any)
	if !ok {
		problem(1, "", "", "not a JSON object", "a Kubernetes object is a mapping with apiVersion and kind", false)
		return res
	}
	nodes := 0
	if err := numbers(m, 0, &nodes, ld.limits); err != nil {
		problem(1, "", "", err.Error(), "Kubernetes objects are never this deep or this large", false)
		return res
	}
	var b fieldpath.Builder
	b.Add(fieldpath.Root, 1)
	objectFromMap(name, m, 1, &b, &out, problem)
	return res
}

// numbers turns json.Numbers into the int64 or float64 the YAML path
// produces, and enforces the depth and size limits.
func numbers(v any, depth int, nodes *int, l Limits) error {
	*nodes++
	if depth > l.MaxDepth {
		return fmt.Errorf("nesting deeper than %d levels", l.MaxDepth)
	}
	if *nodes > l.MaxNodes {
		return fmt.Errorf("more than %d values", l.MaxNodes)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok {
				x[k] = number(n)
				*nodes++
				continue
			}
			if err := numbers(e, depth+1, nodes, l); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if n, ok := e.(json.Number); ok {
				x[i] = number(n)
				*nodes++
				continue
			}
			if err := numbers(e, depth+1, nodes, l); err != nil {
				return err
			}
		}
	}
	return nil
}

func number(n json.Number) any {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}
