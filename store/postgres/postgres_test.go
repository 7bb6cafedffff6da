package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/store/postgres"
	"github.com/headroomhq/headroom/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openDB opens the database at url and closes it at the end of the test.
func openDB(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// connect opens a plain connection, to look at what the store wrote.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestJournal(t *testing.T) {
	// reopen needs each journal's database: the journals of the running
	// subtest, which run one at a time.
	urls := map[headroom.Journal]string{}
	storetest.RunJournal(t, func(t *testing.T) headroom.Journal {
		url := pgtest.NewDatabase(t)
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		urls[db] = url
		t.Cleanup(func() { db.Close() }) // a reopened db is closed already
		return db
	}, storetest.Reopen(func(t *testing.T, j headroom.Journal) headroom.Journal {
		url := urls[j]
		if err := j.(*postgres.DB).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := openDB(t, url)
		urls[db] = url
		return db
	}))
}

func TestLeases(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) headroom.Leases {
		return openDB(t, pgtest.NewDatabase(t))
	})
}

// TestFencing runs the fencing contract with the journal and the leases on
// two pools of one database, as two serve processes have them.
func TestFencing(t *testing.T) {
	storetest.RunFencing(t, func(t *testing.T) (headroom.Journal, headroom.Leases) {
		url := pgtest.NewDatabase(t)
		return openDB(t, url), openDB(t, url)
	})
}

// TestLeasesRaceAcrossPools races holders that each opened the database
// themselves, as separate serve processes would.
func TestLeasesRaceAcrossPools(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var handles []headroom.Leases
	for range 8 {
		handles = append(handles, openDB(t, url))
	}
	storetest.RaceLeases(t, handles)
}

// TestLeasesUseTheServersClock: the expiry is the server's now() plus the
// TTL whatever the client's clock says.
func TestLeasesUseTheServersClock(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db := openDB(t, url)
	db.Now = func() time.Time { return time.Now().Add(-time.Hour) } // a client an hour late
	var before, after time.Time
	conn := connect(t, url)
	if err := conn.QueryRow(t.Context(), `SELECT clock_timestamp()`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	l, ok, err := db.Acquire(t.Context(), "leader", "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("Acquire = %+v, %v, %v", l, ok, err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT clock_timestamp()`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if l.Expires.Before(before.Add(time.Minute)) || l.Expires.After(after.Add(time.Minute)) {
		t.Errorf("Expires = %v, want the server's clock plus a minute, between %v and %v", l.Expires, before.Add(time.Minute), after.Add(time.Minute))
	}
	if l.Expires.Location() != time.UTC {
		t.Errorf("Expires in %v, want UTC", l.Expires.Location())
	}
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	openDB(t, url)
	conn := connect(t, url)
	applied := func() map[int]time.Time {
		t.Helper()
		rows, err := conn.Query(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]time.Time{}
		for rows.Next() {
			var v int
			var at time.Time
			if err := rows.Scan(&v, &at); err != nil {
				t.Fatal(err)
			}
			got[v] = at
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := applied()
	if len(first) != 8 || slices.ContainsFunc(slices.Collect(maps.Values(first)), func(at time.Time) bool { return at.IsZero() }) {
		t.Fatalf("schema_migrations after the first Open = %v, want versions 1 to 8", first)
	}
	openDB(t, url)
	openDB(t, url) // two open at once: neither applies anything
	if second := applied(); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("schema_migrations after reopening = %v, want %v unchanged", second, first)
	}
}

// TestConcurrentOpen opens a new database from several processes' worth
// of pools at once: the advisory lock has them apply each migration once,
// where they would otherwise fail creating the same tables.
func TestConcurrentOpen(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			url := pgtest.NewDatabase(t)
			const openers = 8
			start := make(chan struct{})
			errs := make([]error, openers)
			var wg sync.WaitGroup
			for i := range openers {
				wg.Go(func() {
					<-start
					db, err := postgres.Open(t.Context(), url)
					if err == nil {
						db.Close()
					}
					errs[i] = err
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("opener %d: %v", i, err)
				}
			}
			var versions string
			if err := connect(t, url).QueryRow(t.Context(),
				`SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations`).Scan(&versions); err != nil {
				t.Fatal(err)
			}
			if versions != "1,2,3,4,5,6,7,8" {
				t.Errorf("schema_migrations versions = %q, want \"1,2,3,4,5,6,7\" (each once)", versions)
			}
		})
	}
}

