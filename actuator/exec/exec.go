package exec

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// Defaults for the tunables of Config left at zero.
const (
	// DefaultTimeout bounds one attempt of a command. The AWS CLI's own
	// connect and read timeouts are 60 s each; 30 s is long enough for an
	// update call that is answered and short enough for a 15 s control
	// loop to notice a hang within a couple of rounds.
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is the number of extra attempts after a failure.
	DefaultRetries = 2
	// DefaultBackoff is the wait before the first retry; it doubles on each
	// further retry.
	DefaultBackoff = time.Second
	// MaxBackoff caps the doubling backoff.
	MaxBackoff = 30 * time.Second
)

// Output bounds.
const (
	// MaxOutput is how many bytes of standard output, and of standard
	// error, are kept per attempt. A longer stream keeps its last bytes.
	MaxOutput = 64 << 10
	// MaxErrorOutput is how many bytes of output (its tail) a CommandError
	// carries.
	MaxErrorOutput = 1 << 10
)

// Placeholders substituted in the argv of the commands.
const (
	PlaceholderDesired = "desired"
	PlaceholderTarget  = "target"
	PlaceholderReason  = "reason"
)

// Config configures an Actuator. It is plain data: New validates it and
// fills in defaults.
type Config struct {
	// Target is the name of the target being scaled, passed to the
	// commands as {{target}} and HEADROOM_TARGET, and named in errors.
	Target string
	// Scale is the argv run to set capacity, e.g.
	// ["aws", "ecs", "update-service", "--cluster", "prod", "--service",
	// "web", "--desired-count", "{{desired}}"] or ["/usr/local/bin/scale.sh"].
	// It may use {{desired}}, {{target}} and {{reason}}. Required.
	Scale []string
	// Read is the argv run to read the current capacity; it prints one
	// integer (all ready) or {"ready":N,"launching":M}. It may use
	// {{target}}. Optional: without it Capacity reports the last count
	// Scale set.
	Read []string
	// Timeout bounds each attempt; DefaultTimeout when zero.
	Timeout time.Duration
	// Retries is the number of extra attempts after a failure;
	// DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the wait before the first retry, doubling after each
	// (at most MaxBackoff); DefaultBackoff when zero.
	Backoff time.Duration
	// Env holds extra KEY=VALUE environment variables, added to headroom's
	// own environment. The HEADROOM_* variables take precedence.
	Env []string
	// Dir is the commands' working directory; headroom's when empty.
	Dir string
}

// Actuator sets and reads a target's capacity by running commands. Create
// one with New.
type Actuator struct {
	target  string
	scale   []string
	read    []string
	timeout time.Duration
	retries int
	backoff time.Duration
	env     []string
	dir     string

	// scaling holds a token while a scale command runs: Scale calls are
	// serialized so that two commands never race to set the count.
	scaling chan struct{}

	mu     sync.Mutex
	last   int  // the last count a scale command set
	scaled bool // whether last is known
}

var _ headroom.Actuator = (*Actuator)(nil)

// New validates c and returns an Actuator for it.
//
// Errors: *headroom.Error with code EINVALID naming every bad field: an
// empty Scale, an empty program name, an unknown placeholder (or, in Read,
// one that only Scale has), a negative Timeout or Backoff, an Env entry
// that is not KEY=VALUE.
func New(c Config) (*Actuator, error) {
	var problems []string
	bad := func(field, value, expected string) {
		if value == "" {
			problems = append(problems, fmt.Sprintf("%s: expected %s", field, expected))
			return
		}
		problems = append(problems, fmt.Sprintf("%s: got %q, expected %s", field, value, expected))
	}

	if len(c.Scale) == 0 {
		bad("scale", "", `the command that sets the capacity, as a list of arguments such as ["aws", "ecs", "update-service", ..., "--desired-count", "{{desired}}"]`)
	}
	checkArgv := func(field string, argv []string, allowed []string, note string) {
		if len(argv) > 0 && argv[0] == "" {
			bad(field+"[0]", "", "the program to run, a name on $PATH or a path")
		}
		for i, arg := range argv {
			for _, m := range placeholderRE.FindAllStringSubmatch(arg, -1) {
				if !slices.Contains(allowed, m[1]) {
					bad(fmt.Sprintf("%s[%d]", field, i), m[0], "a placeholder among "+listPlaceholders(allowed)+note)
				}
			}
		}
	}
	checkArgv("scale", c.Scale, []string{PlaceholderDesired, PlaceholderTarget, PlaceholderReason}, "")
	checkArgv("read", c.Read, []string{PlaceholderTarget}, " (reading has no desired count or reason)")
	if c.Timeout < 0 {
		bad("timeout", c.Timeout.String(), "a positive duration, or zero for the default "+DefaultTimeout.String())
	}
	if c.Backoff < 0 {
		bad("backoff", c.Backoff.String(), "a positive duration, or zero for the default "+DefaultBackoff.String())
	}
	for i, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			bad(fmt.Sprintf("env[%d]", i), kv, "KEY=VALUE")
		}
	}
	if len(problems) > 0 {
		return nil, headroom.Errorf(headroom.EINVALID, "exec actuator: %s", strings.Join(problems, "; "))
	}

	a := &Actuator{
		target:  c.Target,
		scale:   append([]string(nil), c.Scale...),
		read:    append([]string(nil), c.Read...),
		timeout: c.Timeout,
		retries: c.Retries,
		backoff: c.Backoff,
		env:     append([]string(nil), c.Env...),
		dir:     c.Dir,
		scaling: make(chan struct{}, 1),
	}
	if a.timeout == 0 {
		a.timeout = DefaultTimeout
	}
	switch {
	case a.retries == 0:
		a.retries = DefaultRetries
	case a.retries < 0:
		a.retries = 0
	}
	if a.backoff == 0 {
		a.backoff = DefaultBackoff
	}
	return a, nil
}

