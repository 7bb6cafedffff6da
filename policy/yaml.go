package policy

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

// document is one YAML document of a file, kept as a node tree so that every
// problem found later can name its line.
type document struct {
	node *yaml.Node // the mapping at the document's root
}

// splitDocuments parses data into its YAML documents. Empty documents (a
// stray "---") are dropped.
func splitDocuments(file string, data []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []document
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
			continue
		}
		root := n.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &headroom.InputError{File: file, Line: root.Line, Expected: "a mapping with apiVersion, kind, metadata and spec"}
		}
		docs = append(docs, document{node: root})
	}
	return docs, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns yaml.v3's "line N: ..." messages into input errors.
func yamlError(file string, err error) error {
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

// scalar returns the value of key in mapping n, and its node.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lineOf returns the line of the node at path (keys and sequence indexes),
// or of the deepest ancestor that exists: a missing field is reported where
// it should have been written.
func lineOf(n *yaml.Node, path ...string) int {
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		if i, err := strconv.Atoi(p); err == nil && n.Kind == yaml.SequenceNode {
			if i < len(n.Content) {
				next = n.Content[i]
			}
		} else {
			next = lookup(n, p)
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

// checkFields reports every mapping key in n that type t does not declare,
// with the keys it does declare: yaml.v3's KnownFields is lost on nested
// Node.Decode calls, and a misspelt field silently ignored is how a scaling
// limit goes missing.
func checkFields(file string, n *yaml.Node, t reflect.Type, path string, errs *headroom.InputErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(duration{}) || t == reflect.TypeOf(yaml.Node{}) {
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
			ft, ok := fields[key.Value]
			if !ok {
				*errs = append(*errs, &headroom.InputError{File: file, Line: key.Line, Field: join(path, key.Value),
					Value: key.Value, Expected: "a known field: one of " + strings.Join(names, ", ")})
				continue
			}
			checkFields(file, n.Content[i+1], ft, join(path, key.Value), errs)
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

// duration is a Go duration string ("90s", "3m") that keeps its line. A bare
// number is refused: yaml.v3 would read 30 as 30 nanoseconds.
type duration struct {
	D    time.Duration
	Raw  string
	Line int
	Set  bool
	Bad  bool
}

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
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

// or returns the duration, or def when the field was not written.
func (d duration) or(def time.Duration) time.Duration {
	if !d.Set || d.Bad {
		return def
	}
	return d.D
}
