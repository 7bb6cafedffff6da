package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// decisionColumns lists the decisions columns Append writes and Records
// reads, in the order of record's fields.
const decisionColumns = `target, time, mode, current_ready, current_launching,
	decision_time, decision_current, desired, min, max, reason_code, reason_message,
	applied, error,
	observed_at, utilization, has_utilization, demand, has_demand, error_ratio, latency_ns, has_health,
	has_proposed, proposed_time, proposed_current, proposed_desired, proposed_min, proposed_max,
	proposed_code, proposed_message, intent_id`

// row is one decisions row as database/sql sees it.
type row struct {
	target                         string
	time                           sql.NullInt64
	mode                           string
	ready, launching               int64
	decisionTime                   sql.NullInt64
	current, desired, min, max     int64
	code, message                  string
	applied                        bool
	err                            string
	observedAt                     sql.NullInt64
	utilization                    sql.NullFloat64
	hasUtilization                 bool
	demand                         sql.NullFloat64
	hasDemand                      bool
	errorRatio                     sql.NullFloat64
	latency                        int64
	hasHealth                      bool
	hasProposed                    bool
	pTime                          sql.NullInt64
	pCurrent, pDesired, pMin, pMax sql.NullInt64
	pCode, pMessage                sql.NullString
	intent                         sql.NullInt64
}

func (r *row) fields() []any {
	return []any{&r.target, &r.time, &r.mode, &r.ready, &r.launching,
		&r.decisionTime, &r.current, &r.desired, &r.min, &r.max, &r.code, &r.message,
		&r.applied, &r.err,
		&r.observedAt, &r.utilization, &r.hasUtilization, &r.demand, &r.hasDemand, &r.errorRatio, &r.latency, &r.hasHealth,
		&r.hasProposed, &r.pTime, &r.pCurrent, &r.pDesired, &r.pMin, &r.pMax,
		&r.pCode, &r.pMessage, &r.intent}
}

// values returns the row's values for an INSERT, dereferencing fields.
func (r *row) values() []any {
	f := r.fields()
	v := make([]any, len(f))
	for i, p := range f {
		switch p := p.(type) {
		case *string:
			v[i] = *p
		case *int64:
			v[i] = *p
		case *bool:
			v[i] = *p
		case *sql.NullInt64:
			v[i] = *p
		case *sql.NullFloat64:
			v[i] = *p
		case *sql.NullString:
			v[i] = *p
		default:
			panic(fmt.Sprintf("sqlite: unhandled column type %T", p))
		}
	}
	return v
}

func toRow(r headroom.DecisionRecord) (row, error) {
	var err error
	w := row{
		target: r.Target, mode: r.Mode,
		ready: int64(r.Current.Ready), launching: int64(r.Current.Launching),
		current: int64(r.Decision.Current), desired: int64(r.Decision.Desired),
		min: int64(r.Decision.Min), max: int64(r.Decision.Max),
		code: string(r.Decision.Reason.Code), message: r.Decision.Reason.Message,
		applied: r.Applied, err: r.Error,
		utilization: float(r.Observation.Utilization), hasUtilization: r.Observation.HasUtilization,
		demand: float(r.Observation.Demand), hasDemand: r.Observation.HasDemand,
		errorRatio: float(r.Observation.ErrorRatio), latency: int64(r.Observation.Latency),
		hasHealth: r.Observation.HasHealth,
		intent:    sql.NullInt64{Int64: r.Intent, Valid: r.Intent != 0},
	}
	if w.time, err = nanos(r.Time); err != nil {
		return row{}, fmt.Errorf("record time: %w", err)
	}
	if w.decisionTime, err = nanos(r.Decision.Time); err != nil {
		return row{}, fmt.Errorf("decision time: %w", err)
	}
	if w.observedAt, err = nanos(r.Observation.Time); err != nil {
		return row{}, fmt.Errorf("observation time: %w", err)
	}
	if p := r.Proposed; p != nil {
		w.hasProposed = true
		if w.pTime, err = nanos(p.Time); err != nil {
			return row{}, fmt.Errorf("proposed time: %w", err)
		}
		w.pCurrent = sql.NullInt64{Int64: int64(p.Current), Valid: true}
		w.pDesired = sql.NullInt64{Int64: int64(p.Desired), Valid: true}
		w.pMin = sql.NullInt64{Int64: int64(p.Min), Valid: true}
		w.pMax = sql.NullInt64{Int64: int64(p.Max), Valid: true}
		w.pCode = sql.NullString{String: string(p.Reason.Code), Valid: true}
		w.pMessage = sql.NullString{String: p.Reason.Message, Valid: true}
	}
	return w, nil
}