// Scale runs the scale command with desired and reason substituted and in
// its environment, retrying failures. On success, desired becomes the count
// Capacity reports when there is no read command.
//
// Errors: *headroom.Error with code EUNAVAILABLE wrapping a *CommandError
// when every attempt failed or ctx was done (the error then also wraps
// ctx.Err()); EINVALID when desired is negative.
func (a *Actuator) Scale(ctx context.Context, desired int, reason headroom.Reason) error {
	if desired < 0 {
		return headroom.Errorf(headroom.EINVALID, "scale target %q: desired count %d, expected 0 or more", a.target, desired)
	}
	select {
	case a.scaling <- struct{}{}:
		defer func() { <-a.scaling }()
	case <-ctx.Done():
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Err: &CommandError{
			Op: "scale", Target: a.target, Desired: desired, Args: a.scale,
			Err: fmt.Errorf("waiting for the previous scale command: %w", ctx.Err()),
		}}
	}

	vars := map[string]string{
		PlaceholderDesired: strconv.Itoa(desired),
		PlaceholderTarget:  a.target,
		PlaceholderReason:  reason.Message,
	}
	env := []string{
		"HEADROOM_TARGET=" + clean(a.target),
		"HEADROOM_DESIRED=" + strconv.Itoa(desired),
		"HEADROOM_REASON_CODE=" + clean(string(reason.Code)),
		"HEADROOM_REASON=" + clean(reason.Message),
	}
	_, err := a.run(ctx, "scale", desired, substitute(a.scale, vars), env, nil)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.last, a.scaled = desired, true
	a.mu.Unlock()
	return nil
}

// Capacity runs the read command and parses what it prints. Without a read
// command it returns the last count Scale set, all ready.
//
// Errors: *headroom.Error with code EUNAVAILABLE wrapping a *CommandError
// when the read command failed on every attempt, ctx was done, or its
// output is neither an integer nor the JSON shape; without a read command,
// EUNAVAILABLE before the first successful Scale.
func (a *Actuator) Capacity(ctx context.Context) (headroom.Capacity, error) {
	if len(a.read) == 0 {
		a.mu.Lock()
		last, scaled := a.last, a.scaled
		a.mu.Unlock()
		if !scaled {
			return headroom.Capacity{}, headroom.Errorf(headroom.EUNAVAILABLE,
				"read capacity of target %q: no read command configured and nothing scaled yet", a.target)
		}
		return headroom.Capacity{Ready: last}, nil
	}

	vars := map[string]string{PlaceholderTarget: a.target}
	env := []string{"HEADROOM_TARGET=" + clean(a.target)}
	var c headroom.Capacity
	_, err := a.run(ctx, "read", 0, substitute(a.read, vars), env, func(stdout []byte) (err error) {
		c, err = parseCapacity(stdout)
		return err
	})
	if err != nil {
		return headroom.Capacity{}, err
	}
	return c, nil
}

// placeholderRE matches {{name}}. A "{{" not followed by a name and "}}"
// (JSON in an argument, say) is left alone.
var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}`)

// substitute replaces the placeholders of argv in one pass, so a value that
// contains "{{...}}" is not expanded again.
func substitute(argv []string, vars map[string]string) []string {
	out := make([]string, len(argv))
	for i, arg := range argv {
		out[i] = placeholderRE.ReplaceAllStringFunc(arg, func(m string) string {
			name := placeholderRE.FindStringSubmatch(m)[1]
			return clean(vars[name]) // New admitted only names in vars
		})
	}
	return out
}

// clean removes NUL bytes, which no argument or environment variable can
// hold (the exec would fail).
func clean(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func listPlaceholders(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "{{" + n + "}}"
	}
	return strings.Join(quoted, ", ")
}
