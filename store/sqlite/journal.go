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
	proposed_code, proposed_message`

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
}

func (r *row) fields() []any {
	return []any{&r.target, &r.time, &r.mode, &r.ready, &r.launching,
		&r.decisionTime, &r.current, &r.desired, &r.min, &r.max, &r.code, &r.message,
		&r.applied, &r.err,
		&r.observedAt, &r.utilization, &r.hasUtilization, &r.demand, &r.hasDemand, &r.errorRatio, &r.latency, &r.hasHealth,
		&r.hasProposed, &r.pTime, &r.pCurrent, &r.pDesired, &r.pMin, &r.pMax,
		&r.pCode, &r.pMessage}
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

var insertDecision = `INSERT INTO decisions (` + decisionColumns + `) VALUES (?` +
	strings.Repeat(", ?", strings.Count(decisionColumns, ",")) + `)`

const (
	selectState = `SELECT state FROM engine_state WHERE target = ? AND slot = ?`
	upsertState = `INSERT INTO engine_state (target, slot, state, updated_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (target, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
)

// Append records one iteration. It returns once the row is committed.
//
// Errors: EINVALID when a time of r is outside what UnixNano represents
// (years 1678 to 2262); EINTERNAL when the database fails.
func (db *DB) Append(ctx context.Context, r headroom.DecisionRecord) error {
	w, err := toRow(r)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("append decision: %w", err)}
	}
	// A single statement commits on its own: no explicit transaction.
	st, err := db.stmt(ctx, &db.insert, db.write, insertDecision)
	if err != nil {
		return internal("append decision: %w", err)
	}
	if _, err := st.ExecContext(ctx, w.values()...); err != nil {
		return internal("append decision: %w", err)
	}
	return nil
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
	if state == nil {
		state = []byte{} // NOT NULL: an empty state is still a state
	}
	now := db.Now().UTC().UnixNano()
	st, err := db.stmt(ctx, &db.upsert, db.write, upsertState)
	if err != nil {
		return internal("save state %s/%s: %w", target, slot, err)
	}
	if _, err := st.ExecContext(ctx, target, slot, state, now); err != nil {
		return internal("save state %s/%s: %w", target, slot, err)
	}
	return nil
}
