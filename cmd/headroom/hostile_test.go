//go:build linux

package main

import (
	"bufio"
	"bytes"
	"math"
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

// Regression test for check and simulate ignoring SIGINT and SIGTERM until
// the run ended (6 min 34 s on one input): a signal stops a long run at
// once, with exit 2, "interrupted", nothing on stdout and no file written
// (neither the report nor the timeline, nor its temporary file).
func TestInterruptedRunExitsTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run in a process")
	}
	dir := t.TempDir()
	// 300 days of per-minute traffic: 26 million seconds per policy.
	var b strings.Builder
	b.WriteString("timestamp,requests\n")
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 * 24 * 60 {
		b.WriteString(start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339))
		b.WriteString(",60000\n")
	}
	long := filepath.Join(dir, "long.csv")
	if err := os.WriteFile(long, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, timeline := filepath.Join(dir, "out.json"), filepath.Join(dir, "timeline.csv")
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"check, SIGTERM", syscall.SIGTERM, []string{"check", "--service", example + "service.yaml", "--proposed", example + "proposed.yaml",
			"--baseline", example + "baseline.yaml", "--traffic", long, "--format", "json", "-o", out}},
		{"simulate --timeline, SIGINT", syscall.SIGINT, []string{"simulate", "--service", example + "service.yaml", "--policy", example + "proposed.yaml",
			"--traffic", long, "--timeline", timeline, "--timeline-step", "1h"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), "HEADROOM_TEST_MAIN=1")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			time.Sleep(1500 * time.Millisecond) // reading done, the runs under way
			sent := time.Now()
			cmd.Process.Signal(tc.sig)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 10 s after %s", tc.sig)
			}
			took := time.Since(sent)
			if code := cmd.ProcessState.ExitCode(); code != ExitInvalid || !strings.Contains(stderr.String(), "interrupted") {
				t.Fatalf("exit %d, stderr %q; want 2 and \"interrupted\"", code, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout has a partial result: %q", stdout.String())
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "long.csv" {
					t.Errorf("%s was written", e.Name())
				}
			}
			t.Logf("stopped %v after %s", took.Round(time.Millisecond), tc.sig)
		})
	}
}

// Regression test for a timeline that wrote 2.27 GB with no warning: its
// size is said on stderr before the run, and --timeline-step 1m writes a
// row a minute whose sums match the seconds'.
func TestTimelineSizeAndStep(t *testing.T) {
	dir := t.TempDir()
	perSecond, perMinute := filepath.Join(dir, "s.csv"), filepath.Join(dir, "m.csv")
	args := []string{"simulate", "--service", example + "service.yaml", "--policy", example + "proposed.yaml", "--traffic", example + "traffic.csv"}
	code, _, stderr := run(t, append(args, "--timeline", perSecond)...)
	if code != ExitPass || !strings.Contains(stderr, "timeline: 86400 rows, about 9.") || !strings.Contains(stderr, "--timeline-step 1m writes 60 times fewer rows") {
		t.Fatalf("exit %d, stderr %q: want the size (86400 rows, about 9 MiB) and the hint", code, stderr)
	}
	code, _, stderr = run(t, append(args, "--timeline", perMinute, "--timeline-step", "1m")...)
	if code != ExitPass || !strings.Contains(stderr, "timeline: 1440 rows") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	sum := func(path string) (rows int, failed, instanceSeconds float64, first string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
		for _, l := range lines {
			f := strings.Split(l, ",")
			v, _ := strconv.ParseFloat(f[9], 64)
			w, _ := strconv.ParseFloat(f[10], 64)
			failed, instanceSeconds = failed+v, instanceSeconds+w
			if r, _ := strconv.ParseFloat(f[8], 64); r > 1 {
				t.Errorf("error ratio above 1: %s", l)
			}
		}
		return len(lines), failed, instanceSeconds, lines[0]
	}
	n1, f1, i1, _ := sum(perSecond)
	n60, f60, i60, first := sum(perMinute)
	if n1 != 86400 || n60 != 1440 || math.Abs(f1-f60) > 1 || i1 != i60 || !strings.Contains(first, "2021-06-30T00:00:00Z") {
		t.Errorf("per second: %d rows, %.0f failed, %.0f instance-seconds; per minute: %d rows, %.0f failed, %.0f instance-seconds (first %s)",
			n1, f1, i1, n60, f60, i60, first)
	}
	for _, bad := range []string{"0s", "1500ms", "48h"} {
		if code, _, stderr := run(t, append(args, "--timeline", perMinute, "--timeline-step", bad)...); code != ExitInvalid || !strings.Contains(stderr, "--timeline-step") {
			t.Errorf("--timeline-step %s: exit %d, %s", bad, code, stderr)
		}
	}
}
