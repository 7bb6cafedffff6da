//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileCase is one line of testdata/hostile/cases.txt.
type hostileCase struct {
	name   string
	line   int
	exit   int
	stderr string
	args   []string
}

// hostileCases reads the corpus and makes the files its arguments name.
func hostileCases(t *testing.T) []hostileCase {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", 17<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long.csv")
	if err := os.WriteFile(long, []byte("timestamp,requests\n2021-06-30T00:00:00Z,"+strings.Repeat("9", 2<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	vars := strings.NewReplacer("$EX", strings.TrimSuffix(example, "/"), "$D", "testdata/hostile", "$TMP", empty,
		"$FIFO", fifo, "$BIG", big, "$LONG", long)

	f, err := os.Open("testdata/hostile/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []hostileCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 4 {
			t.Fatalf("cases.txt:%d: want name | exit | stderr | args, got %q", n, line)
		}
		code, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil {
			t.Fatalf("cases.txt:%d: exit code %q", n, parts[1])
		}
		cases = append(cases, hostileCase{name: strings.TrimSpace(parts[0]), line: n, exit: code,
			stderr: strings.TrimSpace(parts[2]), args: strings.Fields(vars.Replace(parts[3]))})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases in cases.txt", len(cases))
	}
	return cases
}

// checkHostile asserts what holds for every hostile input: the exit code
// CI reads (0, 1 or 2, and the one the case names), the message, and no
// stack trace.
func checkHostile(t *testing.T, c hostileCase, code int, stderr string) {
	t.Helper()
	if code < 0 || code > 2 || code != c.exit {
		t.Errorf("cases.txt:%d: exit code %d, want %d\n%s", c.line, code, c.exit, stderr)
	}
	if !strings.Contains(stderr, c.stderr) {
		t.Errorf("cases.txt:%d: stderr does not contain %q:\n%s", c.line, c.stderr, stderr)
	}
	for _, trace := range []string{"goroutine ", "panic", "internal error", ".go:"} {
		if strings.Contains(stderr, trace) {
			t.Errorf("cases.txt:%d: stderr has %q, a stack trace:\n%s", c.line, trace, stderr)
		}
	}
}

// TestHostileInputs runs the corpus of hostile inputs in testdata/hostile
// through the CLI in-process: every exit code is 0, 1 or 2, as the case
// says, with its message and no stack trace.
func TestHostileInputs(t *testing.T) {
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			checkHostile(t, c, code, stderr)
		})
	}
}

// hostileMaxRSS is the most memory one hostile input may take: the
// example's check takes about 60 MB; /dev/zero took 23.8 GB.
const hostileMaxRSS = 400 << 20

// TestHostileInputsBoundedMemory runs each case of the corpus as a
// process of its own, under a time limit, and bounds its peak memory
// (the kernel's maximum resident set size).
func TestHostileInputsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a process per case")
	}
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(os.Args[0], c.args...)
			cmd.Env = append(os.Environ(), "HEADROOM_TEST_MAIN=1")
			cmd.Stderr = &stderr
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			timer.Stop()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatal(err)
			}
			st := cmd.ProcessState
			if !st.Exited() {
				t.Fatalf("cases.txt:%d: %s (killed after 60 s?)\n%s", c.line, st, stderr.String())
			}
			checkHostile(t, c, st.ExitCode(), stderr.String())
			if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > hostileMaxRSS {
				t.Errorf("cases.txt:%d: peak memory %d MiB, want at most %d MiB", c.line, ru.Maxrss>>10, hostileMaxRSS>>20)
			}
		})
	}
}
