//go:build unix

package exec

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// script writes body to a shell script in dir and returns the argv that
// runs it with /bin/sh, followed by args.
func script(t *testing.T, dir, name, body string, args ...string) []string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return append([]string{"/bin/sh", path}, args...)
}

// newActuator returns New(c) and fails the test on an error.
func newActuator(t *testing.T, c Config) *Actuator {
	t.Helper()
	a, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// readFile returns the content of dir/name.
func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// count returns the integer in dir/name, 0 when the file does not exist.
func count(t *testing.T, dir, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// commandError returns the *CommandError in err, checking that err is a
// *headroom.Error with code EUNAVAILABLE.
func commandError(t *testing.T, err error) *CommandError {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if got, want := headroom.ErrorCode(err), headroom.EUNAVAILABLE; got != want {
		t.Fatalf("error code: got %q, want %q (%v)", got, want, err)
	}
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want a *CommandError inside", err, err)
	}
	return ce
}

// wantContains fails the test unless s contains every one of subs.
func wantContains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("got %q, want it to contain %q", s, sub)
		}
	}
}

// waitGone waits up to 2 s for process pid to be gone (or a zombie, which
// is dead and only waits for its parent to reap it).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, fs.ErrNotExist) && fileExists("/proc/self/stat")
	}
	// The state follows the command name in parentheses: "123 (sleep) Z ...".
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// bgPid reads the pid a script recorded and kills that process when the
// test ends, in case the code under test did not.
func bgPid(t *testing.T, dir, name string) int {
	t.Helper()
	pid := count(t, dir, name)
	if pid <= 0 {
		t.Fatalf("%s: no pid recorded", name)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}
