package hpa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/suggest"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// Object is one Kubernetes object of a YAML file. It keeps its node tree, so
// that every problem found after decoding can still name its line.
type Object struct {
	// File is the path the object was read from, for errors.
	File string
	// APIVersion, Kind, Name and Namespace are read from the object's
	// header without decoding the rest.
	APIVersion, Kind, Name, Namespace string
	// Node is the mapping at the object's root.
	Node *yaml.Node
}

// maxNodes bounds how many nodes one object may expand to once YAML aliases
// are followed, so that an alias bomb is an error instead of a hang.
const maxNodes = 200_000

// maxDepth bounds nesting; no Kubernetes object comes close.
const maxDepth = 64

// ReadObjects parses every YAML document of data. Empty documents (a stray
// "---") are skipped and the items of a List (what `kubectl get -o yaml`
// prints for several objects) are returned as objects of their own.
// Errors are *headroom.InputError or headroom.InputErrors, naming path.
func ReadObjects(path string, data []byte) ([]*Object, error) {
	roots, err := parseYAML(path, data)
	if err != nil {
		return nil, err
	}
	return objectsOf(path, roots)
}

// objectsOf returns the objects of the document roots.
func objectsOf(path string, roots []*yaml.Node) ([]*Object, error) {
	var objs []*Object
	var errs headroom.InputErrors
	for _, root := range roots {
		if root.Kind != yaml.MappingNode {
			errs = append(errs, &headroom.InputError{File: path, Line: root.Line, Field: "document",
				Expected: "a Kubernetes object: a mapping with apiVersion, kind, metadata and spec"})
			continue
		}
		o := newObject(path, root)
		items := field(root, "items")
		if strings.HasSuffix(o.Kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				it = resolve(it)
				if it.Kind != yaml.MappingNode {
					errs = append(errs, &headroom.InputError{File: path, Line: it.Line, Field: "items",
						Expected: "a Kubernetes object: a mapping with apiVersion, kind, metadata and spec"})
					continue
				}
				objs = append(objs, newObject(path, it))
			}
			continue
		}
		objs = append(objs, o)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return objs, nil
}

func newObject(path string, n *yaml.Node) *Object {
	meta := field(n, "metadata")
	return &Object{File: path, Node: n,
		APIVersion: scalar(field(n, "apiVersion")), Kind: scalar(field(n, "kind")),
		Name: scalar(field(meta, "name")), Namespace: scalar(field(meta, "namespace"))}
}

// parseYAML returns the root node of every document that is not empty or
// null, its aliases resolved.
func parseYAML(path string, data []byte) ([]*yaml.Node, error) {
	docs, err := yamlnode.Documents(path, data)
	if err != nil {
		return nil, err
	}
	var roots []*yaml.Node
	for _, root := range docs {
		if !isNull(root) {
			roots = append(roots, resolve(root))
		}
	}
	return roots, nil
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// scalar returns the value of a scalar node, or "" for anything else.
func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// entry is one key of a mapping, after merge keys ("<<: *base") are applied.
type entry struct {
	key, value *yaml.Node
}

// entries returns the keys of mapping n in file order. Keys merged in with
// "<<" come first and lose to keys written in the mapping itself, as YAML's
// merge key type says (https://yaml.org/type/merge.html).
func entries(n *yaml.Node) []entry {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var own, merged []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		own = append(own, entry{k, v})
		seen[k.Value] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" || v == nil {
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			src = resolve(src)
			if src == nil || src.Kind != yaml.MappingNode || src == n {
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				sk := src.Content[j]
				if sk.ShortTag() == "!!merge" || seen[sk.Value] {
					continue
				}
				seen[sk.Value] = true
				merged = append(merged, entry{sk, src.Content[j+1]})
			}
		}
	}
	return append(merged, own...)
}

// field returns the value of key in mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	for _, e := range entries(n) {
		if e.key.Value == key {
			return resolve(e.value)
		}
	}
	return nil
}