func (w *row) record() headroom.DecisionRecord {
	r := headroom.DecisionRecord{
		Target: w.target,
		Time:   fromNanos(w.time),
		Mode:   w.mode,
		Observation: headroom.Observation{
			Time:           fromNanos(w.observedAt),
			Utilization:    fromFloat(w.utilization),
			HasUtilization: w.hasUtilization,
			Demand:         fromFloat(w.demand),
			HasDemand:      w.hasDemand,
			ErrorRatio:     fromFloat(w.errorRatio),
			Latency:        time.Duration(w.latency),
			HasHealth:      w.hasHealth,
		},
		Current: headroom.Capacity{Ready: int(w.ready), Launching: int(w.launching)},
		Decision: headroom.Decision{
			Time:    fromNanos(w.decisionTime),
			Current: int(w.current),
			Desired: int(w.desired),
			Min:     int(w.min),
			Max:     int(w.max),
			Reason:  headroom.Reason{Code: headroom.ReasonCode(w.code), Message: w.message},
		},
		Applied: w.applied,
		Error:   w.err,
		Intent:  w.intent.Int64,
	}
	if w.hasProposed {
		r.Proposed = &headroom.Decision{
			Time:    fromNanos(w.pTime),
			Current: int(w.pCurrent.Int64),
			Desired: int(w.pDesired.Int64),
			Min:     int(w.pMin.Int64),
			Max:     int(w.pMax.Int64),
			Reason:  headroom.Reason{Code: headroom.ReasonCode(w.pCode.String), Message: w.pMessage.String},
		}
	}
	return r
}

// unfenced is the condition every journal write carries, its last two
// parameters: the write happens only while the fence's lease has no token
// above the fence's. An unfenced write passes a lease name no lease has
// (""), so the check is one index lookup that finds nothing. Being part of
// the writing statement, under SQLite's write lock, the check and the
// write are one atomic step.
const unfenced = ` WHERE NOT EXISTS (SELECT 1 FROM leases WHERE name = ? AND token > ?)`

var insertDecision = `INSERT INTO decisions (` + decisionColumns + `) SELECT ?` +
	strings.Repeat(", ?", strings.Count(decisionColumns, ",")) + unfenced

const (
	selectState = `SELECT state FROM engine_state WHERE target = ? AND slot = ?`
	upsertState = `INSERT INTO engine_state (target, slot, state, updated_at)
SELECT ?, ?, ?, ?` + unfenced + `
ON CONFLICT (target, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
	// closeIntent deletes the open intent a record settles.
	closeIntent  = `DELETE FROM intents WHERE id = ? AND target = ?`
	insertIntent = `INSERT INTO intents (target, time, current_ready, current_launching, desired,
	reason_code, reason_message, token, state)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?` + unfenced + `
RETURNING id`
	selectIntents = `SELECT id, target, time, current_ready, current_launching, desired,
	reason_code, reason_message, token, state
FROM intents WHERE target = ? ORDER BY id`
	leaseToken = `SELECT token FROM leases WHERE name = ?`
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
	w, err := toRow(r)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("append decision: %w", err)}
	}
	st, err := db.stmt(ctx, &db.insert, db.write, insertDecision)
	if err != nil {
		return internal("append decision: %w", err)
	}
	args := append(w.values(), f.Lease, f.Token)
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
	q := `SELECT ` + decisionColumns + ` FROM decisions WHERE target = ?`
	args := []any{target}
	if !from.IsZero() {
		n, err := nanos(from)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: from: %w", err)}
		}
		q += ` AND time >= ?`
		args = append(args, n)
	}
	if !to.IsZero() {
		n, err := nanos(to)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: to: %w", err)}
		}
		q += ` AND time < ?`
		args = append(args, n)
	}
	q += ` ORDER BY time, id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("read decisions: %w", err)
	}
	defer rows.Close()
	var out []headroom.DecisionRecord
	for rows.Next() {
		var w row
		if err := rows.Scan(w.fields()...); err != nil {
			return nil, internal("read decisions: %w", err)
		}
		out = append(out, w.record())
	}
	if err := rows.Err(); err != nil {
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
	at, err := nanos(in.Time)
	if err != nil {
		return 0, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("write intent: %w", err)}
	}
	var id int64
	err = db.write.QueryRowContext(ctx, insertIntent, in.Target, at, in.Current.Ready, in.Current.Launching, in.Desired,
		string(in.Reason.Code), in.Reason.Message, in.Token, in.State, f.Lease, f.Token).Scan(&id)
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
	rows, err := db.read.QueryContext(ctx, selectIntents, target)
	if err != nil {
		return nil, internal("read intents of %s: %w", target, err)
	}
	defer rows.Close()
	var out []headroom.Intent
	for rows.Next() {
		var in headroom.Intent
		var at sql.NullInt64
		var code string
		if err := rows.Scan(&in.ID, &in.Target, &at, &in.Current.Ready, &in.Current.Launching, &in.Desired,
			&code, &in.Reason.Message, &in.Token, &in.State); err != nil {
			return nil, internal("read intents of %s: %w", target, err)
		}
		in.Time, in.Reason.Code = fromNanos(at), headroom.ReasonCode(code)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
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
