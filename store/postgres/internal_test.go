package postgres

import (
	"fmt"
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

// An incident stored before 0004 (drafts) was public from the start: it
// comes back not a draft, with no publish time, and takes draft writes.
func TestMigrationToDrafts(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db, err := open(t.Context(), url, upTo(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO incidents (id, kind, name, status, impact, component_ids, created_at,
		auto_start, auto_complete, postmortem_draft, postmortem_body, version)
		VALUES ('old', 'incident', 'Before drafts', 'resolved', 'minor', '["api"]', 1, false, false, '', '', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
