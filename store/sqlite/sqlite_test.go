package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/sqlite"
	"github.com/headroomhq/headroom/store/storetest"
)

// crashChildEnv, when set to a database path, turns the test binary into
// the writer of TestCrashKeepsAcknowledgedRecords.
const crashChildEnv = "HEADROOM_SQLITE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	if path := os.Getenv(incidentCrashChildEnv); path != "" {
		os.Exit(incidentCrashChild(path))
	}
	os.Exit(m.Run())
}

// openDB opens a database at path and closes it at the end of the test.
func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestJournal(t *testing.T) {
	// reopen needs each journal's file: the journals of the running
	// subtest, which run one at a time.
	paths := map[headroom.Journal]string{}
	storetest.RunJournal(t, func(t *testing.T) headroom.Journal {
		path := filepath.Join(t.TempDir(), "journal.db")
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		paths[db] = path
		t.Cleanup(func() { db.Close() }) // a reopened db is closed already
		return db
	}, storetest.Reopen(func(t *testing.T, j headroom.Journal) headroom.Journal {
		path := paths[j]
		if err := j.(*sqlite.DB).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := openDB(t, path)
		paths[db] = path
		return db
	}))
}

func TestLeases(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) headroom.Leases {
		return openDB(t, filepath.Join(t.TempDir(), "journal.db"))
	})
}

// TestFencing runs the fencing contract with the journal and the leases on
// two handles of one file, as two serve processes on one machine have them.
func TestFencing(t *testing.T) {
	storetest.RunFencing(t, func(t *testing.T) (headroom.Journal, headroom.Leases) {
		path := filepath.Join(t.TempDir(), "journal.db")
		return openDB(t, path), openDB(t, path)
	})
}

// TestLeasesRaceAcrossHandles races holders that each opened the file
// themselves, as separate processes would: each has its own writer
// connection, so the race is decided by SQLite's file lock.
func TestLeasesRaceAcrossHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	var handles []headroom.Leases
	for range 8 {
		handles = append(handles, openDB(t, path))
	}
	storetest.RaceLeases(t, handles)
}

// TestLeasesClock checks that DB.Now is the leases' clock, to the
// nanosecond: the contract can only sleep.
func TestLeasesClock(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "journal.db"))
	now := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	db.Now = func() time.Time { return now }
	acquire := func(holder string) (headroom.Lease, bool) {
		t.Helper()
		l, ok, err := db.Acquire(t.Context(), "leader", holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return l, ok
	}
	if l, ok := acquire("a"); !ok || !l.Expires.Equal(now.Add(time.Minute)) || l.Expires.Location() != time.UTC {
		t.Fatalf("Acquire = %+v, %v; want held until %v UTC", l, ok, now.Add(time.Minute))
	}
	now = now.Add(time.Minute - time.Nanosecond)
	if l, ok := acquire("b"); ok {
		t.Errorf("b acquired a's lease a nanosecond before it expires: %+v", l)
	}
	now = now.Add(time.Nanosecond)
	if l, ok := acquire("b"); !ok || l.Token != 2 {
		t.Errorf("b's Acquire when a's lease expires = %+v, %v; want it with token 2", l, ok)
	}
	// A release ends the lease at the clock's now.
	if err := db.Release(t.Context(), "leader", "b"); err != nil {
		t.Fatal(err)
	}
	if l, ok := acquire("c"); !ok || l.Token != 3 {
		t.Errorf("c's Acquire at the instant b released = %+v, %v; want it with token 3", l, ok)
	}
}

// sqlDB opens path with database/sql directly, to look at what the store
// wrote.
func sqlDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db := openDB(t, path)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := sqlDB(t, path)
	applied := func() map[int]int64 {
		t.Helper()
		rows, err := raw.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int]int64{}
		for rows.Next() {
			var v int
			var at int64
			if err := rows.Scan(&v, &at); err != nil {
				t.Fatal(err)
			}
			if _, dup := got[v]; dup {
				t.Errorf("version %d recorded twice", v)
			}
			got[v] = at
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := applied()
	if len(first) != 8 || slices.ContainsFunc(slices.Collect(maps.Values(first)), func(at int64) bool { return at == 0 }) {
		t.Fatalf("schema_migrations after the first Open = %v, want versions 1 to 8", first)
	}
	openDB(t, path)
	openDB(t, path) // two open at once: neither applies anything
	second := applied()
	if fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("schema_migrations after reopening = %v, want %v unchanged", second, first)
	}
}

func TestWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	openDB(t, path)
	var mode string
	if err := sqlDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestRecordsAreUTC(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "journal.db"))
	at := time.Date(2026, 7, 1, 2, 0, 0, 1, time.FixedZone("CEST", 2*3600))
	p := headroom.Decision{Time: at}
	r := headroom.DecisionRecord{Target: "api", Time: at, Observation: headroom.Observation{Time: at},
		Decision: headroom.Decision{Time: at}, Proposed: &p}
	if err := db.Append(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := db.Records(t.Context(), "api", time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("Records = %d records, %v; want 1", len(got), err)
	}
	g := got[0]
	for name, tm := range map[string]time.Time{"Time": g.Time, "Observation.Time": g.Observation.Time,
		"Decision.Time": g.Decision.Time, "Proposed.Time": g.Proposed.Time} {
		if tm.Location() != time.UTC || !tm.Equal(at) {
			t.Errorf("%s = %v, want %v in UTC", name, tm, at.UTC())
		}
	}
}

func TestErrors(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "journal.db"))
	ctx := t.Context()

	// A time UnixNano cannot hold is the caller's mistake.
	err := db.Append(ctx, headroom.DecisionRecord{Target: "api", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Append(year 3000) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}

	// So is a lease that would outlast what UnixNano holds.
	_, _, err = db.Acquire(ctx, "leader", "a", 250*365*24*time.Hour)
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Acquire(250 years) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}

	// A failing database is internal, with the cause kept.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		err    error
		prefix string
	}{
		{"append", db.Append(ctx, headroom.DecisionRecord{Target: "api", Time: time.Now()}), "append decision: "},
		{"records", func() error { _, err := db.Records(ctx, "api", time.Time{}, time.Time{}, 0); return err }(), "read decisions: "},
		{"state", func() error { _, _, err := db.State(ctx, "api", "live"); return err }(), "read state api/live: "},
		{"save state", db.SaveState(ctx, "api", "live", nil), "save state api/live: "},
		{"acquire lease", func() error { _, _, err := db.Acquire(ctx, "leader", "a", time.Minute); return err }(), "acquire lease leader: "},
		{"release lease", db.Release(ctx, "leader", "a"), "release lease leader: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *headroom.Error
			if !errors.As(tt.err, &e) || e.Code != headroom.EINTERNAL {
				t.Fatalf("error = %v, want a *headroom.Error with code %q", tt.err, headroom.EINTERNAL)
			}
			if got := tt.err.Error(); len(got) < len(tt.prefix) || got[:len(tt.prefix)] != tt.prefix {
				t.Errorf("error = %q, want it to start with %q", got, tt.prefix)
			}
			if errors.Unwrap(e.Err) == nil {
				t.Errorf("error %q lost its cause", tt.err)
			}
		})
	}
}

// crashRecord is the i-th record the crash child writes.
func crashRecord(i int) headroom.DecisionRecord {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	return headroom.DecisionRecord{
		Target: "api", Time: at, Mode: "enforce",
		Current:  headroom.Capacity{Ready: i % 7, Launching: i % 3},
		Decision: headroom.Decision{Time: at, Current: i % 10, Desired: i, Min: 1, Max: 1 << 20, Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "record " + strconv.Itoa(i)}},
		Applied:  i%2 == 0,
	}
}

// crashChild appends records to path until killed, printing how many are
// committed after each Append returns.
func crashChild(path string) int {
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range 1_000_000 { // bounded, should the parent die first
		if err := db.Append(context.Background(), crashRecord(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i%10 == 0 {
			if err := db.SaveState(context.Background(), "api", "live", []byte(strconv.Itoa(i))); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		fmt.Printf("%d\n", i+1) // os.Stdout is unbuffered: acknowledged now
	}
	return 0
}

func TestCrashKeepsAcknowledgedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked, killed := 0, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked = n
		if n >= 300 && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
				t.Fatal(err)
			}
			killed = true
		}
	}
	// Lines printed before the kill are still read: each is a committed
	// record.
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before being killed: %v\n%s", err, stderr.String())
	}
	t.Logf("child killed after acknowledging %d records", acked)

	db := openDB(t, path)
	got, err := db.Records(t.Context(), "api", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < acked {
		t.Fatalf("after the crash: %d records, want at least the %d acknowledged", len(got), acked)
	}
	for i, r := range got {
		if fmt.Sprint(r) != fmt.Sprint(crashRecord(i)) {
			t.Fatalf("record %d = %+v, want %+v", i, r, crashRecord(i))
		}
	}
	st, ok, err := db.State(t.Context(), "api", "live")
	if err != nil || !ok {
		t.Fatalf("State after the crash: ok %v, err %v", ok, err)
	}
	if n, _ := strconv.Atoi(string(st)); n < (acked-1)/10*10 {
		t.Errorf("state after the crash = %q, want at least %d", st, (acked-1)/10*10)
	}
	var check string
	if err := sqlDB(t, path).QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}
}
