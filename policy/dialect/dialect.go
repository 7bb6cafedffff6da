package dialect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/aws"
	"github.com/headroomhq/headroom/policy/hpa"
	"github.com/headroomhq/headroom/policy/keda"
	"go.yaml.in/yaml/v3"
)

// Format names a policy file format.
type Format string

const (
	// Auto (or "") detects the format from the file's content.
	Auto Format = "auto"
	// Headroom is headroom's own YAML (apiVersion headroom.dev/v1alpha1).
	Headroom Format = "headroom"
	// HPA is a Kubernetes HorizontalPodAutoscaler, alone or next to its
	// workload.
	HPA Format = "hpa"
	// KEDA is a KEDA ScaledObject (keda.sh/v1alpha1), alone or next to
	// its workload.
	KEDA Format = "keda"
	// AWS is the JSON the AWS CLI's describe commands print for
	// Application Auto Scaling and EC2 Auto Scaling, one file or several.
	AWS Format = "aws"
)

// Formats lists the formats that can be forced, for help texts.
var Formats = []Format{Auto, Headroom, HPA, KEDA, AWS}

// understood says which formats are read, for errors.
const understood = "headroom's own YAML (apiVersion " + policy.APIVersion + "), a Kubernetes HorizontalPodAutoscaler " +
	"(apiVersion autoscaling/v2, autoscaling/v2beta2 or autoscaling/v1), a KEDA ScaledObject (apiVersion " + keda.APIVersion + ") " +
	"or AWS Auto Scaling JSON (what `aws application-autoscaling` or `aws autoscaling` describe commands print)"

// ParseFormat checks a format name as a user typed it.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", Auto:
		return Auto, nil
	case Headroom, HPA, KEDA, AWS:
		return f, nil
	}
	return "", headroom.Errorf(headroom.EINVALID, "unknown policy format %q: expected auto, headroom, hpa, keda or aws", s)
}

// header is what detection reads of a document.
type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

var headroomLine = regexp.MustCompile(`(?m)^\s*apiVersion:\s*["']?headroom\.dev/`)

// Detect returns the format of data by its content: Headroom when a
// document has a headroom.dev apiVersion, HPA when one is a
// HorizontalPodAutoscaler, KEDA when one is a KEDA ScaledObject, AWS when
// it is the JSON of an AWS CLI describe command, and "" otherwise.
func Detect(data []byte) Format {
	docs, complete := headers(data)
	for _, h := range docs {
		if strings.HasPrefix(h.APIVersion, "headroom.dev/") {
			return Headroom
		}
	}
	if !complete && headroomLine.Match(data) {
		// Not even YAML, but it says what it means to be; its reader
		// reports the syntax error with its line.
		return Headroom
	}
	if hpa.Detect(data) {
		return HPA
	}
	if keda.Detect(data) {
		return KEDA
	}
	if aws.Detect(data) {
		return AWS
	}
	return ""
}

// headers reads the apiVersion and kind of every document it can, and
// whether it could read them all.
func headers(data []byte) (docs []header, complete bool) {
	defer func() {
		// The YAML parser must not crash detection; see yamlnode.Documents.
		if recover() != nil {
			complete = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, true
		}
		if err != nil {
			return docs, false
		}
		var h header
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode && n.Content[0].Decode(&h) == nil {
			docs = append(docs, h)
		}
	}
}

// LoadPolicy reads the policy in path in format f, detecting it when f is
// Auto or "". Warnings say where a native format was approximated.
//
// Errors are *headroom.InputError or headroom.InputErrors: an unreadable
// file, a format that cannot be detected (naming the formats understood), a
// forced format the file does not match, and every error of the format's
// reader. An unknown f is a *headroom.Error with code EINVALID.
func LoadPolicy(path string, f Format) (*headroom.Policy, []string, error) {
	data, err := inputfile.Read(path, inputfile.MaxDocumentSize)
	if err != nil {
		return nil, nil, &headroom.InputError{File: path, Expected: "a readable policy file of at most 16 MiB", Err: err}
	}
	return ParsePolicy(path, data, f)
}

