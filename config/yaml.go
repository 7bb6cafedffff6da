package config

import (
	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// parseDocument returns the root mapping of the one YAML document in data.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	roots, err := yamlnode.Documents(file, data)
	switch {
	case err != nil:
		return nil, err
	case len(roots) == 0:
		return nil, &headroom.InputError{File: file, Line: 1, Expected: "a " + Kind + " document with apiVersion " + APIVersion}
	case roots[0].Kind != yaml.MappingNode:
		return nil, &headroom.InputError{File: file, Line: roots[0].Line, Expected: "a mapping with apiVersion, kind, metadata and spec"}
	case len(roots) > 1:
		return nil, &headroom.InputError{File: file, Line: roots[1].Line,
			Expected: "one document: the config is a single " + Kind + " (the files it references hold services and policies)"}
	}
	return roots[0], nil
}
