package sqlite

import (
	"database/sql"
	"fmt"
	"github.com/headroomhq/headroom/store/storetest"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/headroomhq/headroom/incident"
)

func TestPragmas(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	tests := []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"write", db.write, "journal_mode", "wal"},
		{"write", db.write, "foreign_keys", "1"},
		{"write", db.write, "synchronous", "1"}, // NORMAL
		{"write", db.write, "busy_timeout", "5000"},
		{"write", db.write, "query_only", "0"},
		{"read", db.read, "journal_mode", "wal"},
		{"read", db.read, "foreign_keys", "1"},
		{"read", db.read, "synchronous", "1"},
		{"read", db.read, "busy_timeout", "5000"},
		{"read", db.read, "query_only", "1"},
	}
	for _, tt := range tests {
		var got string
		if err := tt.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatalf("%s pool: PRAGMA %s: %v", tt.pool, tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("%s pool: PRAGMA %s = %q, want %q", tt.pool, tt.pragma, got, tt.want)
		}
	}
}

func TestFailingMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	good := fstest.MapFS{"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)}}
	db, err := open(t.Context(), path, good)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// 0002 creates a table, then fails: it must leave nothing behind.
	bad := fstest.MapFS{
		"migrations/0001_a.sql": good["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);`)},
	}
	if _, err := open(t.Context(), path, bad); err == nil || !strings.Contains(err.Error(), "migration 0002_b.sql") {
		t.Fatalf("open with a failing migration: err = %v, want it to name 0002_b.sql", err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	assertVersions := func(want string) {
		t.Helper()
		var got string
		if err := raw.QueryRow(`SELECT coalesce(group_concat(version, ','), '') FROM (SELECT version FROM schema_migrations ORDER BY version)`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("schema_migrations versions = %q, want %q", got, want)
		}
	}
	assertVersions("1")
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table b after the failed migration: count %d, err %v; want rolled back", n, err)
	}

	// Fixed, 0002 is applied, and only it: 0001 would fail, a exists.
	fixed := fstest.MapFS{
		"migrations/0001_a.sql": good["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER);`)},
	}
	db, err = open(t.Context(), path, fixed)
	if err != nil {
		t.Fatalf("open with the fixed migration: %v", err)
	}
	db.Close()
	assertVersions("1,2")
}

func TestNowStampsState(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 5, 1, 12, 0, 0, 7, time.UTC)
	db.Now = func() time.Time { return at }
	if err := db.SaveState(t.Context(), "api", "live", []byte("s")); err != nil {
		t.Fatal(err)
	}
	var got int64
	if err := db.read.QueryRow(`SELECT updated_at FROM engine_state WHERE target = 'api' AND slot = 'live'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != at.UnixNano() {
		t.Errorf("updated_at = %d, want %d", got, at.UnixNano())
	}
}

// upTo returns the embedded migrations up to version n: the schema an
// older headroom left.
func upTo(t *testing.T, n int) fstest.MapFS {
	t.Helper()
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, name := range names {
		var v int
		if _, err := fmt.Sscanf(path.Base(name), "%04d_", &v); err != nil {
			t.Fatal(err)
		}
		if v <= n {
			data, err := fs.ReadFile(migrationFS, name)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = &fstest.MapFile{Data: data}
		}
	}
	return out
}

// migrated opens a database at migration version n (the schema an older
// headroom left), runs stmts in it, and opens it again with every
// migration: what an upgrade finds.
func migrated(t *testing.T, n int, stmts ...string) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "headroom.db")
	db, err := open(t.Context(), path, upTo(t, n))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// An incident stored before 0004 (drafts) was public from the start: it
// comes back not a draft, with no publish time, and takes draft writes.
func TestMigrationToDrafts(t *testing.T) {
	db := migrated(t, 3, `INSERT INTO incidents (id, kind, name, status, impact, component_ids, created_at,
		auto_start, auto_complete, postmortem_draft, postmortem_body, version)
		VALUES ('old', 'incident', 'Before drafts', 'resolved', 'minor', '["api"]', 1, 0, 0, '', '', 1)`)
	d, err := db.Load(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Incidents) != 1 || d.Incidents[0].Draft || !d.Incidents[0].PublishedAt.IsZero() || d.Incidents[0].Name != "Before drafts" {
		t.Fatalf("after migrating: %+v; want the old incident, public, no publish time", d.Incidents)
	}
	inc := d.Incidents[0]
	inc.Draft, inc.Version = true, 2
	if err := db.Commit(t.Context(), &incident.Change{Incident: &inc}); err != nil {
		t.Fatal(err)
	}
	if d, err = db.Load(t.Context(), time.Time{}); err != nil || !d.Incidents[0].Draft {
		t.Errorf("after a draft write: %+v, %v; want a draft", d.Incidents, err)
	}
}

// An email subscriber stored before 0007 (the token index) is found by
// its token after the migration: its link in mails sent before still
// confirms and unsubscribes. A webhook's secret stays out of the index.
func TestMigrationToTokenIndex(t *testing.T) {
	db := migrated(t, 6, `INSERT INTO subscribers (id, channel, url, email, component_ids, secret, created_at) VALUES
		('old', 'email', '', 'ops@example.com', '[]', 'tok-ü', 1), ('hook', 'webhook', 'https://hooks.example.com', '', '[]', 'k', 2)`)
	if sub, err := db.SubscriberByToken(t.Context(), "tok-ü"); err != nil || sub.ID != "old" {
		t.Errorf("SubscriberByToken of the old subscriber's token: %+v, %v", sub, err)
	}
	var hashed int
	if err := db.read.QueryRow(`SELECT count(*) FROM subscribers WHERE secret_sha256 IS NOT NULL`).Scan(&hashed); err != nil || hashed != 1 {
		t.Errorf("%d subscribers hashed (%v), want 1: the email one", hashed, err)
	}
}

// The token's subscriber is found through the index, not by reading the
// table: SQLite's plan says SEARCH ... USING INDEX.
func TestSubscriberByTokenUsesTheIndex(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.read.Query(`EXPLAIN QUERY PLAN `+selectByToken, []byte("h"), "t")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var plan []string
	for rs.Next() {
		var id, parent, unused int
		var detail string
		if err := rs.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "USING INDEX subscribers_secret_sha256") {
		t.Errorf("plan of selectByToken: %q, want one SEARCH using subscribers_secret_sha256", plan)
	}
}

// Updates stored before 0008 were numbered from the newest (0): after the
// migration they read back in the same order, and a new update lands in
// front (storetest.CheckUpdatesAfter0008).
func TestMigrationToOldestFirst(t *testing.T) {
	incidents, updates := storetest.UpdatesBefore0008("0")
	db := migrated(t, 7, incidents, updates)
	storetest.CheckUpdatesAfter0008(t, db)
	// A headroom from before, beside this one, fails rather than
	// writing the old order: the column it names is gone.
	if _, err := db.write.Exec(`SELECT position FROM incident_updates`); err == nil {
		t.Error("incident_updates.position still reads after 0008; want it renamed")
	}
}
