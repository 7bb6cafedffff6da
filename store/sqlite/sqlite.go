package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/internal/migrations"
	"github.com/headroomhq/headroom/store/internal/rows"

	modernc "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

func init() {
	// headroom_sha256(text) is rows.TokenHash: migration 0007 fills the
	// token index of the subscribers stored before it with it.
	modernc.MustRegisterDeterministicScalarFunction("headroom_sha256", 1, func(_ *modernc.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return rows.TokenHash(v), nil
		case []byte:
			return rows.TokenHash(string(v)), nil
		case nil:
			return nil, nil
		default:
			return nil, fmt.Errorf("headroom_sha256: %T, want text", v)
		}
	})
}

// busyTimeout is how long a connection waits for another one's lock (the
// read pool during a checkpoint, another process) before SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// DB is a SQLite database holding the decision journal. It is safe for
// concurrent use: writes go through a single connection, reads through a
// separate pool that WAL lets run beside the writer.
type DB struct {
	// Now returns the current time; it stamps updated_at and is the
	// leases' clock. Tests replace it. It is read once per transaction,
	// so every row a transaction writes carries the same time. Open sets
	// it to time.Now.
	Now func() time.Time

	path  string
	write *sql.DB
	read  *sql.DB
	// Statements every loop runs for every target, prepared on first use:
	// SQLite would otherwise parse the SQL again each time.
	mu                        sync.Mutex
	insert, upsert, readState *sql.Stmt
}

var _ headroom.Journal = (*DB)(nil)

// Open opens (creating it if needed) the SQLite database at path and
// applies the migrations it has not seen yet; ctx bounds the connection
// and the migrations.
//
// Errors: *headroom.Error with code EINTERNAL when the file cannot be
// opened or a migration fails; the database is then closed.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, migrationFS)
}

// open opens path and applies the migrations/*.sql files of fsys.
func open(ctx context.Context, path string, fsys fs.FS) (*DB, error) {
	db := &DB{Now: time.Now, path: path}
	var err error
	if db.write, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, internal("open %s: %w", path, err)
	}
	// One writer: SQLite serializes writers anyway, and a single
	// connection turns lock contention into queueing in database/sql
	// instead of SQLITE_BUSY.
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	db.write.SetConnMaxLifetime(0)
	// Connect the writer first: it switches the file to WAL, which
	// readers then find in place.
	if err := db.write.PingContext(ctx); err != nil {
		db.write.Close()
		return nil, internal("open %s: %w", path, err)
	}
	if db.read, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		db.write.Close()
		return nil, internal("open %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(4)
	if err := db.migrate(ctx, fsys); err != nil {
		db.Close()
		return nil, internal("open %s: %w", path, err)
	}
	return db, nil
}

// stmt returns the statement *st, preparing it on pool the first time.
func (db *DB) stmt(ctx context.Context, st **sql.Stmt, pool *sql.DB, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if *st == nil {
		prepared, err := pool.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		*st = prepared
	}
	return *st, nil
}

// dsn returns the modernc.org/sqlite data source name for path. The
// pragmas run on every new connection.
func dsn(p string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// BEGIN IMMEDIATE: take the write lock at the start of a
		// transaction, not at its first write, so that a transaction
		// never fails to upgrade a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + p + "?" + q.Encode()
}

// Close closes the database. Committed records are durable whether or not
// Close is called: WAL with synchronous=NORMAL survives a process crash.
func (db *DB) Close() error {
	var errs []error
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, st := range []*sql.Stmt{db.insert, db.upsert, db.readState} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return internal("close %s: %w", db.path, err)
	}
	return nil
}

// migrate applies the migrations not yet recorded in schema_migrations,
// each in its own transaction together with its schema_migrations row.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := migrations.Read(fsys)
	if err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// apply runs m unless it was applied already. The check runs inside the
// transaction, under the write lock, so two processes opening the same
// file at once do not both apply it.
func (db *DB) apply(ctx context.Context, m migrations.Migration) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.Version, db.Now().UTC().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

// internal wraps an error as the EINTERNAL *headroom.Error that crosses the
// package boundary.
func internal(format string, args ...any) error {
	return &headroom.Error{Code: headroom.EINTERNAL, Err: fmt.Errorf(format, args...)}
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs stmt with args on q and scans every row it returns with scan.
func query[T any](ctx context.Context, q querier, scan func(rows.Scanner) (T, error), stmt string, args ...any) ([]T, error) {
	rs, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return rows.All(rs, scan)
}
