package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/store/internal/rows"
)

// unfenced is the condition every journal write carries, its last two
// parameters: the write happens only while the fence's lease has no token
// above the fence's. An unfenced write passes a lease name no lease has
// (""), so the check is one index lookup that finds nothing. Being part of
// the writing statement, under SQLite's write lock, the check and the
// write are one atomic step.
const unfenced = ` WHERE NOT EXISTS (SELECT 1 FROM leases WHERE name = ? AND token > ?)`

var insertDecision = `INSERT INTO decisions (` + rows.DecisionColumns + `) SELECT ?` +
	strings.Repeat(", ?", strings.Count(rows.DecisionColumns, ",")) + unfenced

const (
	selectState = `SELECT state FROM engine_state WHERE target = ? AND slot = ?`
	upsertState = `INSERT INTO engine_state (target, slot, state, updated_at)
SELECT ?, ?, ?, ?` + unfenced + `
ON CONFLICT (target, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
	// closeIntent deletes the open intent a record settles.
	closeIntent   = `DELETE FROM intents WHERE id = ? AND target = ?`
	insertIntent  = `INSERT INTO intents (` + rows.IntentColumns + `) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?` + unfenced + ` RETURNING id`
	selectIntents = `SELECT id, ` + rows.IntentColumns + ` FROM intents WHERE target = ? ORDER BY id`
	leaseToken    = `SELECT token FROM leases WHERE name = ?`
)

// Append records one iteration. It returns once the row is committed.
// When r.Intent is set, it deletes that open intent in the same
// transaction.
//
// Errors: EINVALID when a time of r is outside what UnixNano represents
// (years 1678 to 2262); ECONFLICT when r.Intent is not an open intent of
// r.Target; EINTERNAL when the database fails.
func (db *DB) Append(ctx context.Context, r headroom.DecisionRecord) error {
	return db.append(ctx, headroom.Fence{}, r)
}

func (db *DB) append(ctx context.Context, f headroom.Fence, r headroom.DecisionRecord) error {
	w, err := rows.FromRecord(r, nil)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("append decision: %w", err)}
	}
	st, err := db.stmt(ctx, &db.insert, db.write, insertDecision)
	if err != nil {
		return internal("append decision: %w", err)
	}
	args := append(w.Values(), f.Lease, f.Token)
	if r.Intent == 0 {
		// A single statement commits on its own: no explicit transaction.
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return internal("append decision: %w", err)
		}
		return db.refused(ctx, res, f, "append decision")
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return internal("append decision: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	if err != nil {
		return internal("append decision: %w", err)
	}
	if err := db.refused(ctx, res, f, "append decision"); err != nil {
		return err
	}
	res, err = tx.ExecContext(ctx, closeIntent, r.Intent, r.Target)
	if err != nil {
		return internal("append decision: close intent %d: %w", r.Intent, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return headroom.Errorf(headroom.ECONFLICT, "append decision: intent %d of %s is not open", r.Intent, r.Target)
	}
	if err := tx.Commit(); err != nil {
		return internal("append decision: %w", err)
	}
	return nil
}

// refused returns nil when a fenced write wrote its row, else the ECONFLICT
// error wrapping headroom.ErrFenced: a write refused by its fence, the
// only way it writes nothing. Tokens only grow, so the token read now is
// at least the one that refused it.
func (db *DB) refused(ctx context.Context, res sql.Result, f headroom.Fence, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return internal("%s: %w", op, err)
	}
	if n > 0 {
		return nil
	}
	var token int64
	if err := db.read.QueryRowContext(ctx, leaseToken, f.Lease).Scan(&token); err != nil {
		return internal("%s: refused by the fence; read lease %s: %w", op, f.Lease, err)
	}
	return &headroom.Error{Code: headroom.ECONFLICT,
		Message: fmt.Sprintf("%s: lease %q is at token %d, this writer holds %d", op, f.Lease, token, f.Token),
		Err:     headroom.ErrFenced}
}

// Records returns target's records with a time in [from, to), oldest
// first (ties in append order), at most limit (0: no limit). A zero from
// or to leaves that side open. Times come back in UTC.
func (db *DB) Records(ctx context.Context, target string, from, to time.Time, limit int) ([]headroom.DecisionRecord, error) {
	q := `SELECT ` + rows.DecisionColumns + ` FROM decisions WHERE target = ?`
	args := []any{target}
	if !from.IsZero() {
		n, err := rows.Nanos(from)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: from: %w", err)}
		}
		q += ` AND time >= ?`
		args = append(args, *n)
	}
	if !to.IsZero() {
		n, err := rows.Nanos(to)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: to: %w", err)}
		}
		q += ` AND time < ?`
		args = append(args, *n)
	}
	q += ` ORDER BY time, id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := query(ctx, db.read, rows.ScanRecord, q, args...)
	if err != nil {
		return nil, internal("read decisions: %w", err)
	}
	return out, nil
}

