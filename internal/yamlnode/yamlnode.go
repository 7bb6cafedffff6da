// Package yamlnode holds what headroom's YAML readers share to report every
// problem with its file and line: yaml.v3 errors as input errors, field
// paths resolved to lines, unknown fields, and durations that refuse a
// bare number.
package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"go.yaml.in/yaml/v3"
)

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Errors turns yaml.v3's "line N: ..." messages into input errors of file.
func Errors(file string, err error) headroom.InputErrors {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var list headroom.InputErrors
	for _, m := range msgs {
		e := &headroom.InputError{File: file, Expected: "valid YAML", Err: errors.New(m)}
		if g := lineRE.FindStringSubmatch(m); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Err = errors.New(g[2])
		}
		list = append(list, e)
	}
	return list
}

// Documents returns the root node of every document in data, skipping
// empty ones (a stray "---"). yaml.v3 has panicked on malformed input
// before (CVE-2022-28948); a user's file must never crash headroom, so a
// panic of the parser is reported as the file's problem.
func Documents(file string, data []byte) (roots []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			roots, err = nil, &headroom.InputError{File: file, Expected: "valid YAML", Err: fmt.Errorf("the YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return roots, nil
		}
		if err != nil {
			return nil, Errors(file, err)
		}
		if len(doc.Content) > 0 {
			roots = append(roots, doc.Content[0])
		}
	}
}

// Metadata is the metadata of a headroom document, as of a Kubernetes
// object: labels and annotations are read so that they are not refused as
// unknown fields.
type Metadata struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// Lookup returns the key and value nodes of key in mapping n.
func Lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// Line returns the line of the field at a dotted path with numeric
// sequence indexes ("spec.targets.0.name"), or of the deepest ancestor that
// exists: a missing field is reported where it should have been written.
// atKey reports a found field at its key's line rather than its value's
// (they differ for a mapping or a sequence value).
func Line(n *yaml.Node, path string, atKey bool) int {
	line := n.Line
	for _, p := range strings.Split(path, ".") {
		if i, err := strconv.Atoi(p); err == nil && n.Kind == yaml.SequenceNode {
			if i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		k, v := Lookup(n, p)
		if k == nil {
			return line
		}
		n, line = v, v.Line
		if atKey {
			line = k.Line
		}
	}
	return line
}

// Display writes "spec.targets.0.name" as "spec.targets[0].name".
func Display(path string) string {
	var b strings.Builder
	for i, s := range strings.Split(path, ".") {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString(s)
	}
	return b.String()
}

// CheckFields reports every mapping key in n that type t does not declare,
// with the keys it does declare: yaml.v3's KnownFields is lost on nested
// Node.Decode calls, and a misspelt field silently ignored is how a limit
// or a guard goes missing. Fields of type Duration and yaml.Node are not
// descended into.
func CheckFields(file string, n *yaml.Node, t reflect.Type, path string, errs *headroom.InputErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(Duration{}) || t == reflect.TypeOf(yaml.Node{}) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			at := Join(path, key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				*errs = append(*errs, &headroom.InputError{File: file, Line: key.Line, Field: at,
					Value: key.Value, Expected: "a known field: one of " + strings.Join(names, ", ")})
				continue
			}
			CheckFields(file, n.Content[i+1], ft, at, errs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			CheckFields(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	}
}

// Join appends key to a dotted field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Duration is a Go duration string ("90s", "3m") that keeps what was
// written and its line. A bare number or a negative duration is Bad: yaml.v3
// would read 30 as 30 nanoseconds. Callers report Bad ones with their path.
type Duration struct {
	D    time.Duration
	Raw  string
	Line int
	Set  bool
	Bad  bool
}

// UnmarshalYAML records the value; it never fails, so every problem of a
// document is found in one pass.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	d.Set, d.Line, d.Raw = true, n.Line, n.Value
	if n.Kind != yaml.ScalarNode {
		d.Bad = true
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		d.Bad = true
		return nil
	}
	d.D = v
	return nil
}

// Problem says why a Bad duration is bad, for the message's parentheses:
// "negative" for -1s, "a bare number is ambiguous" for 30 (yaml.v3 would
// read nanoseconds), "not a duration" for anything else; "" when it is
// not Bad.
func (d Duration) Problem() string {
	if !d.Bad {
		return ""
	}
	raw := strings.TrimSpace(d.Raw)
	if v, err := time.ParseDuration(raw); err == nil && v < 0 {
		return "negative"
	}
	if _, err := strconv.ParseFloat(raw, 64); err == nil {
		return "a bare number is ambiguous"
	}
	return "not a duration"
}

// Or returns the duration, or def when it was not written or is bad.
func (d Duration) Or(def time.Duration) time.Duration {
	if !d.Set || d.Bad {
		return def
	}
	return d.D
}
