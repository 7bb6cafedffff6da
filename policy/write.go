package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// Rewrite returns data, a file of headroom's YAML holding the ScalingPolicy
// p was read from, with p's bounds, scheduled actions and target tracking
// targets written in: a minimal diff. Every other field, the comments and
// the other documents of the file are kept; the schedules are replaced as a
// whole (each written with name, cron, its zone when it is not the
// policy's, and its counts).
//
// Errors are *headroom.InputError: data is not YAML, holds no
// ScalingPolicy (or several, and none named p.Name), or p's target
// tracking has a different number of metrics than the file.
func Rewrite(path string, data []byte, p *headroom.Policy) ([]byte, error) {
	roots, err := yamlnode.Documents(path, data)
	if err != nil {
		return nil, err
	}
	var spec *yaml.Node
	for _, root := range roots {
		_, kind := yamlnode.Lookup(root, "kind")
		if kind == nil || kind.Value != "ScalingPolicy" {
			continue
		}
		_, s := yamlnode.Lookup(root, "spec")
		_, meta := yamlnode.Lookup(root, "metadata")
		name := ""
		if meta != nil {
			if _, n := yamlnode.Lookup(meta, "name"); n != nil {
				name = n.Value
			}
		}
		if spec == nil || name == p.Name {
			spec = s
		}
	}
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil, &headroom.InputError{File: path, Line: 1, Expected: "a ScalingPolicy document with a spec to write the recommendation into"}
	}
	setInt(spec, "minInstances", p.Min)
	setInt(spec, "maxInstances", p.Max)
	zone := ""
	if _, z := yamlnode.Lookup(spec, "timeZone"); z != nil {
		zone = z.Value
	} else if p.TimeZone != nil && p.TimeZone != time.UTC {
		zone = p.TimeZone.String()
		set(spec, "timeZone", scalar(zone), "maxInstances")
	}
	if len(p.Schedules) > 0 {
		set(spec, "schedules", scheduleNodes(p.Schedules, zone), "timeZone")
	} else {
		remove(spec, "schedules")
	}
	if err := writeTargets(path, spec, p); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, root := range roots {
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := enc.Close(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return b.Bytes(), nil
}

// writeTargets sets the target of every metric of targetTracking.
func writeTargets(path string, spec *yaml.Node, p *headroom.Policy) error {
	_, tt := yamlnode.Lookup(spec, "targetTracking")
	if tt == nil || p.Target == nil {
		return nil
	}
	if _, list := yamlnode.Lookup(tt, "metrics"); list != nil && list.Kind == yaml.SequenceNode {
		if len(list.Content) != len(p.Target.Metrics) {
			return &headroom.InputError{File: path, Line: list.Line, Field: "spec.targetTracking.metrics",
				Expected: fmt.Sprintf("%d metrics, as the policy read from it", len(p.Target.Metrics))}
		}
		for i, m := range list.Content {
			setFloat(m, "target", p.Target.Metrics[i].Target)
		}
		return nil
	}
	if len(p.Target.Metrics) == 1 {
		setFloat(tt, "target", p.Target.Metrics[0].Target)
	}
	return nil
}

// scheduleNodes writes scheduled actions as headroom's YAML.
func scheduleNodes(list []headroom.ScheduledAction, zone string) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, a := range list {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		add := func(k string, v *yaml.Node) { m.Content = append(m.Content, scalar(k), v) }
		add("name", scalar(a.Name))
		c := scalar(a.Spec)
		c.Style = yaml.DoubleQuotedStyle
		add("cron", c)
		if a.TimeZone != nil && a.TimeZone.String() != zone && !(zone == "" && a.TimeZone == time.UTC) {
			add("timeZone", scalar(a.TimeZone.String()))
		}
		for _, f := range []struct {
			k string
			v *int
		}{{"minInstances", a.Min}, {"maxInstances", a.Max}, {"desiredInstances", a.Desired}} {
			if f.v != nil {
				add(f.k, intNode(*f.v))
			}
		}
		seq.Content = append(seq.Content, m)
	}
	return seq
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

// setInt sets key of mapping m to v when it differs, keeping the node (and
// its comment) when it exists.
func setInt(m *yaml.Node, key string, v int) {
	if _, n := yamlnode.Lookup(m, key); n != nil {
		if n.Value != strconv.Itoa(v) {
			n.Value, n.Tag, n.Style = strconv.Itoa(v), "!!int", 0
		}
		return
	}
	set(m, key, intNode(v), "")
}

func setFloat(m *yaml.Node, key string, v float64) {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if _, n := yamlnode.Lookup(m, key); n != nil {
		if f, err := strconv.ParseFloat(n.Value, 64); err != nil || f != v {
			n.Value, n.Tag, n.Style = s, "!!float", 0
			if v == float64(int64(v)) {
				n.Tag = "!!int"
			}
		}
		return
	}
	set(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}, "")
}

// set replaces the value of key in mapping m, or adds key after the key
// named after (at the end when after is absent).
func set(m *yaml.Node, key string, v *yaml.Node, after string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v.LineComment = m.Content[i+1].LineComment
			m.Content[i+1] = v
			return
		}
	}
	at := len(m.Content)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == after {
			at = i + 2
		}
	}
	m.Content = append(m.Content[:at], append([]*yaml.Node{scalar(key), v}, m.Content[at:]...)...)
}

func remove(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