// Line returns the line of the field at path ("spec.behavior.scaleUp",
// "spec.metrics[0].resource.name"), or of the deepest part of it that is
// written: a missing field is reported where it should have been.
func (o *Object) Line(path string) int {
	n := resolve(o.Node)
	line := n.Line
	for _, part := range splitPath(path) {
		var next, key *yaml.Node
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			if i >= 0 && i < len(n.Content) {
				// An alias item is reported where it is used.
				key, next = n.Content[i], resolve(n.Content[i])
			}
		} else {
			for _, e := range entries(n) {
				if e.key.Value == part {
					key, next = e.key, resolve(e.value)
					break
				}
			}
		}
		if next == nil {
			return line
		}
		// A key's own line reads better than its value's, which may sit
		// on the next line (a mapping or a list); an item's is its own.
		line = next.Line
		if key != nil {
			line = key.Line
		}
		n = next
	}
	return line
}

// splitPath splits `a.b[0].c["x.y/z"]` into a, b, 0, c, x.y/z.
func splitPath(path string) []string {
	var parts []string
	for path != "" {
		switch {
		case strings.HasPrefix(path, "."):
			path = path[1:]
		case strings.HasPrefix(path, `["`):
			// A quoted key, as join writes keys holding dots.
			end := strings.Index(path[2:], `"]`)
			if end < 0 {
				return append(parts, path)
			}
			key, err := strconv.Unquote(path[1 : end+3])
			if err != nil {
				key = path[2 : end+2]
			}
			parts, path = append(parts, key), path[end+4:]
		case strings.HasPrefix(path, "["):
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(parts, path[1:])
			}
			parts, path = append(parts, path[1:end]), path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			parts, path = append(parts, path[:end]), path[end:]
		}
	}
	return parts
}

// InputError returns an input error at the field path of o.
func (o *Object) InputError(path, value, expected string) *headroom.InputError {
	return &headroom.InputError{File: o.File, Line: o.Line(path), Field: path, Value: value, Expected: expected}
}

// Decode decodes the object into v, a pointer to a Kubernetes API type,
// with the API server's JSON semantics and strictness: field names are
// case-sensitive, and every unknown or duplicated field, value of the wrong
// type and malformed quantity is reported with its line, all at once, as
// headroom.InputErrors. A misspelt field silently ignored is how a scaling
// limit goes missing.
func (o *Object) Decode(v any) error {
	return o.decode(v, true)
}

// decode is Decode, letting unknown fields through unless strict.
func (o *Object) decode(v any, strict bool) error {
	d := &decoder{obj: o, budget: maxNodes, strict: strict}
	d.check(o.Node, reflect.TypeOf(v), "", 0)
	if len(d.errs) > 0 {
		return d.errs
	}
	d.budget = maxNodes
	val, err := d.value(o.Node, 0)
	if err != nil {
		return headroom.InputErrors{{File: o.File, Line: o.Node.Line, Expected: "a Kubernetes object", Err: err}}
	}
	data, err := json.Marshal(val)
	if err != nil {
		return headroom.InputErrors{{File: o.File, Line: o.Node.Line, Expected: "a Kubernetes object", Err: err}}
	}
	// The checks above mirror encoding/json; this strict decode is the
	// backstop should they ever disagree.
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		e := &headroom.InputError{File: o.File, Line: o.Node.Line, Expected: "a valid " + o.Kind, Err: err}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e.Field, e.Line = te.Field, o.Line(te.Field)
		}
		return headroom.InputErrors{e}
	}
	return nil
}

// decoder checks a node tree against a Go type as encoding/json would read
// its JSON form.
type decoder struct {
	obj    *Object
	errs   headroom.InputErrors
	budget int
	// strict reports unknown fields.
	strict bool
}

var jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// maxErrors bounds the problems reported for one object: past it, the
// file is likely not the kind of document it claims to be.
const maxErrors = 50