func TestNowStampsState(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db := openDB(t, url)
	at := time.Date(2026, 5, 1, 12, 0, 0, 7000, time.UTC)
	db.Now = func() time.Time { return at }
	if err := db.SaveState(t.Context(), "api", "live", []byte("s")); err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if err := connect(t, url).QueryRow(t.Context(), `SELECT updated_at FROM engine_state WHERE target = 'api' AND slot = 'live'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(at) {
		t.Errorf("updated_at = %v, want %v", got, at)
	}
}

func TestRecordsAreUTC(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
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

// TestZeroTimeRecords pins what store/sqlite does with a record of the
// zero time: it sorts first and only an unbounded read returns it.
func TestZeroTimeRecords(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []headroom.DecisionRecord{{Target: "api", Time: at, Mode: "later"}, {Target: "api", Mode: "zero"}} {
		if err := db.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	modes := func(from, to time.Time) string {
		t.Helper()
		got, err := db.Records(t.Context(), "api", from, to, 0)
		if err != nil {
			t.Fatal(err)
		}
		var m []string
		for _, r := range got {
			m = append(m, r.Mode)
		}
		return strings.Join(m, ",")
	}
	if got := modes(time.Time{}, time.Time{}); got != "zero,later" {
		t.Errorf("unbounded Records = %s, want zero,later", got)
	}
	if got := modes(time.Time{}, at.Add(time.Second)); got != "later" {
		t.Errorf("Records up to a time = %s, want later", got)
	}
}

// TestNaN: a float PostgreSQL keeps as is, where SQLite stores NULL.
func TestNaN(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	r := headroom.DecisionRecord{Target: "api", Time: time.Now(),
		Observation: headroom.Observation{Utilization: math.NaN(), Demand: math.Inf(1), ErrorRatio: math.Inf(-1)}}
	if err := db.Append(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := db.Records(t.Context(), "api", time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("Records = %d records, %v; want 1", len(got), err)
	}
	o := got[0].Observation
	if !math.IsNaN(o.Utilization) || !math.IsInf(o.Demand, 1) || !math.IsInf(o.ErrorRatio, -1) {
		t.Errorf("Observation = %+v, want NaN, +Inf, -Inf", o)
	}
}

// TestText: PostgreSQL text holds neither NUL nor invalid UTF-8, which a
// command's output may carry into a record's error.
func TestText(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	p := headroom.Decision{Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "nul\x00"}}
	r := headroom.DecisionRecord{Target: "api", Time: time.Now(), Mode: "enforce",
		Decision: headroom.Decision{Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "bad \xff\xfe byte"}},
		Error:    "exit status 1: \x00\x00 and ünïcode", Proposed: &p}
	if err := db.Append(ctx, r); err != nil {
		t.Fatalf("Append of a record with NUL and invalid UTF-8 in its messages: %v", err)
	}
	got, err := db.Records(ctx, "api", time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("Records = %d records, %v; want 1", len(got), err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Decision.Reason.Message", got[0].Decision.Reason.Message, "bad \uFFFD byte"},
		{"Error", got[0].Error, "exit status 1: \uFFFD\uFFFD and ünïcode"},
		{"Proposed.Reason.Message", got[0].Proposed.Reason.Message, "nul\uFFFD"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	// In a name, the text is refused: replacing it would merge targets.
	err = db.Append(ctx, headroom.DecisionRecord{Target: "api\xff", Time: time.Now()})
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Append(target with invalid UTF-8) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}
	_, _, err = db.Acquire(ctx, "leader\x00", "a", time.Minute)
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Acquire(name with NUL) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, url, code string
	}{
		{"malformed URL", "postgres://a b@:x:y/", headroom.EINVALID},
		{"unknown setting", "postgres://127.0.0.1/db?sslmode=sometimes", headroom.EINVALID},
		{"nobody listening", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", headroom.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := postgres.Open(t.Context(), tt.url)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if got := headroom.ErrorCode(err); got != tt.code {
				t.Errorf("Open(%q) error code = %q (%v), want %q", tt.url, got, err, tt.code)
			}
		})
	}
	// A password in the URL is not repeated in the message.
	_, err := postgres.Open(t.Context(), "postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=5")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open with a password: err = %v, want an error without the password", err)
	}
	// A database that does not exist is reported, not created.
	u := pgtest.NewDatabase(t)
	_, err = postgres.Open(t.Context(), strings.Replace(u, "/t_", "/missing_t_", 1))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open of a missing database: err = %v, want it to say so", err)
	}
}

// TestServerDown: every call fails EUNAVAILABLE while the server is down,
// so the controller holds and retries, and a caller of Acquire acts as if
// it did not hold the lease.
func TestServerDown(t *testing.T) {
	s := pgtest.Start(t)
	db := openDB(t, s.NewDatabase(t))
	ctx := t.Context()
	if _, ok, err := db.Acquire(ctx, "leader", "a", time.Minute); err != nil || !ok {
		t.Fatalf("Acquire while the server is up: ok %v, err %v", ok, err)
	}
	s.Kill()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"append", func() error { return db.Append(ctx, headroom.DecisionRecord{Target: "api", Time: time.Now()}) }},
		{"records", func() error { _, err := db.Records(ctx, "api", time.Time{}, time.Time{}, 0); return err }},
		{"state", func() error { _, _, err := db.State(ctx, "api", "live"); return err }},
		{"save state", func() error { return db.SaveState(ctx, "api", "live", nil) }},
		{"acquire", func() error { _, _, err := db.Acquire(ctx, "leader", "a", time.Minute); return err }},
		{"release", func() error { return db.Release(ctx, "leader", "a") }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var e *headroom.Error
			if !errors.As(err, &e) || e.Code != headroom.EUNAVAILABLE {
				t.Errorf("error = %v, want a *headroom.Error with code %q", err, headroom.EUNAVAILABLE)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// A time UnixNano cannot hold is the caller's mistake.
	err = db.Append(ctx, headroom.DecisionRecord{Target: "api", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Append(year 3000) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}
	_, err = db.Records(ctx, "api", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, 0)
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("Records(from year 1000) error code = %q (%v), want %q", got, err, headroom.EINVALID)
	}

	// A closed store is a bug of the caller's: internal, with the cause
	// kept and the call named.
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
		{"acquire", func() error { _, _, err := db.Acquire(ctx, "leader", "a", time.Minute); return err }(), "acquire lease leader: "},
		{"release", db.Release(ctx, "leader", "a"), "release lease leader: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *headroom.Error
			if !errors.As(tt.err, &e) || e.Code != headroom.EINTERNAL {
				t.Fatalf("error = %v, want a *headroom.Error with code %q", tt.err, headroom.EINTERNAL)
			}
			if got := tt.err.Error(); !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("error = %q, want it to start with %q", got, tt.prefix)
			}
			if errors.Unwrap(e.Err) == nil {
				t.Errorf("error %q lost its cause", tt.err)
			}
		})
	}
}
