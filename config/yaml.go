package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
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
			return nil, yamlnode.Errors(file, err)
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
