package dialect

import (
	"fmt"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
)

// Rewrite writes p back into data, the file (at path) it was read from, in
// the file's own format, as a minimal diff: the bounds, scheduled actions
// and targets change; comments and unrelated fields stay where the format
// allows. f is the file's format (Auto detects it).
//
// Errors are *headroom.InputError: the format cannot be detected, the
// file does not hold the policy, or the format cannot express p (naming
// what it lacks and the alternatives).
func Rewrite(path string, data []byte, f Format, p *headroom.Policy) ([]byte, error) {
	f, err := ParseFormat(string(f))
	if err != nil {
		return nil, err
	}
	if f == Auto {
		f = Detect(data)
	}
	switch f {
	case Headroom:
		return policy.Rewrite(path, data, p)
	}
	return nil, &headroom.InputError{File: path, Field: "format", Value: string(f),
		Expected: fmt.Sprintf("a format recommend writes back: headroom's own YAML (%s cannot be written yet)", describe(f))}
}
