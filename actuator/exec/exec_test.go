//go:build unix

package exec

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// record writes its arguments and the HEADROOM_* environment to files in
// $OUT, one file each, so that tests compare exact bytes.
const record = `
printf '%s' "$#" > "$OUT/argc"
i=0
for a in "$@"; do
	i=$((i+1))
	printf '%s' "$a" > "$OUT/arg$i"
done
for v in HEADROOM_TARGET HEADROOM_DESIRED HEADROOM_REASON_CODE HEADROOM_REASON EXTRA; do
	eval "printf '%s' \"\$$v\"" > "$OUT/$v"
done
pwd > "$OUT/pwd"
`

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string // in the EINVALID message; nil means valid
	}{
		{"valid: placeholders, spaces inside braces, JSON argument",
			Config{Scale: []string{"aws", "--count", "{{ desired }}", "{{target}}:{{reason}}", `{"a":{"b":1}}`}, Read: []string{"read", "{{target}}"}}, nil},
		{"scale missing", Config{Target: "web"},
			[]string{"scale: expected the command that sets the capacity"}},
		{"empty program name", Config{Scale: []string{"", "x"}},
			[]string{"scale[0]: expected the program to run"}},
		{"unknown placeholder", Config{Scale: []string{"aws", "--desired-count", "{{desird}}"}},
			[]string{`scale[2]: got "{{desird}}", expected a placeholder among {{desired}}, {{target}}, {{reason}}`}},
		{"read has no desired count", Config{Scale: []string{"s"}, Read: []string{"r", "--n={{desired}}"}},
			[]string{`read[1]: got "{{desired}}", expected a placeholder among {{target}} (reading has no desired count or reason)`}},
		{"negative durations", Config{Scale: []string{"s"}, Timeout: -time.Second, Backoff: -time.Millisecond},
			[]string{`timeout: got "-1s", expected a positive duration`, `backoff: got "-1ms"`}},
		{"env entry without =", Config{Scale: []string{"s"}, Env: []string{"A=1", "NOVALUE", "=x"}},
			[]string{`env[1]: got "NOVALUE", expected KEY=VALUE`, `env[2]: got "=x"`}},
		{"every problem at once", Config{Read: []string{"r", "{{reason}}"}, Env: []string{"X"}},
			[]string{"scale: expected", "read[1]:", "env[0]:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.c)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if a == nil {
					t.Fatal("New returned nil")
				}
				return
			}
			if got, want := headroom.ErrorCode(err), headroom.EINVALID; got != want {
				t.Fatalf("error code: got %q, want %q (%v)", got, want, err)
			}
			wantContains(t, err.Error(), tt.want...)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	a := newActuator(t, Config{Scale: []string{"s"}})
	if a.timeout != DefaultTimeout || a.retries != DefaultRetries || a.backoff != DefaultBackoff {
		t.Errorf("got timeout %v retries %d backoff %v, want the defaults", a.timeout, a.retries, a.backoff)
	}
	a = newActuator(t, Config{Scale: []string{"s"}, Retries: -1})
	if a.retries != 0 {
		t.Errorf("Retries -1: got %d retries, want 0", a.retries)
	}
}

