package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unique"

	"github.com/guardrail-k8s/guardrail/pkg/secrets"
)

// typedDecoder fills typed k8s.io/api objects from generic values with the
// conversion rules of apimachinery's runtime.DefaultUnstructuredConverter
// (which TestTypedDecoderMatchesApimachinery checks), using a per-type plan
// computed once. It reports unknown fields as it goes instead of recording
// every matched key, which made FromUnstructuredWithValidation the most
// expensive step of a scan.
type typedDecoder struct {
	unknown []string
	stack   []pathElem // where decode is, for messages
	// errs are the fields that did not fit their type: each is left zero
	// and the rest of the object is decoded, so that one bad field does
	// not keep every rule off the object.
	errs []error
}

// structPlan maps JSON names to fields, with inline fields flattened.
type structPlan struct {
	fields map[string][]int
}

var (
	plans             sync.Map // reflect.Type -> *structPlan
	unmarshalers      sync.Map // reflect.Type -> bool: *T implements json.Unmarshaler
	jsonUnmarshalerTy = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// selfUnmarshaling reports, once per type, whether *t decodes itself
// (Quantity, Time, IntOrString): reflect's Implements is not cheap and the
// decoder asks for every value.
func selfUnmarshaling(t reflect.Type) bool {
	if v, ok := unmarshalers.Load(t); ok {
		return v.(bool)
	}
	ok := reflect.PointerTo(t).Implements(jsonUnmarshalerTy)
	unmarshalers.Store(t, ok)
	return ok
}

func planOf(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	p := &structPlan{fields: map[string][]int{}}
	addFields(p, t, nil)
	plans.Store(t, p)
	return p
}

func addFields(p *structPlan, t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		index := append(append([]int{}, prefix...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		inline := strings.Contains(","+opts+",", ",inline,") || (name == "" && f.Anonymous)
		if inline && f.Type.Kind() == reflect.Struct {
			addFields(p, f.Type, index)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := p.fields[name]; !dup {
			p.fields[name] = index
		}
	}
}

// pathElem is one step of the path to the value being decoded: a field
// name, a map key (mapKey) or a list index (key ""). The decoder keeps the
// steps on a stack and prints them only for a message: most decodes
// succeed, and concatenating every field's path was a large share of the
// decoder's garbage.
type pathElem struct {
	key    string
	index  int
	mapKey bool
}

// path renders the current path ("spec.containers[0].image").
func (d *typedDecoder) path() string {
	var b strings.Builder
	for _, e := range d.stack {
		switch {
		case e.mapKey:
			b.WriteString("[" + e.key + "]")
		case e.key == "":
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		}
	}
	return b.String()
}

// descend decodes sv into dv one step down the path.
func (d *typedDecoder) descend(e pathElem, sv any, dv reflect.Value) error {
	d.stack = append(d.stack, e)
	err := d.decode(sv, dv)
	d.stack = d.stack[:len(d.stack)-1]
	return err
}

// decode fills dv (settable, zero) from sv; d.stack names dv for messages.
func (d *typedDecoder) decode(sv any, dv reflect.Value) error {
	if sv == nil {
		return nil // the destination is already zero
	}
	dt := dv.Type()
	switch dt.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Struct, reflect.Interface:
	default:
		return d.simple(sv, dv)
	}
	if selfUnmarshaling(dt) {
		data, err := json.Marshal(sv)
		if err != nil {
			return fmt.Errorf("%s: %v", d.path(), err)
		}
		if err := dv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data); err != nil {
			return fmt.Errorf("%s: %v", d.path(), err)
		}
		return nil
	}
	switch dt.Kind() {
	case reflect.Pointer:
		nv := reflect.New(dt.Elem())
		if err := d.decode(sv, nv.Elem()); err != nil {
			return err
		}
		dv.Set(nv)
		return nil
	case reflect.Interface:
		dv.Set(reflect.ValueOf(sv))
		return nil
	case reflect.Struct:
		m, ok := sv.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object, got %s", secrets.SafeText(d.path()), describe(sv))
		}
		plan := planOf(dt)
		// Map order first, which needs no key list: almost every object
		// decodes cleanly. Unknown fields are sorted afterwards; on an
		// error the fields are decoded again in key order, so the error
		// reported is always the first by name.
		mark, emark := len(d.unknown), len(d.errs)
		for k, v := range m {
			index, ok := plan.fields[k]
			if !ok {
				d.unknown = append(d.unknown, join(d.path(), k))
				continue
			}
			if err := d.descend(pathElem{key: k}, v, dv.FieldByIndex(index)); err != nil {
				d.unknown, d.errs = d.unknown[:mark], d.errs[:emark]
				return d.structInOrder(m, dv, plan)
			}
		}
		sort.Strings(d.unknown[mark:])
		return nil
	case reflect.Map:
		m, ok := sv.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object, got %s", secrets.SafeText(d.path()), describe(sv))
		}
		out := reflect.MakeMapWithSize(dt, len(m))
		kt := dt.Key()
		if kt.Kind() != reflect.String {
			return fmt.Errorf("%s: unsupported map key type %s", d.path(), kt)
		}
		for k, v := range m {
			ev := reflect.New(dt.Elem()).Elem()
			if err := d.descend(pathElem{key: k, mapKey: true}, v, ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(intern(k)).Convert(kt), ev)
		}
		dv.Set(out)
		return nil
	case reflect.Slice:
		if s, ok := sv.(string); ok && dt.Elem().Kind() == reflect.Uint8 {
			var b []byte
			if err := json.Unmarshal([]byte(strconv.Quote(s)), &b); err != nil {
				return fmt.Errorf("%s: not valid base64: %v", d.path(), err)
			}
			if b == nil {
				b = []byte{}
			}
			dv.SetBytes(b)
			return nil
		}
		list, ok := sv.([]any)
		if !ok {
			return fmt.Errorf("%s: expected a list, got %s", secrets.SafeText(d.path()), describe(sv))
		}
		out := reflect.MakeSlice(dt, len(list), len(list))
		for i, v := range list {
			if err := d.descend(pathElem{index: i}, v, out.Index(i)); err != nil {
				return err
			}
		}
		dv.Set(out)
		return nil
	}
	return fmt.Errorf("%s: unsupported type %s", d.path(), dt)
}

