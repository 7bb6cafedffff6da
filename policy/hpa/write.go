package hpa

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// File is a YAML file of Kubernetes objects kept as nodes, to be edited in
// place and written back with its comments and other documents.
type File struct {
	Path string
	// Objects are the file's objects, as ReadObjects returns them; their
	// nodes are the file's, so editing them edits the file.
	Objects []*Object
	docs    []*yaml.Node
}

// ReadFile reads a YAML file of Kubernetes objects for editing.
// Errors are those of ReadObjects.
func ReadFile(path string, data []byte) (*File, error) {
	docs, err := yamlnode.Documents(path, data)
	if err != nil {
		return nil, err
	}
	var roots []*yaml.Node
	for _, d := range docs {
		if !isNull(d) {
			roots = append(roots, resolve(d))
		}
	}
	objs, err := objectsOf(path, roots)
	if err != nil {
		return nil, err
	}
	return &File{Path: path, Objects: objs, docs: docs}, nil
}

// Replace puts root in the place of the document whose root is old.
func (f *File) Replace(old, root *yaml.Node) {
	for i, d := range f.docs {
		if d == old {
			f.docs[i] = root
		}
	}
}

// Bytes writes the file back, two spaces an indent.
func (f *File) Bytes() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, root := range f.docs {
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	if err := enc.Close(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("write %s: %w", f.Path, err)
	}
	return b.Bytes(), nil
}

// Field returns the value of key in mapping n (merge keys and aliases
// followed), or nil.
func Field(n *yaml.Node, key string) *yaml.Node { return field(n, key) }

// SetScalar sets key of mapping m to a scalar: the node that holds it
// keeps its comments and, when quoted is false, its style; a missing key
// is added at the end. tag is the value's YAML tag (!!int, !!str, ...).
func SetScalar(m *yaml.Node, key, value, tag string, quoted bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			n := m.Content[i+1]
			if n.Kind == yaml.ScalarNode && n.Value == value {
				return
			}
			if n.Kind != yaml.ScalarNode {
				n = &yaml.Node{LineComment: n.LineComment}
				m.Content[i+1] = n
			}
			n.Kind, n.Value, n.Tag = yaml.ScalarNode, value, tag
			if quoted {
				n.Style = yaml.DoubleQuotedStyle
			} else if n.Style != yaml.FlowStyle {
				n.Style = 0
			}
			return
		}
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: value, Tag: tag}
	if quoted {
		n.Style = yaml.DoubleQuotedStyle
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
}

// Rewrite returns data, a file holding the HorizontalPodAutoscaler p was
// read from, with p's bounds and metric targets written in: a minimal diff
// (comments, behavior, the workload and every other document kept).
//
// A HorizontalPodAutoscaler has no schedules: a policy with scheduled
// actions is refused. Its floors can run as KEDA cron triggers
// (keda.FromHPA) or be held by headroom serve in guard mode.
//
// Errors are *headroom.InputError: data does not read as one HPA, p has
// scheduled actions, or p's metrics are not the file's.
func Rewrite(path string, data []byte, p *headroom.Policy) ([]byte, error) {
	if len(p.Schedules) > 0 {
		return nil, &headroom.InputError{File: path, Field: "schedules", Value: p.Schedules[0].Name,
			Expected: "no scheduled actions: a HorizontalPodAutoscaler has no schedules; run the floors as KEDA cron triggers, or hold them with headroom serve in guard mode"}
	}
	orig, _, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	f, err := ReadFile(path, data)
	if err != nil {
		return nil, err
	}
	var o *Object
	for _, x := range f.Objects {
		if isHPA(x) {
			o = x
		}
	}
	spec := field(o.Node, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil, o.InputError("spec", "", "a spec to write the recommendation into")
	}
	SetScalar(spec, "minReplicas", strconv.Itoa(p.Min), "!!int", false)
	SetScalar(spec, "maxReplicas", strconv.Itoa(p.Max), "!!int", false)
	if p.Target == nil || orig.Target == nil {
		return f.Bytes()
	}
	if len(p.Target.Metrics) != len(orig.Target.Metrics) {
		return nil, o.InputError("spec.metrics", "", fmt.Sprintf("%d metrics, as the policy read from it", len(orig.Target.Metrics)))
	}
	if o.APIVersion == "autoscaling/v1" {
		SetScalar(spec, "targetCPUUtilizationPercentage", strconv.Itoa(int(p.Target.Metrics[0].Target)), "!!int", false)
		return f.Bytes()
	}
	metrics := field(spec, "metrics")
	if metrics == nil {
		// The default: cpu at 80%. Written out only when it changes.
		if t := p.Target.Metrics[0].Target; t != orig.Target.Metrics[0].Target {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(fmt.Sprintf("- type: Resource\n  resource:\n    name: cpu\n    target:\n      type: Utilization\n      averageUtilization: %d\n", int(t))), &n); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			spec.Content = append(spec.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metrics"}, n.Content[0])
		}
		return f.Bytes()
	}
	for i, m := range metrics.Content {
		want, was := p.Target.Metrics[i].Target, orig.Target.Metrics[i].Target
		if want == was || i >= len(p.Target.Metrics) {
			continue
		}
		var sub *yaml.Node
		for _, k := range []string{"resource", "containerResource", "pods", "object", "external"} {
			if s := field(m, k); s != nil {
				sub = s
			}
		}
		target := field(sub, "target")
		if target == nil {
			continue
		}
		if n := field(target, "averageUtilization"); n != nil {
			SetScalar(target, "averageUtilization", strconv.Itoa(int(want)), "!!int", false)
			continue
		}
		for _, k := range []string{"averageValue", "value"} {
			n := field(target, k)
			if n == nil {
				continue
			}
			// A quantity: the old one scaled by the ratio of the targets
			// (both in the metric's unit).
			q, err := resource.ParseQuantity(n.Value)
			if err != nil {
				return nil, o.InputError(fmt.Sprintf("spec.metrics[%d].target.%s", i, k), n.Value, "a quantity to write the new target into")
			}
			s := strconv.FormatFloat(round6(q.AsApproximateFloat64()*want/was), 'f', -1, 64)
			tag := "!!float"
			if n.ShortTag() == "!!str" {
				tag = "!!str"
			}
			SetScalar(target, k, s, tag, false)
			break
		}
	}
	return f.Bytes()
}

// round6 rounds to six significant digits: a quantity a person reads.
func round6(v float64) float64 {
	if v == 0 {
		return 0
	}
	s := strconv.FormatFloat(v, 'g', 6, 64)
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(r, 0) {
		return v
	}
	return r
}
