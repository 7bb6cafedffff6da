package tune

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"github.com/headroomhq/headroom/policy"
	"go.yaml.in/yaml/v3"
)

// WriteDetection returns the Service file data (read from path) with its
// `detection:` block holding rules: an existing block is replaced, else one
// is added at the end of spec. The rest of the file — comments, spacing,
// other documents — is kept byte for byte: yaml.v3's nodes say where the
// block is, and the text is spliced, not re-encoded (re-encoding would
// move every comment's column). note, if not empty, is written as a
// comment inside the block. The result is parsed again and must give
// these rules.
//
// Errors: EINVALID when the file has no Service document, or when the
// result does not read back as these rules.
func WriteDetection(path string, data []byte, rules []detect.Rule, note string) ([]byte, error) {
	docs, err := yamlnode.Documents(path, data)
	if err != nil {
		return nil, err
	}
	var spec *yaml.Node
	var specKey *yaml.Node
	for _, d := range docs {
		if d.Kind != yaml.MappingNode || value(d, "kind") == nil || value(d, "kind").Value != policy.KindService {
			continue
		}
		specKey, spec = entry(d, "spec")
	}
	if spec == nil || spec.Kind != yaml.MappingNode || len(spec.Content) == 0 {
		return nil, &headroom.InputError{File: path, Field: "spec", Expected: "a Service document (kind: Service) with a spec mapping"}
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	indent := spec.Content[0].Column - 1
	block := detectionBlock(strings.Repeat(" ", indent), rules, note)
	var out []string
	if key, _ := entry(spec, "detection"); key != nil {
		from := key.Line - 1
		to := blockEnd(lines, from, key.Column-1)
		out = append(append(append(out, lines[:from]...), block...), lines[to:]...)
	} else {
		// After the last line of spec's block.
		to := blockEnd(lines, specKey.Line-1, specKey.Column-1)
		if to > 0 && !strings.HasSuffix(lines[to-1], "\n") {
			lines[to-1] += "\n"
		}
		out = append(append(append(out, lines[:to]...), block...), lines[to:]...)
	}
	result := []byte(strings.Join(out, ""))
	f, err := policy.Parse(path, result)
	if err != nil {
		return nil, fmt.Errorf("the file with the new detection block does not read back: %w", err)
	}
	if len(f.Services) != 1 || !reflect.DeepEqual(f.Services[0].Detection, rules) {
		return nil, headroom.Errorf(headroom.EINVALID, "%s: the detection block written does not read back as the rules tuned", path)
	}
	return result, nil
}

// blockEnd returns the index of the first line after the block whose key
// is on line from at column col: the block holds the lines indented
// deeper, and blank lines between them; a comment at the key's column or
// less belongs to what follows.
func blockEnd(lines []string, from, col int) int {
	end := from + 1
	for i := from + 1; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		t := strings.TrimLeft(l, " ")
		switch {
		case t == "":
			continue // blank: the block's only if more of it follows
		case len(l)-len(t) > col:
			end = i + 1
			continue
		}
		break
	}
	return end
}

// detectionBlock renders rules as a `detection:` block at indent.
func detectionBlock(indent string, rules []detect.Rule, note string) []string {
	var b bytes.Buffer
	in := func(n int) string { return indent + strings.Repeat("  ", n) }
	fmt.Fprintf(&b, "%sdetection:\n", indent)
	for _, l := range strings.Split(note, "\n") {
		if l != "" {
			fmt.Fprintf(&b, "%s# %s\n", in(1), l)
		}
	}
	fmt.Fprintf(&b, "%srules:\n", in(1))
	for _, r := range rules {
		fmt.Fprintf(&b, "%s- name: %s\n", in(1), r.Name)
		fmt.Fprintf(&b, "%slong: %s\n", in(2), Dur(r.Long))
		if r.Short > 0 {
			fmt.Fprintf(&b, "%sshort: %s\n", in(2), Dur(r.Short))
		}
		if r.Factor > 0 {
			fmt.Fprintf(&b, "%sfactor: %s\n", in(2), strconv.FormatFloat(r.Factor, 'g', -1, 64))
		}
		if r.Latency > 0 {
			fmt.Fprintf(&b, "%slatency: %s\n", in(2), Dur(r.Latency))
		}
		if r.For > 0 {
			fmt.Fprintf(&b, "%sfor: %s\n", in(2), Dur(r.For))
		}
		if r.KeepFiringFor > 0 {
			fmt.Fprintf(&b, "%skeepFiringFor: %s\n", in(2), Dur(r.KeepFiringFor))
		}
		fmt.Fprintf(&b, "%sseverity: %s\n", in(2), r.Severity)
	}
	parts := strings.SplitAfter(b.String(), "\n")
	return parts[:len(parts)-1] // the empty string after the last newline
}

// value returns the value of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	_, v := entry(m, key)
	return v
}

// entry returns the key and value nodes of key in mapping m, or nils.
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
