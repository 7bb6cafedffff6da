package exec

import (
	"fmt"
	"strconv"
	"strings"
)

// CommandError is why a command failed. Failures reach callers as a
// *headroom.Error with code EUNAVAILABLE wrapping it; use errors.As to read
// its fields.
type CommandError struct {
	// Op is "scale" or "read".
	Op     string
	Target string
	// Desired is the count a scale command was asked to set.
	Desired int
	// Args is the argv as it was run, placeholders substituted.
	Args []string
	// Attempts is how many times the command ran.
	Attempts int
	// Err is the last attempt's failure: an *os/exec.ExitError, an error
	// wrapping ErrTimeout or ctx.Err(), a start error (program not found),
	// or for a read command, output that does not parse.
	Err error
	// Output is the trimmed tail (MaxErrorOutput bytes) of what the last
	// attempt printed on stdout and stderr; "…" marks a cut.
	Output string
}

func (e *CommandError) Error() string {
	var b strings.Builder
	if e.Op == "scale" {
		fmt.Fprintf(&b, "scale target %q to %d", e.Target, e.Desired)
	} else {
		fmt.Fprintf(&b, "%s capacity of target %q", e.Op, e.Target)
	}
	fmt.Fprintf(&b, ": command %s", formatArgs(e.Args))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Output != "" {
		fmt.Fprintf(&b, "; output: %q", e.Output)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// formatArgs shows argv as a list, quoting the arguments a reader could not
// otherwise tell apart.
func formatArgs(argv []string) string {
	quoted := make([]string, len(argv))
	for i, arg := range argv {
		quoted[i] = arg
		if arg == "" || strings.ContainsFunc(arg, func(r rune) bool {
			return r <= ' ' || r == '"' || r == '\\' || r == '[' || r == ']' || r >= 0x7f
		}) {
			quoted[i] = strconv.Quote(arg)
		}
	}
	return "[" + strings.Join(quoted, " ") + "]"
}
