package postgres

import (
	"context"
	"time"

	"github.com/headroomhq/headroom"
)

const (
	// acquireLease takes a free or expired lease, or renews the holder's,
	// in one statement: ON CONFLICT locks the existing row and evaluates
	// the WHERE on its latest version, so of two holders racing for an
	// expired lease exactly one updates it. The token grows only when the
	// holder changes. now() is the server's clock, fixed for the
	// statement's transaction. It returns no row when another holder has
	// the lease unexpired.
	acquireLease = `INSERT INTO leases AS l (name, holder, token, expires)
VALUES ($1, $2, 1, now() + $3::bigint * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE SET
	token = CASE WHEN l.holder = excluded.holder THEN l.token ELSE l.token + 1 END,
	holder = excluded.holder,
	expires = excluded.expires
WHERE l.holder = excluded.holder OR l.expires <= now()
RETURNING holder, token, expires`
	selectLease = `SELECT holder, token, expires FROM leases WHERE name = $1`
	// releaseLease ends the holder's lease now, keeping its token.
	releaseLease = `UPDATE leases SET expires = now() WHERE name = $1 AND holder = $2 AND expires > now()`
	// listLeases compares the prefix with starts_with, not LIKE, whose
	// pattern would take a "%" or "_" in the prefix for a wildcard.
	listLeases = `SELECT name, holder, token, expires FROM leases WHERE starts_with(name, $1) AND expires > now() ORDER BY name COLLATE "C"`
)

// Acquire takes lease name for holder until the server's now() plus ttl
// (counted in microseconds) when it is free, expired (its expiry not after
// now()) or already holder's. When another holder has it, the lease
// returned is that holder's as read just after the refusal.
//
// Errors: EINVALID when name or holder is empty or not valid UTF-8
// without NUL, or ttl is not positive; EUNAVAILABLE when the server cannot
// be reached; EINTERNAL when the database fails otherwise.
func (db *DB) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (headroom.Lease, bool, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return headroom.Lease{}, false, err
	}
	l := headroom.Lease{Name: name}
	err := db.pool.QueryRow(ctx, acquireLease, name, holder, ttl.Microseconds()).Scan(&l.Holder, &l.Token, &l.Expires)
	ok := err == nil
	if isNoRows(err) {
		// Another holder has it, committed (ON CONFLICT waited for it):
		// a new statement sees it, since a row is never deleted.
		err = db.pool.QueryRow(ctx, selectLease, name).Scan(&l.Holder, &l.Token, &l.Expires)
	}
	if err != nil {
		return headroom.Lease{}, false, storeError("acquire lease %s: %w", name, err)
	}
	l.Expires = l.Expires.UTC()
	return l, ok, nil
}

// Release ends holder's lease name at the server's now(), so that another
// process takes it at once; it does nothing when holder does not hold it.
// The lease keeps its token.
//
// Errors: EUNAVAILABLE, EINTERNAL as Acquire.
func (db *DB) Release(ctx context.Context, name, holder string) error {
	if _, err := db.pool.Exec(ctx, releaseLease, name, holder); err != nil {
		return storeError("release lease %s: %w", name, err)
	}
	return nil
}

// List returns the unexpired leases (their expiry after the server's
// now()) whose names begin with prefix, ordered by name.
//
// Errors: EUNAVAILABLE, EINTERNAL as Acquire.
func (db *DB) List(ctx context.Context, prefix string) ([]headroom.Lease, error) {
	rs, err := db.pool.Query(ctx, listLeases, prefix)
	if err != nil {
		return nil, storeError("list leases %s: %w", prefix, err)
	}
	defer rs.Close()
	var out []headroom.Lease
	for rs.Next() {
		var l headroom.Lease
		if err := rs.Scan(&l.Name, &l.Holder, &l.Token, &l.Expires); err != nil {
			return nil, storeError("list leases %s: %w", prefix, err)
		}
		l.Expires = l.Expires.UTC()
		out = append(out, l)
	}
	if err := rs.Err(); err != nil {
		return nil, storeError("list leases %s: %w", prefix, err)
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
	case ttl < time.Microsecond:
		return headroom.Errorf(headroom.EINVALID, "acquire lease %s: ttl %s, want at least 1µs", name, ttl)
	}
	return nil
}
