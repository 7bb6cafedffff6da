package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points the tests at an
// existing server instead of one of their own: a URL such as
// postgres://user:password@host:5432/postgres?sslmode=disable, whose user
// may CREATE DATABASE. Each test's database is dropped at its end.
const EnvURL = "HEADROOM_TEST_POSTGRES"

// Bounds on the server's own steps: a loaded machine is slow, a broken one
// must not hang the tests.
const (
	initdbTimeout = 2 * time.Minute
	readyTimeout  = 30 * time.Second
	stopTimeout   = 10 * time.Second
)

// binaries are the two PostgreSQL programs a Server runs.
type binaries struct {
	initdb, postgres string
}

// findBinaries looks for initdb and postgres on PATH, then in Debian's
// /usr/lib/postgresql/<version>/bin (the package does not put them on
// PATH), the newest version first.
func findBinaries() (binaries, error) {
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return binaries{initdb: initdb, postgres: postgres}, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range dirs {
		b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	return binaries{}, errors.New("no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// binariesOrSkip returns the binaries; when there are none the test fails
// under CI=true and is skipped elsewhere.
func binariesOrSkip(t testing.TB) binaries {
	t.Helper()
	b, err := findBinaries()
	if err == nil {
		return b
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v: under CI=true .ci/setup.d/postgres.sh installs Debian's postgresql package for the tests that run a real PostgreSQL", err)
	}
	t.Skipf("%v; install Debian's postgresql package (apt-get install postgresql), or set %s to the URL of a server where the tests may CREATE DATABASE, to run the tests against a real PostgreSQL", err, EnvURL)
	return binaries{}
}

// Server is a PostgreSQL process of the tests' own, in a temporary
// directory.
type Server struct {
	// URL reaches the server as its superuser, postgres, in database
	// postgres, over TCP on 127.0.0.1.
	URL string

	dir  string
	cmd  *exec.Cmd
	done <-chan struct{} // closed when the process has exited
	mu   sync.Mutex
	out  bytes.Buffer
	stop sync.Once
}

// Write collects the process's output.
func (s *Server) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(b)
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Start starts a server of the test's own and waits until it accepts
// connections; cleanup stops it and removes its directory. It is for tests
// that stop or kill the server; the others share one through NewDatabase.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(binariesOrSkip(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// account is the user PostgreSQL runs as when the tests run as root.
type account struct {
	name     string
	uid, gid uint32
}

// owner returns the account to run PostgreSQL as: nil for the test's own
// user, the postgres user when the test runs as root (initdb and postgres
// refuse root).
func owner() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres user (Debian's postgresql package creates it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// start creates a cluster in a new temporary directory and starts a server
// on it. The directory is outside t.TempDir: as root, the postgres user
// must be able to reach it, and a test's TempDir parent is root's alone.
func start(b binaries) (_ *Server, err error) {
	acct, err := owner()
	if err != nil {
		return nil, err
	}
	attr, err := sysProcAttr(acct)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if acct != nil {
		if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
			return nil, fmt.Errorf("give %s to user %s: %w", dir, acct.name, err)
		}
	}
	data := filepath.Join(dir, "data")
	// --no-sync: the new cluster's files need not reach the disk, a
	// crash loses the test anyway; the server itself runs with fsync on.
	// C locale and UTF8: the same cluster whatever the machine's locale.
	initdb := exec.Command(b.initdb, "--pgdata="+data, "--username=postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = attr
	var out bytes.Buffer
	initdb.Stdout, initdb.Stderr = &out, &out
	done, err := launch(initdb)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", b.initdb, err)
	}
	select {
	case <-done:
	case <-time.After(initdbTimeout):
		_ = initdb.Process.Kill()
		<-done
	}
	if !initdb.ProcessState.Success() {
		return nil, fmt.Errorf("%s: %v; its output:\n%s", b.initdb, initdb.ProcessState, out.String())
	}

	// The port is free when asked; another process could take it before
	// PostgreSQL binds it, so a start that fails is tried again.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{
			URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
			dir: dir,
		}
		s.cmd = exec.Command(b.postgres, "-D", data,
			"-c", "listen_addresses=127.0.0.1",
			"-c", "port="+strconv.Itoa(port),
			// Not /var/run/postgresql: it may be missing or the packaged
			// server's.
			"-c", "unix_socket_directories="+dir,
			"-c", "fsync=on",
			"-c", "synchronous_commit=on",
			// Dynamic shared memory as files in the data directory, removed
			// with it, rather than in /dev/shm, where a killed server would
			// leave them.
			"-c", "dynamic_shared_memory_type=mmap",
			"-c", "log_min_messages=warning")
		s.cmd.Dir = dir
		s.cmd.SysProcAttr = attr
		s.cmd.Stdout, s.cmd.Stderr = s, s
		if s.done, err = launch(s.cmd); err != nil {
			return nil, fmt.Errorf("start %s: %w", b.postgres, err)
		}
		err = s.waitReady(readyTimeout)
		if err == nil {
			return s, nil
		}
		s.shutdown()
		if attempt == 3 {
			return nil, fmt.Errorf("postgres on port %d: %w; its log:\n%s", port, err, s.Log())
		}
	}
}

// launch starts cmd from a goroutine locked to its OS thread, which then
// waits for it. Pdeathsig fires when the thread that started the child
// ends, not the process: the thread must live as long as the child. The
// returned channel is closed when cmd has exited.
func launch(cmd *exec.Cmd) (<-chan struct{}, error) {
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, after the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady connects until the server answers a query.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited before it was ready (%v)", s.cmd.ProcessState)
		default:
		}
		err := ping(s.URL)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// Kill ends the server at once with SIGKILL, like a crash: no shutdown, no
// checkpoint. Its clients see their connections fail.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Close stops the server and removes its directory and, after Kill, the
// shared memory the server could not release. It is called by Start's
// cleanup and by Main.
func (s *Server) Close() {
	s.stop.Do(func() {
		s.shutdown()
		if id, ok := sharedMemoryID(filepath.Join(s.dir, "data")); ok {
			_ = removeSharedMemory(id)
		}
		os.RemoveAll(s.dir)
	})
}

// sharedMemoryID returns the System V shared memory segment of the server
// of data directory data when the server left its postmaster.pid behind:
// it was killed, and the kernel keeps the segment (56 bytes, but a
// system holds a few thousand at most) until it is removed.
func sharedMemoryID(data string) (int, bool) {
	pid, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	// Line 7 is "key id".
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 7 {
		return 0, false
	}
	fields := strings.Fields(lines[6])
	if len(fields) != 2 {
		return 0, false
	}
	id, err := strconv.Atoi(fields[1])
	return id, err == nil
}

// shutdown stops the process with an immediate shutdown (SIGQUIT: no
// checkpoint, but the server releases its shared memory, which SIGKILL
// would leave behind), then SIGKILL should it hang.
func (s *Server) shutdown() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
}