func (d *decoder) fail(n *yaml.Node, path, value, expected string) {
	d.add(&headroom.InputError{File: d.obj.File, Line: n.Line, Field: path, Value: value, Expected: expected})
}

func (d *decoder) add(e *headroom.InputError) {
	switch {
	case len(d.errs) < maxErrors:
		d.errs = append(d.errs, e)
	case len(d.errs) == maxErrors:
		d.errs = append(d.errs, &headroom.InputError{File: d.obj.File, Line: e.Line,
			Expected: fmt.Sprintf("fewer problems: only the first %d are shown", maxErrors)})
	}
}

// spend charges one node to the budget and reports whether any is left.
func (d *decoder) spend(n *yaml.Node, depth int) bool {
	d.budget--
	if d.budget == 0 || depth == maxDepth {
		d.fail(n, "", "", fmt.Sprintf("a Kubernetes object of at most %d nodes and %d levels once aliases are expanded", maxNodes, maxDepth))
		d.budget = -1
	}
	return d.budget > 0 && depth < maxDepth
}

func (d *decoder) check(n *yaml.Node, t reflect.Type, path string, depth int) {
	n = resolve(n)
	if n == nil || !d.spend(n, depth) || isNull(n) {
		return // null leaves a field at its zero value, as in JSON
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		d.custom(n, t, path, depth)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		d.check(n, t.Elem(), path, depth)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, n.Value, "a mapping of "+t.Name()+" fields")
			return
		}
		fields := jsonFields(t)
		seen := map[string]int{}
		for _, e := range entries(n) {
			key := e.key.Value
			if e.key.Kind != yaml.ScalarNode {
				d.fail(e.key, path, "", "a field name")
				continue
			}
			at := join(path, key)
			if line, dup := seen[key]; dup {
				d.fail(e.key, at, key, fmt.Sprintf("each field once (%s is already set on line %d)", key, line))
				continue
			}
			seen[key] = e.key.Line
			ft, ok := fields[key]
			if !ok {
				if d.strict {
					d.fail(e.key, at, key, unknownField(t, key, fields))
				}
				continue
			}
			d.check(e.value, ft, at, depth+1)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			d.scalarKind(n, t, path)
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, n.Value, "a list")
			return
		}
		for i, c := range n.Content {
			d.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, n.Value, "a mapping")
			return
		}
		seen := map[string]int{}
		for _, e := range entries(n) {
			at := join(path, e.key.Value)
			if e.key.Kind != yaml.ScalarNode {
				d.fail(e.key, path, "", "a string key")
				continue
			}
			if line, dup := seen[e.key.Value]; dup {
				d.fail(e.key, at, e.key.Value, fmt.Sprintf("each key once (already set on line %d)", line))
				continue
			}
			seen[e.key.Value] = e.key.Line
			d.check(e.value, t.Elem(), at, depth+1)
		}
	case reflect.Interface:
		if _, err := d.value(n, depth); err != nil {
			d.fail(n, path, n.Value, "a JSON value: "+err.Error())
		}
	default:
		d.scalarKind(n, t, path)
	}
}

// custom checks a type with its own JSON form (resource.Quantity,
// metav1.Time, intstr.IntOrString, ...) by letting it decode the value.
func (d *decoder) custom(n *yaml.Node, t reflect.Type, path string, depth int) {
	val, err := d.value(n, depth)
	if err == nil {
		var data []byte
		if data, err = json.Marshal(val); err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(data)
		}
	}
	if err == nil {
		return
	}
	expected := "a valid " + t.Name()
	switch t.String() {
	case "resource.Quantity":
		expected = "a quantity such as 100, 250m, 1.5 or 2k"
	case "v1.Time", "v1.MicroTime":
		expected = "a time in RFC 3339 form, such as 2024-05-01T12:00:00Z"
	case "intstr.IntOrString":
		expected = "an integer or a string"
	}
	d.add(&headroom.InputError{File: d.obj.File, Line: n.Line, Field: path, Value: n.Value, Expected: expected, Err: cause(err)})
}