// structInOrder decodes a struct's fields in key order: the slow path
// that makes the first error deterministic.
func (d *typedDecoder) structInOrder(m map[string]any, dv reflect.Value, plan *structPlan) error {
	dv.SetZero()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		index, ok := plan.fields[k]
		if !ok {
			d.unknown = append(d.unknown, join(d.path(), k))
			continue
		}
		if err := d.descend(pathElem{key: k}, m[k], dv.FieldByIndex(index)); err != nil {
			dv.FieldByIndex(index).SetZero()
			d.errs = append(d.errs, err)
		}
	}
	return nil
}

// simple converts between JSON's four scalar groups the way apimachinery
// does: within a group, and integral floats to integers.
func (d *typedDecoder) simple(sv any, dv reflect.Value) error {
	k := dv.Kind()
	switch v := sv.(type) {
	case string:
		if k == reflect.String {
			dv.SetString(intern(v))
			return nil
		}
	case bool:
		if k == reflect.Bool {
			dv.SetBool(v)
			return nil
		}
	case int64:
		switch {
		case k >= reflect.Int && k <= reflect.Int64:
			dv.SetInt(v)
			return nil
		case k >= reflect.Uint && k <= reflect.Uintptr:
			dv.SetUint(uint64(v))
			return nil
		case k == reflect.Float32 || k == reflect.Float64:
			dv.SetFloat(float64(v))
			return nil
		}
	case float64:
		switch {
		case k == reflect.Float32 || k == reflect.Float64:
			dv.SetFloat(v)
			return nil
		case k >= reflect.Int && k <= reflect.Int64 && v == math.Trunc(v):
			dv.SetInt(int64(v))
			return nil
		case k >= reflect.Uint && k <= reflect.Uintptr && v == math.Trunc(v):
			dv.SetUint(uint64(v))
			return nil
		}
	}
	return fmt.Errorf("%s: expected %s, got %s", secrets.SafeText(d.path()), kindName(k), describe(sv))
}

// intern returns a canonical copy of s. Decoded strings are substrings of
// their document's text; storing them as they are would keep every
// document's text alive as long as the object. Interning copies each
// distinct value once (labels, images and enum values repeat a lot) and
// lets the text go.
func intern(s string) string {
	if len(s) > 256 {
		return strings.Clone(s)
	}
	return unique.Make(s).Value()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(k reflect.Kind) string {
	switch {
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "a boolean"
	case k >= reflect.Int && k <= reflect.Uintptr:
		return "an integer"
	case k == reflect.Float32 || k == reflect.Float64:
		return "a number"
	}
	return k.String()
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		// Never the value itself: a string where a list or object belongs is
		// often a credential written in the wrong shape (env: "DB_PASSWORD=...").
		return "a string (" + secrets.Redact(x) + ")"
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "number " + strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