// NewDatabase creates an empty database on s and returns its URL; cleanup
// drops it, unless the server is down by then.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, s.URL, s.done)
}

// shared is the server of a test binary: HEADROOM_TEST_POSTGRES's or one
// started on first use and stopped by Main.
var shared struct {
	sync.Mutex
	inMain bool
	srv    *Server
	err    error // the start failed: every test reports it
}

// Main runs the tests, then stops the shared server, if one was started.
// Call it from the TestMain of a package that uses NewDatabase:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		shared.srv.Close()
		shared.srv = nil
	}
	return code
}

// NewDatabase creates an empty database on the test binary's shared server
// and returns its URL; cleanup drops it. The server is HEADROOM_TEST_POSTGRES
// when set, else one started on first use; the package's TestMain must run
// the tests through Main, which stops it.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, sharedURL(t), nil)
}

// sharedURL returns the shared server's admin URL, starting the server on
// first use.
func sharedURL(t testing.TB) string {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		t.Fatal("pgtest.NewDatabase: the package's tests must run through pgtest.Main, which stops the shared server: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	b := binariesOrSkip(t)
	if shared.srv == nil && shared.err == nil {
		begin := time.Now()
		shared.srv, shared.err = start(b)
		if shared.err == nil {
			t.Logf("pgtest: started PostgreSQL at %s in %s", shared.srv.URL, time.Since(begin).Round(time.Millisecond))
		}
	}
	if shared.err != nil {
		t.Fatalf("pgtest: start the shared server: %v", shared.err)
	}
	return shared.srv.URL
}

// newDatabase creates a database on the server at admin, named after the
// test, and drops it at cleanup (forcibly: connections left open are
// ended) unless down is closed by then: the server is gone, and the
// database with it.
func newDatabase(t testing.TB, admin string, down <-chan struct{}) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: server URL %q: want postgres://user@host:port/database", admin)
	}
	server := u.Redacted()
	name := databaseName(t.Name())
	run := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := run("CREATE DATABASE " + ident); err != nil {
		t.Fatalf("pgtest: create database %s on %s: %v", name, server, err)
	}
	t.Cleanup(func() {
		select {
		case <-down:
			return
		default:
		}
		if err := run("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s on %s: %v", name, server, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// databaseName returns a new database name that says which test made it
// and does not clash with another test binary's on a shared server.
func databaseName(test string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 44 {
			break
		}
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else if !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	var random [8]byte
	rand.Read(random[:])
	b.WriteString("_" + hex.EncodeToString(random[:])) // 63 bytes at most
	return b.String()
}
