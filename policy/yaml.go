package policy

import (
	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// documents returns the root mapping of every YAML document of data, so
// that every problem found later can name its line. Empty documents (a
// stray "---") are dropped.
func documents(file string, data []byte) ([]*yaml.Node, error) {
	roots, err := yamlnode.Documents(file, data)
	if err != nil {
		return nil, err
	}
	for _, root := range roots {
		if root.Kind != yaml.MappingNode {
			return nil, &headroom.InputError{File: file, Line: root.Line, Expected: "a mapping with apiVersion, kind, metadata and spec"}
		}
	}
	return roots, nil
}
