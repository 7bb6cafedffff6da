package config

// The YAML helpers below follow policy/yaml.go, whose versions are
// unexported; policy cannot import config (config imports policy), so
// sharing them needs a small package of their own, such as
// internal/yamlnode, that both import.

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
	"gopkg.in/yaml.v3"
)

// parseDocument returns the root mapping of the one YAML document in data.
func parseDocument(file string, data []byte) (root *yaml.Node, err error) {
	// yaml.v3 has panicked on malformed input before (CVE-2022-28948); a
	// user's file must never crash headroom, so a panic of the parser is
	// reported as the file's problem.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &headroom.InputError{File: file, Expected: "valid YAML", Err: fmt.Errorf("the YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(file, err)
		}
		if len(n.Content) == 0 {
			continue // a stray "---"
		}
		if root != nil {
			return nil, &headroom.InputError{File: file, Line: n.Content[0].Line,
				Expected: "one document: the config is a single " + Kind + " (the files it references hold services and policies)"}
		}
		root = n.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &headroom.InputError{File: file, Line: root.Line, Expected: "a mapping with apiVersion, kind, metadata and spec"}
		}
	}
	if root == nil {
		return nil, &headroom.InputError{File: file, Line: 1, Expected: "a " + Kind + " document with apiVersion " + APIVersion}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns yaml.v3's "line N: ..." messages into input errors.
func yamlError(file string, err error) headroom.InputErrors {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var list headroom.InputErrors
	for _, m := range msgs {
		e := &headroom.InputError{File: file, Expected: "valid YAML", Err: errors.New(m)}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Err = errors.New(g[2])
		}
		list = append(list, e)
	}
	return list
}

// lookup returns the key and value nodes of key in mapping n.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
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

// lineOf returns the line of the field at path ("spec.targets.0.name"), or
// of the deepest ancestor that exists: a missing field is reported at the
// key of the mapping it should have been written in.
func lineOf(n *yaml.Node, path string) int {
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
		k, v := lookup(n, p)
		if k == nil {
			return line
		}
		n, line = v, k.Line
	}
	return line
}

// displayPath writes "spec.targets.0.name" as "spec.targets[0].name".
func displayPath(path string) string {
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

// checkFields reports every mapping key in n that type t does not declare,
// with the keys it does declare: yaml.v3's KnownFields is lost on nested
// Node.Decode calls, and a misspelt field silently ignored is how a guard
// goes missing.
func checkFields(file string, n *yaml.Node, t reflect.Type, path string, errs *headroom.InputErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(duration{}) {
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
			at := join(path, key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				*errs = append(*errs, &headroom.InputError{File: file, Line: key.Line, Field: at,
					Value: key.Value, Expected: "a known field: one of " + strings.Join(names, ", ")})
				continue
			}
			checkFields(file, n.Content[i+1], ft, at, errs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			checkFields(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// duration is a Go duration string ("15s", "2m") that keeps what was
// written. A bare number is refused: yaml.v3 would read 15 as 15
// nanoseconds.
type duration struct {
	D   time.Duration
	Raw string
	Set bool
	Bad bool
}

// UnmarshalYAML records the value; the parser reports a bad one with its
// field path.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	d.Set, d.Raw = true, n.Value
	if n.Kind != yaml.ScalarNode {
		d.Bad = true
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		d.Bad = true
		return nil
	}
	d.D = v
	return nil
}
