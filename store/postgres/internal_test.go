package postgres

import (
	"fmt"
	"github.com/headroomhq/headroom/store/storetest"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/pgtest"
)

// TestMain is in postgres_test.go, which the package's test binary
// shares: it runs these tests through pgtest.Main too.

func TestFailingMigration(t *testing.T) {
	url := pgtest.NewDatabase(t)
	good := fstest.MapFS{"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x int);`)}}
	db, err := open(t.Context(), url, good)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// 0002 creates a table, then fails: it must leave nothing behind.
	bad := fstest.MapFS{
		"migrations/0001_a.sql": good["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x int); INSERT INTO nowhere VALUES (1);`)},
	}
	if _, err := open(t.Context(), url, bad); err == nil || !strings.Contains(err.Error(), "migration 0002_b.sql") {
		t.Fatalf("open with a failing migration: err = %v, want it to name 0002_b.sql", err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	assertVersions := func(want string) {
		t.Helper()
		var got string
		if err := conn.QueryRow(t.Context(), `SELECT coalesce(string_agg(version::text, ',' ORDER BY version), '') FROM schema_migrations`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("schema_migrations versions = %q, want %q", got, want)
		}
	}
	assertVersions("1")
	var b *string
	if err := conn.QueryRow(t.Context(), `SELECT to_regclass('b')::text`).Scan(&b); err != nil || b != nil {
		t.Errorf("table b after the failed migration: %v, err %v; want rolled back", b, err)
	}

	// Fixed, 0002 is applied, and only it: 0001 would fail, a exists.
	fixed := fstest.MapFS{
		"migrations/0001_a.sql": good["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x int);`)},
	}
	db, err = open(t.Context(), url, fixed)
	if err != nil {
		t.Fatalf("open with the fixed migration: %v", err)
	}
	db.Close()
	assertVersions("1,2")
}

func TestStorable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"ünïcode «quoted»", "ünïcode «quoted»"},
		{"", ""},
		{"a\x00b", "a\uFFFDb"},
		{"a\xffb", "a\uFFFDb"},
		{"\xff\xfe\x00", "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if got := storable(tt.in); got != tt.want {
			t.Errorf("storable(%q) = %q, want %q", tt.in, got, tt.want)
		}
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
	url := pgtest.NewDatabase(t)
	db, err := open(t.Context(), url, upTo(t, n))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(t.Context(), url)
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
		VALUES ('old', 'incident', 'Before drafts', 'resolved', 'minor', '["api"]', 1, false, false, '', '', 1)`)
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
// its token after the migration, and so is one an older headroom adds
// afterwards (the column is generated): the links in mails sent before
// still confirm and unsubscribe. A webhook's secret stays out of the
// index.
func TestMigrationToTokenIndex(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db, err := open(t.Context(), url, upTo(t, 6))
	if err != nil {
		t.Fatal(err)
	}
	// An older headroom's INSERT: no secret_sha256.
	const older = `INSERT INTO subscribers (id, channel, url, email, component_ids, secret, created_at) VALUES ($1, $2, $3, $4, '[]', $5, 1)`
	for _, args := range [][]any{{"old", "email", "", "ops@example.com", "tok-ü"}, {"hook", "webhook", "https://hooks.example.com", "", "k"}} {
		if _, err := db.pool.Exec(t.Context(), older, args...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db, err = Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.pool.Exec(t.Context(), older, "later", "email", "", "b@example.com", "tok-later"); err != nil {
		t.Fatal(err)
	}
	for token, id := range map[string]string{"tok-ü": "old", "tok-later": "later"} {
		if sub, err := db.SubscriberByToken(t.Context(), token); err != nil || sub.ID != id {
			t.Errorf("SubscriberByToken(%q): %+v, %v; want %s", token, sub, err, id)
		}
	}
	var hashed int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM subscribers WHERE secret_sha256 IS NOT NULL`).Scan(&hashed); err != nil || hashed != 2 {
		t.Errorf("%d subscribers hashed (%v), want 2: the email ones", hashed, err)
	}
}

// The token's subscriber is found through the index, not by reading the
// table: with sequential scans priced out, the plan is an index scan of
// subscribers_secret_sha256 (a table this small would otherwise be read
// whole, which says nothing of a large one).
func TestSubscriberByTokenUsesTheIndex(t *testing.T) {
	db, err := Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	rs, err := tx.Query(t.Context(), `EXPLAIN `+selectByToken, []byte("h"), "t")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "subscribers_secret_sha256") {
		t.Errorf("plan of selectByToken:\n%s\nwant a scan of subscribers_secret_sha256", strings.Join(plan, "\n"))
	}
}

// Updates stored before 0008 were numbered from the newest (0): after the
// migration they read back in the same order, and a new update lands in
// front (storetest.CheckUpdatesAfter0008).
func TestMigrationToOldestFirst(t *testing.T) {
	incidents, updates := storetest.UpdatesBefore0008("false")
	db := migrated(t, 7, incidents, updates)
	storetest.CheckUpdatesAfter0008(t, db)
	// A headroom from before, beside this one, fails rather than
	// writing the old order: the column it names is gone.
	if _, err := db.pool.Exec(t.Context(), `SELECT position FROM incident_updates`); err == nil {
		t.Error("incident_updates.position still reads after 0008; want it renamed")
	}
}
