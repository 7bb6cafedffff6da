package policy

import (
	"bytes"
	"errors"
	"io"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
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
			return nil, yamlnode.Errors(file, err)
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
