package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/internal/rows"
)

// decisionTypes are the types of rows.DecisionColumns, in order: the fenced
// INSERT ... SELECT casts its parameters, since a SELECT list does not take
// its parameters' types from the target columns as VALUES does.
var decisionTypes = []string{"text", "bigint", "text", "bigint", "bigint",
	"bigint", "bigint", "bigint", "bigint", "bigint", "text", "text",
	"boolean", "text",
	"bigint", "float8", "boolean", "float8", "boolean", "float8", "bigint", "boolean",
	"boolean", "bigint", "bigint", "bigint", "bigint", "bigint",
	"text", "text", "bigint"}

// storable returns s as PostgreSQL text can hold it: valid UTF-8 without
// NUL bytes, each offending byte sequence replaced with U+FFFD.
func storable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Every journal write is fenced, in one statement: the CTE fence locks the
// lease's row FOR SHARE (so a takeover, which updates the row, waits for
// the write to commit, and a write after a takeover sees the new token),
// and the write happens only when the lease has no token above the
// writer's. An unfenced write passes a lease name no lease has (""): the
// check finds no row and locks nothing.
const (
	fenceCTE = `fence AS (SELECT token FROM leases WHERE name = $%d FOR SHARE)`
	unfenced = `NOT EXISTS (SELECT 1 FROM fence WHERE token > $%d)`
)

// params returns "$1::t1, $2::t2, ..." for types.
func params(types []string) string {
	p := make([]string, len(types))
	for i, t := range types {
		p[i] = "$" + strconv.Itoa(i+1) + "::" + t
	}
	return strings.Join(p, ", ")
}

// insertDecision's parameters are the row's, then the fence's lease and
// token. settleIntent is insertDecision for a record that settles an
// intent (its intent_id, the row's last parameter): the intent's row is
// deleted in the same statement, and the record is written only when the
// intent was open.
var insertDecision, settleIntent = func() (string, string) {
	n := len(decisionTypes)
	insert := `WITH ` + fmt.Sprintf(fenceCTE, n+1) + `
INSERT INTO decisions (` + rows.DecisionColumns + `)
SELECT ` + params(decisionTypes) + `
WHERE ` + fmt.Sprintf(unfenced, n+2)
	settle := `WITH ` + fmt.Sprintf(fenceCTE, n+1) + `,
closed AS (DELETE FROM intents WHERE id = $` + strconv.Itoa(n) + ` AND target = $1 AND ` + fmt.Sprintf(unfenced, n+2) + ` RETURNING id)
INSERT INTO decisions (` + rows.DecisionColumns + `)
SELECT ` + params(decisionTypes[:n-1]) + `, closed.id FROM closed`
	return insert, settle
}()