// State returns the state saved for target and slot; ok is false when
// there is none.
func (db *DB) State(ctx context.Context, target, slot string) ([]byte, bool, error) {
	q, err := db.stmt(ctx, &db.readState, db.read, selectState)
	if err != nil {
		return nil, false, internal("read state %s/%s: %w", target, slot, err)
	}
	var st []byte
	err = q.QueryRowContext(ctx, target, slot).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, internal("read state %s/%s: %w", target, slot, err)
	}
	if st == nil {
		st = []byte{}
	}
	return st, true, nil
}

// SaveState replaces the state of target and slot.
func (db *DB) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return db.saveState(ctx, headroom.Fence{}, target, slot, state)
}

func (db *DB) saveState(ctx context.Context, f headroom.Fence, target, slot string, state []byte) error {
	if state == nil {
		state = []byte{} // NOT NULL: an empty state is still a state
	}
	now := db.Now().UTC().UnixNano()
	st, err := db.stmt(ctx, &db.upsert, db.write, upsertState)
	if err != nil {
		return internal("save state %s/%s: %w", target, slot, err)
	}
	res, err := st.ExecContext(ctx, target, slot, state, now, f.Lease, f.Token)
	if err != nil {
		return internal("save state %s/%s: %w", target, slot, err)
	}
	return db.refused(ctx, res, f, "save state "+target+"/"+slot)
}

// Intend keeps in as an open intent and returns its ID.
//
// Errors: EINVALID when in.Time is outside what UnixNano represents;
// EINTERNAL when the database fails.
func (db *DB) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return db.intend(ctx, headroom.Fence{}, in)
}

func (db *DB) intend(ctx context.Context, f headroom.Fence, in headroom.Intent) (int64, error) {
	values, err := rows.IntentValues(in, nil)
	if err != nil {
		return 0, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("write intent: %w", err)}
	}
	var id int64
	err = db.write.QueryRowContext(ctx, insertIntent, append(values, f.Lease, f.Token)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, db.refused(ctx, noRows{}, f, "write intent")
	}
	if err != nil {
		return 0, internal("write intent: %w", err)
	}
	return id, nil
}

// noRows is the result of a statement that wrote nothing.
type noRows struct{}

func (noRows) LastInsertId() (int64, error) { return 0, nil }
func (noRows) RowsAffected() (int64, error) { return 0, nil }

// OpenIntents returns target's open intents, oldest first; times in UTC.
//
// Errors: EINTERNAL when the database fails.
func (db *DB) OpenIntents(ctx context.Context, target string) ([]headroom.Intent, error) {
	out, err := query(ctx, db.read, rows.ScanIntent, selectIntents, target)
	if err != nil {
		return nil, internal("read intents of %s: %w", target, err)
	}
	return out, nil
}

// Fenced returns a view of db whose writes are refused, with ECONFLICT
// wrapping headroom.ErrFenced, once lease f.Lease has a token above
// f.Token: checked in the statement that writes, so no write of an old
// leader lands after the next one took the lease.
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