// cause drops a wrapped JSON error's text when the expectation says it all.
func cause(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return nil
	}
	return err
}

// scalarKind checks a scalar against a Go string, bool or number.
func (d *decoder) scalarKind(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "", "a single value, not a "+kindName(n))
		return
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String, reflect.Slice:
		if tag != "!!str" && tag != "!!timestamp" && tag != "!!binary" {
			d.fail(n, path, n.Value, fmt.Sprintf("a string (write it in quotes: %q)", n.Value))
		}
	case reflect.Bool:
		if tag != "!!bool" {
			d.fail(n, path, n.Value, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		lo, hi := intRange(t)
		f, ok := number(n)
		switch {
		case !ok && tag == "!!str" && isNumeric(n.Value):
			d.fail(n, path, n.Value, "an integer, not a string: write it without quotes")
		case !ok || f != math.Trunc(f):
			d.fail(n, path, n.Value, "an integer")
		case f < lo || f > hi:
			d.fail(n, path, n.Value, fmt.Sprintf("an integer in %.0f..%.0f", lo, hi))
		}
	case reflect.Float32, reflect.Float64:
		f, ok := number(n)
		switch {
		case !ok && tag == "!!str" && isNumeric(n.Value):
			d.fail(n, path, n.Value, "a number, not a string: write it without quotes")
		case !ok || math.IsInf(f, 0) || math.IsNaN(f):
			d.fail(n, path, n.Value, "a number")
		}
	}
}

func isNumeric(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func intRange(t reflect.Type) (lo, hi float64) {
	bits := t.Bits()
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return 0, math.Exp2(float64(bits)) - 1
	}
	return -math.Exp2(float64(bits - 1)), math.Exp2(float64(bits-1)) - 1
}

// number reads an !!int or !!float scalar.
func number(n *yaml.Node) (float64, bool) {
	switch n.ShortTag() {
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// value converts a node tree to the value encoding/json would produce from
// the same document written as JSON.
func (d *decoder) value(n *yaml.Node, depth int) (any, error) {
	n = resolve(n)
	if n == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	if d.budget--; d.budget < 0 {
		return nil, fmt.Errorf("more than %d nodes once aliases are expanded", maxNodes)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, e := range entries(n) {
			if e.key.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a string", e.key.Line)
			}
			v, err := d.value(e.value, depth+1)
			if err != nil {
				return nil, err
			}
			m[e.key.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			err := n.Decode(&b)
			return b, err
		case "!!int", "!!float":
			f, ok := number(n)
			if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %q is not a finite number", n.Line, n.Value)
			}
			if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return json.Number(strconv.FormatInt(i, 10)), nil
			}
			return f, nil
		case "!!timestamp":
			var t time.Time
			if err := n.Decode(&t); err == nil {
				return t.Format(time.RFC3339Nano), nil
			}
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// jsonFields returns the JSON names of t's fields, with embedded structs
// inlined as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					if _, own := fields[k]; !own {
						fields[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// unknownField says what was expected instead of key, suggesting the
// closest known field.
func unknownField(t reflect.Type, key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", 4
	for _, k := range names {
		dist := suggest.Distance(strings.ToLower(key), strings.ToLower(k))
		if strings.EqualFold(key, k) {
			dist = 0
		}
		if dist < bestDist && dist*3 < len(k) {
			best, bestDist = k, dist
		}
	}
	known := "a field of " + t.Name() + ": " + strings.Join(names, ", ")
	if best != "" {
		return fmt.Sprintf("%q (%s)", best, known)
	}
	return known
}

// join appends key to a field path; a key holding dots or brackets, such
// as a label, is quoted: metadata.labels["app.kubernetes.io/name"].
func join(path, key string) string {
	if strings.ContainsAny(key, `.[]"`) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