const (
	selectState = `SELECT state FROM engine_state WHERE target = $1 AND slot = $2`
	upsertState = `WITH fence AS (SELECT token FROM leases WHERE name = $5 FOR SHARE)
INSERT INTO engine_state (target, slot, state, updated_at)
SELECT $1::text, $2::text, $3::bytea, $4::timestamptz
WHERE NOT EXISTS (SELECT 1 FROM fence WHERE token > $6)
ON CONFLICT (target, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
	insertIntent = `WITH fence AS (SELECT token FROM leases WHERE name = $10 FOR SHARE)
INSERT INTO intents (` + rows.IntentColumns + `)
SELECT $1::text, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::text, $7::text, $8::bigint, $9::bytea
WHERE NOT EXISTS (SELECT 1 FROM fence WHERE token > $11)
RETURNING id`
	selectIntents = `SELECT id, ` + rows.IntentColumns + ` FROM intents WHERE target = $1 ORDER BY id`
	leaseToken    = `SELECT token FROM leases WHERE name = $1`
)

// Append records one iteration. It returns once the row is committed.
// When r.Intent is set, it deletes that open intent in the same statement.
//
// Errors: EINVALID when a time of r is outside what UnixNano represents
// (years 1678 to 2262) or its target, mode or reason code is not valid
// UTF-8 without NUL; ECONFLICT when r.Intent is not an open intent of
// r.Target; EUNAVAILABLE when the server cannot be reached; EINTERNAL when
// the database fails otherwise.
func (db *DB) Append(ctx context.Context, r headroom.DecisionRecord) error {
	return db.append(ctx, headroom.Fence{}, r)
}

func (db *DB) append(ctx context.Context, f headroom.Fence, r headroom.DecisionRecord) error {
	w, err := rows.FromRecord(r, storable)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("append decision: %w", err)}
	}
	q := insertDecision
	if r.Intent != 0 {
		q = settleIntent
	}
	// One statement commits on its own: no explicit transaction. pgx
	// prepares it once per connection.
	tag, err := db.pool.Exec(ctx, q, append(w.Values(), f.Lease, f.Token)...)
	if err != nil {
		return storeError("append decision: %w", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if err := db.refused(ctx, f, "append decision"); err != nil {
		return err
	}
	return headroom.Errorf(headroom.ECONFLICT, "append decision: intent %d of %s is not open", r.Intent, r.Target)
}

// refused explains a fenced write that wrote nothing: the ECONFLICT error
// wrapping headroom.ErrFenced when the lease's token is above the fence's
// (tokens only grow: the one read now is at least the one that refused
// it), nil when the fence did not refuse it.
func (db *DB) refused(ctx context.Context, f headroom.Fence, op string) error {
	if f.Lease == "" {
		return nil
	}
	var token int64
	err := db.pool.QueryRow(ctx, leaseToken, f.Lease).Scan(&token)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return storeError("%s: read lease %s: %w", op, f.Lease, err)
	}
	if token <= f.Token {
		return nil
	}
	return &headroom.Error{Code: headroom.ECONFLICT,
		Message: fmt.Sprintf("%s: lease %q is at token %d, this writer holds %d", op, f.Lease, token, f.Token),
		Err:     headroom.ErrFenced}
}

// Records returns target's records with a time in [from, to), oldest
// first (ties in append order), at most limit (0: no limit). A zero from
// or to leaves that side open; a record with the zero time comes first,
// and only when from and to are both zero (as in store/sqlite). Times come
// back in UTC.
//
// Errors: EINVALID when from or to is outside what UnixNano represents;
// EUNAVAILABLE, EINTERNAL as Append.
func (db *DB) Records(ctx context.Context, target string, from, to time.Time, limit int) ([]headroom.DecisionRecord, error) {
	q := `SELECT ` + rows.DecisionColumns + ` FROM decisions WHERE target = $1`
	args := []any{target}
	if !from.IsZero() {
		n, err := rows.Nanos(from)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: from: %w", err)}
		}
		args = append(args, *n)
		q += ` AND time >= $` + strconv.Itoa(len(args))
	}
	if !to.IsZero() {
		n, err := rows.Nanos(to)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: to: %w", err)}
		}
		args = append(args, *n)
		q += ` AND time < $` + strconv.Itoa(len(args))
	}
	q += ` ORDER BY time NULLS FIRST, id`
	if limit > 0 {
		args = append(args, limit)
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	out, err := query(ctx, db.pool, rows.ScanRecord, q, args...)
	if err != nil {
		return nil, storeError("read decisions: %w", err)
	}
	return out, nil
}

// State returns the state saved for target and slot; ok is false when
// there is none.
//
// Errors: EUNAVAILABLE, EINTERNAL as Append.
func (db *DB) State(ctx context.Context, target, slot string) ([]byte, bool, error) {
	var st []byte
	err := db.pool.QueryRow(ctx, selectState, target, slot).Scan(&st)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, storeError("read state %s/%s: %w", target, slot, err)
	}
	if st == nil {
		st = []byte{}
	}
	return st, true, nil
}

// SaveState replaces the state of target and slot.
//
// Errors: EUNAVAILABLE, EINTERNAL as Append.
func (db *DB) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return db.saveState(ctx, headroom.Fence{}, target, slot, state)
}

func (db *DB) saveState(ctx context.Context, f headroom.Fence, target, slot string, state []byte) error {
	if state == nil {
		state = []byte{} // NOT NULL: an empty state is still a state
	}
	op := "save state " + target + "/" + slot
	tag, err := db.pool.Exec(ctx, upsertState, target, slot, state, db.Now().UTC(), f.Lease, f.Token)
	if err != nil {
		return storeError("%s: %w", op, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if err := db.refused(ctx, f, op); err != nil {
		return err
	}
	return storeError("%s: no row written", op)
}

// Intend keeps in as an open intent and returns its ID.
//
// Errors: EINVALID when in.Time is outside what UnixNano represents or a
// text is not valid UTF-8 without NUL; EUNAVAILABLE, EINTERNAL as Append.
func (db *DB) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return db.intend(ctx, headroom.Fence{}, in)
}

func (db *DB) intend(ctx context.Context, f headroom.Fence, in headroom.Intent) (int64, error) {
	values, err := rows.IntentValues(in, storable)
	if err != nil {
		return 0, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("write intent: %w", err)}
	}
	var id int64
	err = db.pool.QueryRow(ctx, insertIntent, append(values, f.Lease, f.Token)...).Scan(&id)
	if isNoRows(err) {
		if err := db.refused(ctx, f, "write intent"); err != nil {
			return 0, err
		}
		return 0, storeError("write intent: no row written")
	}
	if err != nil {
		return 0, storeError("write intent: %w", err)
	}
	return id, nil
}

// OpenIntents returns target's open intents, oldest first; times in UTC.
//
// Errors: EUNAVAILABLE, EINTERNAL as Append.
func (db *DB) OpenIntents(ctx context.Context, target string) ([]headroom.Intent, error) {
	out, err := query(ctx, db.pool, rows.ScanIntent, selectIntents, target)
	if err != nil {
		return nil, storeError("read intents of %s: %w", target, err)
	}
	return out, nil
}

// Fenced returns a view of db whose writes are refused, with ECONFLICT
// wrapping headroom.ErrFenced, once lease f.Lease has a token above
// f.Token: each write locks the lease's row and checks the token in the
// statement that writes, so no write of an old leader lands after the
// next one took the lease.
func (db *DB) Fenced(f headroom.Fence) headroom.Journal { return &fenced{db: db, f: f} }

// fenced is DB.Fenced's view.
type fenced struct {
	db *DB
	f  headroom.Fence
}

func (v *fenced) Append(ctx context.Context, r headroom.DecisionRecord) error {
	return v.db.append(ctx, v.f, r)
}

func (v *fenced) Records(ctx context.Context, target string, from, to time.Time, limit int) ([]headroom.DecisionRecord, error) {
	return v.db.Records(ctx, target, from, to, limit)
}

func (v *fenced) State(ctx context.Context, target, slot string) ([]byte, bool, error) {
	return v.db.State(ctx, target, slot)
}

func (v *fenced) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return v.db.saveState(ctx, v.f, target, slot, state)
}

func (v *fenced) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return v.db.intend(ctx, v.f, in)
}

func (v *fenced) OpenIntents(ctx context.Context, target string) ([]headroom.Intent, error) {
	return v.db.OpenIntents(ctx, target)
}

func (v *fenced) Fenced(f headroom.Fence) headroom.Journal { return v.db.Fenced(f) }
