package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/internal/rows"
)

var _ headroom.Leases = (*DB)(nil)

const (
	// acquireLease takes a free or expired lease, or renews the holder's;
	// the token grows only when the holder changes. It returns no row
	// when another holder has the lease unexpired.
	acquireLease = `INSERT INTO leases (name, holder, token, expires) VALUES (?1, ?2, 1, ?3)
ON CONFLICT (name) DO UPDATE SET
	token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
	holder = excluded.holder,
	expires = excluded.expires
WHERE leases.holder = excluded.holder OR leases.expires <= ?4
RETURNING holder, token, expires`
	selectLease  = `SELECT holder, token, expires FROM leases WHERE name = ?`
	releaseLease = `UPDATE leases SET expires = ?3 WHERE name = ?1 AND holder = ?2 AND expires > ?3`
	// listLeases compares the prefix by its bytes (substr of a blob), not
	// with LIKE, whose pattern would take a "%" or "_" for a wildcard and
	// ignores case.
	listLeases = `SELECT name, holder, token, expires FROM leases
WHERE substr(CAST(name AS BLOB), 1, length(CAST(?1 AS BLOB))) = CAST(?1 AS BLOB) AND expires > ?2 ORDER BY name`
)

// Acquire takes lease name for holder until Now()+ttl when it is free,
// expired (its expiry not after Now()) or already holder's. It runs in one
// write transaction, so processes sharing the file take turns: they must
// share a clock, which processes on one machine do.
//
// Errors: EINVALID when name or holder is empty, ttl is not positive or
// the expiry is past 2262; EINTERNAL when the database fails.
func (db *DB) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (headroom.Lease, bool, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return headroom.Lease{}, false, err
	}
	now := db.Now()
	expires, err := rows.Nanos(now.Add(ttl))
	if err != nil {
		return headroom.Lease{}, false, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("acquire lease %s: ttl %s: %w", name, ttl, err)}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return headroom.Lease{}, false, internal("acquire lease %s: %w", name, err)
	}
	defer tx.Rollback()
	l := headroom.Lease{Name: name}
	var at int64
	ok := true
	err = tx.QueryRowContext(ctx, acquireLease, name, holder, expires, now.UnixNano()).Scan(&l.Holder, &l.Token, &at)
	if errors.Is(err, sql.ErrNoRows) {
		// Another holder has it: say who, as of this transaction.
		ok = false
		err = tx.QueryRowContext(ctx, selectLease, name).Scan(&l.Holder, &l.Token, &at)
	}
	if err != nil {
		return headroom.Lease{}, false, internal("acquire lease %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return headroom.Lease{}, false, internal("acquire lease %s: %w", name, err)
	}
	l.Expires = time.Unix(0, at).UTC()
	return l, ok, nil
}

// Release ends holder's lease name at Now(), so that another process takes
// it at once; it does nothing when holder does not hold it. The lease
// keeps its token.
//
// Errors: EINTERNAL when the database fails.
func (db *DB) Release(ctx context.Context, name, holder string) error {
	if _, err := db.write.ExecContext(ctx, releaseLease, name, holder, db.Now().UnixNano()); err != nil {
		return internal("release lease %s: %w", name, err)
	}
	return nil
}

// List returns the unexpired leases (their expiry after Now()) whose names
// begin with prefix, ordered by name.
//
// Errors: EINTERNAL when the database fails.
func (db *DB) List(ctx context.Context, prefix string) ([]headroom.Lease, error) {
	rs, err := db.read.QueryContext(ctx, listLeases, prefix, db.Now().UnixNano())
	if err != nil {
		return nil, internal("list leases %s: %w", prefix, err)
	}
	defer rs.Close()
	var out []headroom.Lease
	for rs.Next() {
		var l headroom.Lease
		var at int64
		if err := rs.Scan(&l.Name, &l.Holder, &l.Token, &at); err != nil {
			return nil, internal("list leases %s: %w", prefix, err)
		}
		l.Expires = time.Unix(0, at).UTC()
		out = append(out, l)
	}
	if err := rs.Err(); err != nil {
		return nil, internal("list leases %s: %w", prefix, err)
	}
	return out, nil
}

// checkLease validates Acquire's arguments.
func checkLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "":
		return headroom.Errorf(headroom.EINVALID, "acquire lease: empty name")
	case holder == "":
		return headroom.Errorf(headroom.EINVALID, "acquire lease %s: empty holder", name)
	case ttl <= 0:
		return headroom.Errorf(headroom.EINVALID, "acquire lease %s: ttl %s, want a positive duration", name, ttl)
	}
	return nil
}