// ParsePolicy is LoadPolicy for content already read (from a git ref, say);
// path names it in errors.
func ParsePolicy(path string, data []byte, f Format) (*headroom.Policy, []string, error) {
	p, warnings, err := parsePolicy(path, data, f)
	if err != nil {
		return nil, nil, err
	}
	// The model's ranges, the same whatever the format.
	if err := policy.CheckLimits(p); err != nil {
		return nil, nil, err
	}
	return p, warnings, nil
}

func parsePolicy(path string, data []byte, f Format) (*headroom.Policy, []string, error) {
	f, err := ParseFormat(string(f))
	if err != nil {
		return nil, nil, err
	}
	detected := Detect(data)
	switch {
	case f == Auto && detected == "":
		return nil, nil, &headroom.InputError{File: path, Line: 1, Expected: "a policy file: " + understood}
	case f == Auto:
		f = detected
	case detected != "" && detected != f:
		return nil, nil, &headroom.InputError{File: path, Line: 1, Field: "format", Value: string(f),
			Expected: fmt.Sprintf("%s, the format asked for, but this file looks like %s; ask for %s or auto", describe(f), describe(detected), detected)}
	}
	switch f {
	case Headroom:
		p, err := policy.ParsePolicy(path, data)
		if err != nil {
			return nil, nil, err
		}
		return p, nil, nil
	case HPA:
		return hpa.Parse(path, data)
	case KEDA:
		return keda.Parse(path, data)
	case AWS:
		return aws.Parse(path, data)
	}
	return nil, nil, &headroom.InputError{File: path, Field: "format", Value: string(f),
		Expected: "a format headroom reads: " + understood}
}

// LoadPolicies reads one policy from several files: the outputs of the AWS
// CLI's describe commands, one file each (--proposed targets.json
// --proposed policies.json). One path is LoadPolicy.
//
// Errors are those of LoadPolicy, and an *headroom.InputError naming the
// first file that is not AWS Auto Scaling JSON when there are several:
// only that format spreads one policy over files.
func LoadPolicies(paths []string, f Format) (*headroom.Policy, []string, error) {
	if len(paths) == 1 {
		return LoadPolicy(paths[0], f)
	}
	f, err := ParseFormat(string(f))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, &headroom.InputError{Expected: "a policy file"}
	}
	contents := make([][]byte, len(paths))
	for i, path := range paths {
		data, err := inputfile.Read(path, inputfile.MaxDocumentSize)
		if err != nil {
			return nil, nil, &headroom.InputError{File: path, Expected: "a readable policy file of at most 16 MiB", Err: err}
		}
		d := Detect(data)
		switch {
		case f != Auto && f != AWS:
			return nil, nil, &headroom.InputError{File: path, Field: "format", Value: string(f),
				Expected: "aws or auto: only AWS Auto Scaling JSON makes one policy of several files; give one file of " + describe(f)}
		case d != AWS && !(f == AWS && d == ""):
			what := "one that is not recognised"
			if d != "" {
				what = describe(d)
			}
			return nil, nil, &headroom.InputError{File: path, Line: 1,
				Expected: fmt.Sprintf("AWS Auto Scaling JSON, as the other files given with it (only the outputs of AWS CLI describe commands make one policy of several files); this one looks like %s", what)}
		}
		contents[i] = data
	}
	p, warnings, err := aws.ParseFiles(paths, contents)
	if err != nil {
		return nil, nil, err
	}
	if err := policy.CheckLimits(p); err != nil {
		return nil, nil, err
	}
	return p, warnings, nil
}

func describe(f Format) string {
	switch f {
	case Headroom:
		return "headroom's own YAML"
	case HPA:
		return "a Kubernetes HorizontalPodAutoscaler"
	case KEDA:
		return "a KEDA ScaledObject"
	case AWS:
		return "AWS Auto Scaling JSON"
	}
	return string(f)
}