func TestScaleEnvAndPlaceholders(t *testing.T) {
	dir, work := t.TempDir(), t.TempDir()
	a := newActuator(t, Config{
		Target: "web",
		Scale: script(t, dir, "scale.sh", record,
			"--desired-count", "{{desired}}", "--service={{target}}", "{{reason}}", "{{ desired }}{{desired}}"),
		// HEADROOM_DESIRED from Config.Env must not win over the real one.
		Env: []string{"OUT=" + dir, "EXTRA=extra value", "HEADROOM_DESIRED=999"},
		Dir: work,
	})
	reason := headroom.Reason{Code: headroom.ReasonScheduled, Message: "scheduled action 'night' at 17:00 UTC {{target}}"}
	if err := a.Scale(context.Background(), 4, reason); err != nil {
		t.Fatalf("Scale: %v", err)
	}

	files := map[string]string{
		"argc": "5",
		"arg1": "--desired-count",
		"arg2": "4",
		"arg3": "--service=web",
		// A placeholder inside a value is not expanded again.
		"arg4":                 "scheduled action 'night' at 17:00 UTC {{target}}",
		"arg5":                 "44",
		"HEADROOM_TARGET":      "web",
		"HEADROOM_DESIRED":     "4",
		"HEADROOM_REASON_CODE": "ScheduledAction",
		"HEADROOM_REASON":      "scheduled action 'night' at 17:00 UTC {{target}}",
		"EXTRA":                "extra value",
	}
	for name, want := range files {
		if got := readFile(t, dir, name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if got, want := strings.TrimSpace(readFile(t, dir, "pwd")), work; got != want {
		if real, err := filepath.EvalSymlinks(work); err != nil || got != real {
			t.Errorf("working directory: got %q, want %q", got, want)
		}
	}

	// Without a read command, Capacity reports what was set.
	c, err := a.Capacity(context.Background())
	if err != nil {
		t.Fatalf("Capacity: %v", err)
	}
	if got, want := c, (headroom.Capacity{Ready: 4}); got != want {
		t.Errorf("Capacity: got %+v, want %+v", got, want)
	}
}

func TestScaleInjection(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "canary")
	if err := os.Mkdir(canary, 0o755); err != nil {
		t.Fatal(err)
	}
	pwned := func(n string) string { return filepath.Join(dir, "pwned"+n) }
	// Were the argv or the environment ever given to a shell, these would
	// delete the canary or create a pwned file. (rm -rf of the canary
	// rather than of / makes an injection visible instead of fatal.)
	reason := "night; rm -rf " + canary + " ; rm -rf / ; touch " + pwned("1") +
		" $(touch " + pwned("2") + ") `touch " + pwned("3") + "` | touch " + pwned("4") +
		" && touch " + pwned("5") + "\ntouch " + pwned("6") + " '\"\\"
	target := "web$(touch " + pwned("7") + ");touch " + pwned("8")

	// The script uses its inputs the way a careless one would: unquoted.
	body := record + `
echo $1 $HEADROOM_REASON $HEADROOM_TARGET > "$OUT/echo"
`
	a := newActuator(t, Config{
		Target: target,
		Scale:  script(t, dir, "scale.sh", body, "{{reason}}", "--target", "{{target}}"),
		Env:    []string{"OUT=" + dir},
	})
	if err := a.Scale(context.Background(), 2, headroom.Reason{Code: headroom.ReasonScaleDown, Message: reason}); err != nil {
		t.Fatalf("Scale: %v", err)
	}

	if _, err := os.Stat(canary); err != nil {
		t.Errorf("canary: %v: a command in the reason ran", err)
	}
	for _, n := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		if _, err := os.Stat(pwned(n)); err == nil {
			t.Errorf("%s exists: a command in the reason or target ran", pwned(n))
		}
	}
	for name, want := range map[string]string{
		"argc": "3", "arg1": reason, "arg3": target,
		"HEADROOM_REASON": reason, "HEADROOM_TARGET": target,
	} {
		if got := readFile(t, dir, name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

func TestScaleRetriesThenSuccess(t *testing.T) {
	dir := t.TempDir()
	// Fails on the first two attempts, succeeds on the third.
	body := `
n=$(cat "$OUT/count" 2>/dev/null || echo 0)
n=$((n+1))
echo $n > "$OUT/count"
if [ $n -lt 3 ]; then echo "attempt $n failed" >&2; exit 1; fi
`
	a := newActuator(t, Config{
		Target:  "web",
		Scale:   script(t, dir, "scale.sh", body),
		Env:     []string{"OUT=" + dir},
		Backoff: 10 * time.Millisecond, // Retries 0: DefaultRetries, 2
	})
	if err := a.Scale(context.Background(), 3, headroom.Reason{}); err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if got, want := count(t, dir, "count"), 3; got != want {
		t.Errorf("attempts: got %d, want %d", got, want)
	}
}

func TestScaleRetriesExhausted(t *testing.T) {
	dir := t.TempDir()
	body := `
n=$(cat "$OUT/count" 2>/dev/null || echo 0)
echo $((n+1)) > "$OUT/count"
echo "partial output"
echo "An error occurred (ClusterNotFoundException): Cluster not found." >&2
exit 7
`
	a := newActuator(t, Config{
		Target:  "web",
		Scale:   script(t, dir, "scale.sh", body, "--desired-count", "{{desired}}"),
		Env:     []string{"OUT=" + dir},
		Retries: 2,
		Backoff: 20 * time.Millisecond,
	})
	start := time.Now()
	err := a.Scale(context.Background(), 5, headroom.Reason{})
	elapsed := time.Since(start)

	ce := commandError(t, err)
	if got, want := ce.Attempts, 3; got != want {
		t.Errorf("Attempts: got %d, want %d", got, want)
	}
	if got, want := count(t, dir, "count"), 3; got != want {
		t.Errorf("runs: got %d, want %d", got, want)
	}
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("got %v, want an *exec.ExitError with code 7 inside", err)
	}
	wantContains(t, err.Error(),
		`scale target "web" to 5`, "scale.sh --desired-count 5]", "(3 attempts)", "exit status 7",
		"partial output", "Cluster not found.")
	// Backoff 20 ms then 40 ms.
	if elapsed < 60*time.Millisecond {
		t.Errorf("took %v, want at least the 60ms of backoff", elapsed)
	}
	// Nothing was set, so there is still no capacity to report.
	if _, err := a.Capacity(context.Background()); headroom.ErrorCode(err) != headroom.EUNAVAILABLE {
		t.Errorf("Capacity after a failed Scale: got %v, want EUNAVAILABLE", err)
	}
}

func TestScaleTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	// A child in the background, holding the output open, and a script
	// that hangs waiting for it.
	body := `
sleep 60 &
echo $! > "$OUT/bgpid"
wait
`
	a := newActuator(t, Config{
		Target:  "web",
		Scale:   script(t, dir, "scale.sh", body),
		Env:     []string{"OUT=" + dir},
		Timeout: 200 * time.Millisecond,
		Retries: -1,
	})
	start := time.Now()
	err := a.Scale(context.Background(), 1, headroom.Reason{})
	elapsed := time.Since(start)

	pid := bgPid(t, dir, "bgpid")
	ce := commandError(t, err)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("got %v, want ErrTimeout inside", err)
	}
	if got, want := ce.Attempts, 1; got != want {
		t.Errorf("Attempts: got %d, want %d", got, want)
	}
	wantContains(t, err.Error(), "timed out after 200ms, process group killed")
	if elapsed > 2*time.Second {
		t.Errorf("took %v, want about the 200ms timeout", elapsed)
	}
	waitGone(t, pid)
}

