// Package pgtest runs a real PostgreSQL for tests: Debian's postgresql
// binaries (initdb and postgres), started by the test binary itself, or an
// existing server named by HEADROOM_TEST_POSTGRES.
//
// Most tests want a fresh, empty database on a server shared by the whole
// test binary; the package's TestMain hands the server's lifetime to Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.NewDatabase(t) // dropped at the end of the test
//		...
//	}
//
// A test that stops or kills the server starts one of its own with Start.
//
// The server listens on 127.0.0.1 on a free port and on a Unix socket in
// its temporary directory, trusts local connections (user postgres, no
// password) and runs with fsync on, so that what a test sees committed is
// what a real deployment would keep. PostgreSQL refuses to run as root: as
// root, initdb and postgres run as the postgres user, which owns the
// temporary directory. On Linux the kernel kills the server when the test
// binary dies, so a crashed or timed-out test leaves no process behind.
//
// When the binaries are missing, a test fails under CI=true (CI installs
// them with .ci/setup.d/postgres.sh) and is skipped elsewhere.
package pgtest
