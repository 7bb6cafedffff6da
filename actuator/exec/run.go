package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
)

// ErrTimeout is wrapped by the error of an attempt that ran out of time.
var ErrTimeout = errors.New("timed out")

// waitDelay bounds how long Wait keeps reading output after the command
// exited (or was killed) while something it left behind still holds its
// stdout or stderr open.
const waitDelay = 500 * time.Millisecond

// result is the outcome of one attempt.
type result struct {
	stdout []byte // the tail of standard output
	output string // the trimmed tail of stdout and stderr together, for errors
	err    error
	// retry says whether another attempt could do better: not when the
	// program cannot be started or ctx is done.
	retry bool
}

// run runs argv, retrying failures with a doubling backoff. parse, when not
// nil, gets the standard output of the successful attempt; a parse error
// ends the run without a retry.
func (a *Actuator) run(ctx context.Context, op string, desired int, argv, env []string, parse func(stdout []byte) error) (attempts int, err error) {
	fail := func(attempts int, err error, output string) error {
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Err: &CommandError{
			Op: op, Target: a.target, Desired: desired, Args: argv,
			Attempts: attempts, Err: err, Output: output,
		}}
	}
	backoff := a.backoff
	for n := 1; ; n++ {
		res := a.attempt(ctx, argv, env)
		if res.err == nil {
			if parse != nil {
				if err := parse(res.stdout); err != nil {
					return n, fail(n, err, "")
				}
			}
			return n, nil
		}
		if !res.retry || n > a.retries {
			return n, fail(n, res.err, res.output)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return n, fail(n, fmt.Errorf("%w; stopped before retrying: %w", res.err, ctx.Err()), res.output)
		case <-timer.C:
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

// attempt runs argv once, in a process group of its own that is killed when
// the attempt times out, ctx is done, or the command exits.
func (a *Actuator) attempt(ctx context.Context, argv, env []string) result {
	actx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()

	cmd := osexec.CommandContext(actx, argv[0], argv[1:]...)
	// Later entries win: HEADROOM_* over Config.Env over our environment.
	cmd.Env = append(append(os.Environ(), a.env...), env...)
	cmd.Dir = a.dir
	stdout := &tailBuffer{max: MaxOutput}
	combined := &tailBuffer{max: MaxOutput}
	cmd.Stdout = io.MultiWriter(stdout, combined)
	cmd.Stderr = combined
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)

	if err := cmd.Start(); err != nil {
		// A missing or non-executable program stays so: no retry.
		permanent := errors.Is(err, osexec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
		return result{err: err, retry: !permanent && ctx.Err() == nil}
	}
	err := cmd.Wait()
	// Whatever the command left in its group goes with it.
	_ = killGroup(cmd.Process)

	res := result{stdout: stdout.Bytes(), output: tail(combined)}
	switch {
	case err == nil:
		// Exited 0 on its own: the change was taken even if ctx ended
		// just after.
	case ctx.Err() != nil:
		// The caller gave up: no retry, and say so rather than "killed".
		res.err = fmt.Errorf("stopped, process group killed: %w", ctx.Err())
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		res.err = fmt.Errorf("%w after %v, process group killed", ErrTimeout, a.timeout)
		res.retry = true
	case errors.Is(err, osexec.ErrWaitDelay) && cmd.ProcessState.Success():
		// The command succeeded; a child it left behind held the output
		// open and was killed above.
		res.err = nil
	default:
		res.err = err // *osexec.ExitError: "exit status 3", "signal: killed"
		res.retry = true
	}
	return res
}

// tail returns the trimmed last MaxErrorOutput bytes of b.
func tail(b *tailBuffer) string {
	s := strings.TrimSpace(string(b.Bytes()))
	cut := b.Dropped() > 0
	if len(s) > MaxErrorOutput {
		s, cut = s[len(s)-MaxErrorOutput:], true
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
	}
	if cut {
		s = "…" + s
	}
	return s
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent writes: stdout and stderr are copied by two goroutines.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) >= b.max {
		b.dropped += int64(len(b.buf) + len(p) - b.max)
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		return n, nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.dropped += int64(over)
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return n, nil
}

// Bytes returns a copy of what is kept.
func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// Dropped returns how many bytes were written beyond what is kept.
func (b *tailBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