func TestScaleTimeoutRetried(t *testing.T) {
	dir := t.TempDir()
	body := `
n=$(cat "$OUT/count" 2>/dev/null || echo 0)
n=$((n+1))
echo $n > "$OUT/count"
if [ $n -lt 2 ]; then sleep 60; fi
`
	a := newActuator(t, Config{
		Scale:   script(t, dir, "scale.sh", body),
		Env:     []string{"OUT=" + dir},
		Timeout: 200 * time.Millisecond,
		Retries: 1,
		Backoff: 10 * time.Millisecond,
	})
	if err := a.Scale(context.Background(), 1, headroom.Reason{}); err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if got, want := count(t, dir, "count"), 2; got != want {
		t.Errorf("attempts: got %d, want %d", got, want)
	}
}

func TestScaleKillsWhatSuccessLeftBehind(t *testing.T) {
	dir := t.TempDir()
	// Exits 0 at once, leaving a child that holds stdout open.
	body := `
sleep 60 &
echo $! > "$OUT/bgpid"
echo done
`
	a := newActuator(t, Config{
		Scale: script(t, dir, "scale.sh", body),
		Env:   []string{"OUT=" + dir},
	})
	start := time.Now()
	if err := a.Scale(context.Background(), 1, headroom.Reason{}); err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %v, want well under the 60s the child would hold the output", elapsed)
	}
	waitGone(t, bgPid(t, dir, "bgpid"))
}

