package pgtest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/headroomhq/headroom/internal/pgtest"
)

// orphanChildEnv, when set, has TestOrphanChild start a server, print its
// URL and directory, and wait to be killed: the child process of
// TestServerDiesWithTestBinary.
const orphanChildEnv = "HEADROOM_PGTEST_ORPHAN_CHILD"

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(t.Context(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestNewDatabase(t *testing.T) {
	var first, second string
	t.Run("two databases", func(t *testing.T) {
		first, second = pgtest.NewDatabase(t), pgtest.NewDatabase(t)
		if first == second {
			t.Fatalf("NewDatabase returned %s twice", first)
		}
		a, b := connect(t, first), connect(t, second)
		if got := queryString(t, a, `SELECT current_database()`); "/"+got != mustURL(t, first).Path {
			t.Errorf("connected to database %q through %s", got, first)
		}
		if _, err := a.Exec(t.Context(), `CREATE TABLE x (n int)`); err != nil {
			t.Fatal(err)
		}
		// The other database is empty: x is not there.
		if got := queryString(t, b, `SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'`); got != "0" {
			t.Errorf("second database has %s tables, want 0", got)
		}
		// A connection still open at the end of the test does not keep
		// the database from being dropped.
		connect(t, first)
	})
	if t.Failed() {
		return
	}
	// The subtest's cleanup dropped both.
	admin := mustURL(t, first)
	admin.Path = "/postgres"
	conn := connect(t, admin.String())
	for _, u := range []string{first, second} {
		name := strings.TrimPrefix(mustURL(t, u).Path, "/")
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestSettings(t *testing.T) {
	if os.Getenv(pgtest.EnvURL) != "" {
		t.Skipf("%s is set: the server is not pgtest's", pgtest.EnvURL)
	}
	conn := connect(t, pgtest.NewDatabase(t))
	for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "server_encoding": "UTF8"} {
		if got := queryString(t, conn, "SHOW "+setting); got != want {
			t.Errorf("SHOW %s = %q, want %q", setting, got, want)
		}
	}
	if v := queryString(t, conn, `SHOW server_version_num`); v < "150000" {
		t.Logf("server version %s: the tests were written against PostgreSQL 15", v)
	}
}

func TestDatabaseNames(t *testing.T) {
	// Names longer than PostgreSQL's 63 bytes, or with characters an
	// identifier cannot hold unquoted, still give distinct databases.
	long := strings.Repeat("Ünïcode/sub test with spaces ", 5)
	t.Run(long, func(t *testing.T) {
		a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
		for _, u := range []string{a, b} {
			name := strings.TrimPrefix(mustURL(t, u).Path, "/")
			if len(name) > 63 {
				t.Errorf("database name %q is %d bytes, want at most 63", name, len(name))
			}
			if got := queryString(t, connect(t, u), `SELECT current_database()`); got != name {
				t.Errorf("current_database() = %q, want %q", got, name)
			}
		}
		if a == b {
			t.Errorf("NewDatabase returned %s twice", a)
		}
	})
}

func TestStartAndKill(t *testing.T) {
	s := pgtest.Start(t)
	conn := connect(t, s.URL)
	if got := queryString(t, conn, `SELECT 'up'`); got != "up" {
		t.Fatalf("SELECT 'up' = %q", got)
	}
	pid := postmasterPID(t, conn)
	if os.Geteuid() == 0 {
		// PostgreSQL refuses root: it runs as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		if got := processUID(t, pid); got != u.Uid {
			t.Errorf("as root: postgres runs as uid %s, want %s (postgres)", got, u.Uid)
		}
	}
	data := queryString(t, conn, `SHOW data_directory`)
	shm := sharedMemoryID(t, data)
	s.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err == nil {
		t.Error("Ping after Kill succeeded, want a failure")
	}
	if _, err := pgx.Connect(ctx, s.URL); err == nil {
		t.Error("Connect after Kill succeeded, want a failure")
	}
	if processAlive(pid) {
		t.Errorf("postmaster %d alive after Kill", pid)
	}
	// A killed server leaves its System V segment: Close removes it.
	if !sharedMemoryExists(t, shm) {
		t.Errorf("shared memory segment %d gone after Kill, before Close: the test checks nothing", shm)
	}
	s.Close()
	if sharedMemoryExists(t, shm) {
		t.Errorf("shared memory segment %d left after Close", shm)
	}
}

func TestCloseRemovesDirectory(t *testing.T) {
	s := pgtest.Start(t)
	conn := connect(t, s.URL)
	dir := queryString(t, conn, `SHOW data_directory`)
	pid := postmasterPID(t, conn)
	s.Close()
	if processAlive(pid) {
		t.Errorf("postmaster %d alive after Close", pid)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("server directory %s after Close: %v, want it removed", filepath.Dir(dir), err)
	}
	s.Close() // and again, as cleanup will: no panic, no wait
}

func TestServerDiesWithTestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("needs Linux: Pdeathsig and /proc")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOrphanChild$", "-test.v")
	cmd.Env = append(os.Environ(), orphanChildEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var url, dir string
	var printed strings.Builder
	for url == "" && sc.Scan() {
		line := sc.Text()
		printed.WriteString(line + "\n")
		if u, d, ok := strings.Cut(line, " "); ok && strings.HasPrefix(u, "postgres://") {
			url, dir = u, d
		}
	}
	if url == "" {
		if strings.Contains(printed.String(), "--- SKIP") {
			t.Skipf("the child skipped:\n%s", printed.String())
		}
		t.Fatalf("the child printed no server URL:\n%s", printed.String())
	}
	conn := connect(t, url)
	pid := postmasterPID(t, conn)
	shm := sharedMemoryID(t, filepath.Join(dir, "data"))
	conn.Close(t.Context())
	t.Cleanup(func() {
		// What the killed child could not remove.
		os.RemoveAll(dir)
		if out, err := exec.Command("ipcrm", "-m", strconv.Itoa(shm)).CombinedOutput(); err != nil {
			t.Logf("ipcrm -m %d: %v %s", shm, err, out)
		}
	})

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still alive 10s after the test binary was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOrphanChild is the test binary TestServerDiesWithTestBinary kills:
// it starts a server, prints "URL directory" and waits.
func TestOrphanChild(t *testing.T) {
	if os.Getenv(orphanChildEnv) == "" {
		t.Skip("run by TestServerDiesWithTestBinary in a child process")
	}
	s := pgtest.Start(t)
	dir := queryString(t, connect(t, s.URL), `SHOW data_directory`)
	fmt.Printf("%s %s\n", s.URL, filepath.Dir(dir))
	time.Sleep(time.Minute) // bounded, should the parent die first
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func postmasterPID(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var pid int
	// The backend's parent is the postmaster.
	if err := conn.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("cannot read the backend's /proc status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			ppid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return ppid
		}
	}
	t.Fatalf("no PPid in /proc/%d/status", pid)
	return 0
}

// sharedMemoryID returns the System V segment the server of data
// directory data holds, from its postmaster.pid (line 7: "key id").
func sharedMemoryID(t *testing.T, data string) int {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 7 || len(strings.Fields(lines[6])) != 2 {
		t.Fatalf("postmaster.pid has no shared memory line:\n%s", pid)
	}
	id, err := strconv.Atoi(strings.Fields(lines[6])[1])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// sharedMemoryExists reports whether System V segment id exists.
func sharedMemoryExists(t *testing.T, id int) bool {
	t.Helper()
	list, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Skipf("cannot list shared memory segments: %v", err)
	}
	for _, line := range strings.Split(string(list), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

// processUID returns the real uid of pid.
func processUID(t *testing.T, pid int) string {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return ""
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	proc, err := os.FindProcess(pid)
	if err != nil || proc.Signal(syscall.Signal(0)) != nil {
		return false
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return err == nil && !strings.Contains(string(status), "State:\tZ")
}
