package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/internal/migrations"
	"github.com/headroomhq/headroom/store/internal/rows"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key migrations run under: "headroom"
// in ASCII. Advisory locks are per database, like the schema.
const migrationLock int64 = 0x68656164726f6f6d

// DB is a PostgreSQL database holding the decision journal and the
// leases. It is safe for concurrent use: calls share a pool of
// connections.
type DB struct {
	// Now returns the current time; it stamps engine_state.updated_at and
	// schema_migrations.applied_at. Tests replace it. Leases do not use
	// it: their clock is the server's. Open sets it to time.Now.
	Now func() time.Time

	pool *pgxpool.Pool
}

var (
	_ headroom.Journal = (*DB)(nil)
	_ headroom.Leases  = (*DB)(nil)
)

// Open connects to the database at url (postgres://user:password@host:port/
// database?sslmode=..., or the key=value form; libpq's PG* environment
// variables fill what it leaves out) and applies the migrations it has not
// seen yet.
//
// Errors: *headroom.Error with code EINVALID when url cannot be parsed;
// EUNAVAILABLE when the server cannot be reached; EINTERNAL when a
// migration fails. The pool is then closed.
func Open(ctx context.Context, url string) (*DB, error) {
	return open(ctx, url, migrationFS)
}

// open connects to url and applies the migrations/*.sql files of fsys.
func open(ctx context.Context, url string, fsys fs.FS) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message leaves the password out.
		return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("open postgres: %w", err)}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeError("open postgres %s: %w", where(cfg), err)
	}
	db := &DB{Now: time.Now, pool: pool}
	// The pool connects lazily: connect now, so that a wrong address
	// fails Open rather than the first Append.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, storeError("open postgres %s: %w", where(cfg), err)
	}
	if err := db.migrate(ctx, fsys); err != nil {
		pool.Close()
		return nil, storeError("open postgres %s: %w", where(cfg), err)
	}
	return db, nil
}

// where names the server and database of cfg for messages, without the
// password.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Close closes the pool, waiting for the connections in use to be
// returned. Committed records are durable whether or not Close is called.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// migrate applies the migrations not yet recorded in schema_migrations,
// each in its own transaction together with its schema_migrations row.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := migrations.Read(fsys)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// apply runs m unless it was applied already. The transaction first takes
// the migration lock, which it holds until it ends: a second process
// opening the database at once waits, then finds m applied.
func (db *DB) apply(ctx context.Context, m migrations.Migration) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    bigint      PRIMARY KEY,
	applied_at timestamptz NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	// No arguments: pgx sends the file as one simple query, so it may
	// hold several statements.
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.Version, db.Now().UTC()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// storeError wraps a failure of the database as the *headroom.Error that
// crosses the package boundary: EUNAVAILABLE when the server could not be
// reached or dropped the connection, EINVALID when it refused the text it
// was given, EINTERNAL otherwise.
func storeError(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &headroom.Error{Code: errorCode(err), Err: err}
}

// PostgreSQL error codes (SQLSTATE) that storeError classifies, from
// https://www.postgresql.org/docs/15/errcodes-appendix.html.
const (
	classConnection     = "08"    // connection_exception and its subclasses
	adminShutdown       = "57P01" // the server is shutting down
	crashShutdown       = "57P02"
	cannotConnectNow    = "57P03" // starting up or shutting down
	tooManyConnections  = "53300"
	notInRepertoire     = "22021" // character_not_in_repertoire: invalid UTF-8, NUL
	untranslatableChars = "22P05"
)

func errorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, classConnection),
			pgErr.Code == adminShutdown, pgErr.Code == crashShutdown,
			pgErr.Code == cannotConnectNow, pgErr.Code == tooManyConnections:
			return headroom.EUNAVAILABLE
		case pgErr.Code == notInRepertoire, pgErr.Code == untranslatableChars:
			return headroom.EINVALID
		}
		return headroom.EINTERNAL
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return headroom.EUNAVAILABLE
	}
	return headroom.EINTERNAL
}

// query runs stmt with args on q and scans every row it returns with scan.
func query[T any](ctx context.Context, q querier, scan func(rows.Scanner) (T, error), stmt string, args ...any) ([]T, error) {
	rs, err := q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return rows.All(rs, scan)
}

// isNoRows reports whether err says a query returned no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