func TestScaleContextCancel(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"during the backoff", "exit 1"},
		{"while the command runs", "sleep 60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			body := `
n=$(cat "$OUT/count" 2>/dev/null || echo 0)
echo $((n+1)) > "$OUT/count"
` + tt.body
			a := newActuator(t, Config{
				Target:  "web",
				Scale:   script(t, dir, "scale.sh", body),
				Env:     []string{"OUT=" + dir},
				Timeout: 10 * time.Second,
				Retries: 5,
				Backoff: 10 * time.Second,
			})
			// Cancelled once the first run has started (its count is
			// written), not after a fixed 100 ms: on a loaded machine the
			// shell may not have started by then (regression test for a
			// flake that saw 0 runs).
			ctx, cancel := context.WithCancel(context.Background())
			var cancelled atomic.Int64
			go func() {
				for {
					if _, err := os.Stat(filepath.Join(dir, "count")); err == nil {
						time.Sleep(50 * time.Millisecond) // inside the run or its backoff
						cancelled.Store(time.Now().UnixNano())
						cancel()
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
			err := a.Scale(ctx, 1, headroom.Reason{})
			elapsed := time.Since(time.Unix(0, cancelled.Load()))

			ce := commandError(t, err)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled inside", err)
			}
			if got, want := ce.Attempts, 1; got != want {
				t.Errorf("Attempts: got %d, want %d", got, want)
			}
			if got, want := count(t, dir, "count"), 1; got != want {
				t.Errorf("runs: got %d, want %d", got, want)
			}
			if elapsed > time.Second {
				t.Errorf("took %v after the cancel, want to stop soon", elapsed)
			}
		})
	}
}

func TestScaleProgramNotFound(t *testing.T) {
	a := newActuator(t, Config{
		Target:  "web",
		Scale:   []string{filepath.Join(t.TempDir(), "no-such-program")},
		Backoff: 10 * time.Second,
	})
	start := time.Now()
	ce := commandError(t, a.Scale(context.Background(), 1, headroom.Reason{}))
	if got, want := ce.Attempts, 1; got != want {
		t.Errorf("Attempts: got %d, want %d (a missing program is not retried)", got, want)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v, want no backoff", elapsed)
	}
}

func TestScaleNegativeDesired(t *testing.T) {
	a := newActuator(t, Config{Scale: []string{"true"}})
	if got, want := headroom.ErrorCode(a.Scale(context.Background(), -1, headroom.Reason{})), headroom.EINVALID; got != want {
		t.Errorf("error code: got %q, want %q", got, want)
	}
}

func TestScaleOutputBounded(t *testing.T) {
	dir := t.TempDir()
	// 1 MB on stderr, then the line that matters.
	body := `
i=0
while [ $i -lt 1024 ]; do
	printf '%01024d' 0 >&2
	i=$((i+1))
done
echo "the real error" >&2
exit 1
`
	a := newActuator(t, Config{Scale: script(t, dir, "scale.sh", body), Retries: -1})
	ce := commandError(t, a.Scale(context.Background(), 1, headroom.Reason{}))
	if !strings.HasPrefix(ce.Output, "…") || !strings.HasSuffix(ce.Output, "the real error") {
		t.Errorf("Output: got %q..., want a cut tail ending in the last line", ce.Output[:min(40, len(ce.Output))])
	}
	if got, want := len(ce.Output), MaxErrorOutput+len("…"); got > want {
		t.Errorf("Output: got %d bytes, want at most %d", got, want)
	}
}

func TestCapacityWithoutRead(t *testing.T) {
	a := newActuator(t, Config{Target: "web", Scale: []string{"true"}})
	_, err := a.Capacity(context.Background())
	if got, want := headroom.ErrorCode(err), headroom.EUNAVAILABLE; got != want {
		t.Fatalf("error code: got %q, want %q (%v)", got, want, err)
	}
	wantContains(t, err.Error(), `"web"`, "no read command configured and nothing scaled yet")

	for _, desired := range []int{3, 0} {
		if err := a.Scale(context.Background(), desired, headroom.Reason{}); err != nil {
			t.Fatalf("Scale: %v", err)
		}
		c, err := a.Capacity(context.Background())
		if err != nil {
			t.Fatalf("Capacity: %v", err)
		}
		if got, want := c, (headroom.Capacity{Ready: desired}); got != want {
			t.Errorf("Capacity: got %+v, want %+v", got, want)
		}
	}
}

func TestCapacityRead(t *testing.T) {
	tests := []struct {
		name   string
		output string
		want   headroom.Capacity
		errs   []string // in the EUNAVAILABLE error; nil means success
	}{
		{"integer: all ready", "3\n", headroom.Capacity{Ready: 3}, nil},
		{"JSON", `{"ready":2,"launching":1}`, headroom.Capacity{Ready: 2, Launching: 1}, nil},
		{"JSON as the AWS CLI prints a query", "{\n    \"ready\": 5,\n    \"launching\": 0\n}\n", headroom.Capacity{Ready: 5}, nil},
		{"garbage", "garbage\n", headroom.Capacity{},
			[]string{`read capacity of target "web"`, `printed "garbage"`, "expected one non-negative integer", `{"ready": N, "launching": M}`}},
		{"nothing", "", headroom.Capacity{}, []string{"printed nothing, expected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := newActuator(t, Config{
				Target: "web",
				Scale:  []string{"true"},
				Read: script(t, dir, "read.sh", `
n=$(cat "$OUT/count" 2>/dev/null || echo 0)
echo $((n+1)) > "$OUT/count"
printf '%s %s' "$1" "$HEADROOM_TARGET" > "$OUT/args"
printf '%s' "$OUTPUT"
`, "--service={{target}}"),
				Env:     []string{"OUT=" + dir, "OUTPUT=" + tt.output},
				Backoff: 10 * time.Millisecond,
			})
			c, err := a.Capacity(context.Background())
			if got, want := readFile(t, dir, "args"), "--service=web web"; got != want {
				t.Errorf("read command got %q, want %q", got, want)
			}
			if tt.errs == nil {
				if err != nil {
					t.Fatalf("Capacity: %v", err)
				}
				if c != tt.want {
					t.Errorf("Capacity: got %+v, want %+v", c, tt.want)
				}
				return
			}
			commandError(t, err)
			wantContains(t, err.Error(), tt.errs...)
			// Output that does not parse is not retried.
			if got, want := count(t, dir, "count"), 1; got != want {
				t.Errorf("runs: got %d, want %d", got, want)
			}
		})
	}
}

func TestCapacityReadFails(t *testing.T) {
	dir := t.TempDir()
	a := newActuator(t, Config{
		Target:  "web",
		Scale:   []string{"true"},
		Read:    script(t, dir, "read.sh", "echo 'Unable to locate credentials' >&2; exit 255"),
		Retries: 1,
		Backoff: 10 * time.Millisecond,
	})
	_, err := a.Capacity(context.Background())
	ce := commandError(t, err)
	if got, want := ce.Op, "read"; got != want {
		t.Errorf("Op: got %q, want %q", got, want)
	}
	wantContains(t, err.Error(), `read capacity of target "web"`, "(2 attempts)", "exit status 255", "Unable to locate credentials")
}
