package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
)

// decisionColumns lists the decisions columns Append writes and Records
// reads, in the order of row's fields.
const decisionColumns = `target, time, mode, current_ready, current_launching,
	decision_time, decision_current, desired, min, max, reason_code, reason_message,
	applied, error,
	observed_at, utilization, has_utilization, demand, has_demand, error_ratio, latency_ns, has_health,
	has_proposed, proposed_time, proposed_current, proposed_desired, proposed_min, proposed_max,
	proposed_code, proposed_message`

// row is one decisions row as pgx sees it; a nil pointer is NULL.
type row struct {
	target                         string
	time                           *int64
	mode                           string
	ready, launching               int64
	decisionTime                   *int64
	current, desired, min, max     int64
	code, message                  string
	applied                        bool
	err                            string
	observedAt                     *int64
	utilization                    float64
	hasUtilization                 bool
	demand                         float64
	hasDemand                      bool
	errorRatio                     float64
	latency                        int64
	hasHealth                      bool
	hasProposed                    bool
	pTime                          *int64
	pCurrent, pDesired, pMin, pMax *int64
	pCode, pMessage                *string
}

// fields returns pointers to the row's fields, for Scan.
func (r *row) fields() []any {
	return []any{&r.target, &r.time, &r.mode, &r.ready, &r.launching,
		&r.decisionTime, &r.current, &r.desired, &r.min, &r.max, &r.code, &r.message,
		&r.applied, &r.err,
		&r.observedAt, &r.utilization, &r.hasUtilization, &r.demand, &r.hasDemand, &r.errorRatio, &r.latency, &r.hasHealth,
		&r.hasProposed, &r.pTime, &r.pCurrent, &r.pDesired, &r.pMin, &r.pMax,
		&r.pCode, &r.pMessage}
}

// values returns the row's values, for an INSERT.
func (r *row) values() []any {
	return []any{r.target, r.time, r.mode, r.ready, r.launching,
		r.decisionTime, r.current, r.desired, r.min, r.max, r.code, r.message,
		r.applied, r.err,
		r.observedAt, r.utilization, r.hasUtilization, r.demand, r.hasDemand, r.errorRatio, r.latency, r.hasHealth,
		r.hasProposed, r.pTime, r.pCurrent, r.pDesired, r.pMin, r.pMax,
		r.pCode, r.pMessage}
}

func toRow(r headroom.DecisionRecord) (row, error) {
	var err error
	w := row{
		target: r.Target, mode: r.Mode,
		ready: int64(r.Current.Ready), launching: int64(r.Current.Launching),
		current: int64(r.Decision.Current), desired: int64(r.Decision.Desired),
		min: int64(r.Decision.Min), max: int64(r.Decision.Max),
		code: string(r.Decision.Reason.Code), message: storable(r.Decision.Reason.Message),
		applied: r.Applied, err: storable(r.Error),
		utilization: r.Observation.Utilization, hasUtilization: r.Observation.HasUtilization,
		demand: r.Observation.Demand, hasDemand: r.Observation.HasDemand,
		errorRatio: r.Observation.ErrorRatio, latency: int64(r.Observation.Latency),
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
		current, desired, lo, hi := int64(p.Current), int64(p.Desired), int64(p.Min), int64(p.Max)
		code, message := string(p.Reason.Code), storable(p.Reason.Message)
		w.pCurrent, w.pDesired, w.pMin, w.pMax = &current, &desired, &lo, &hi
		w.pCode, w.pMessage = &code, &message
	}
	return w, nil
}

// storable returns s as PostgreSQL text can hold it: valid UTF-8 without
// NUL bytes, each offending byte sequence replaced with U+FFFD.
func storable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func (w *row) record() headroom.DecisionRecord {
	r := headroom.DecisionRecord{
		Target: w.target,
		Time:   fromNanos(w.time),
		Mode:   w.mode,
		Observation: headroom.Observation{
			Time:           fromNanos(w.observedAt),
			Utilization:    w.utilization,
			HasUtilization: w.hasUtilization,
			Demand:         w.demand,
			HasDemand:      w.hasDemand,
			ErrorRatio:     w.errorRatio,
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
			Current: int(deref(w.pCurrent)),
			Desired: int(deref(w.pDesired)),
			Min:     int(deref(w.pMin)),
			Max:     int(deref(w.pMax)),
			Reason:  headroom.Reason{Code: headroom.ReasonCode(deref(w.pCode)), Message: deref(w.pMessage)},
		}
	}
	return r
}

// deref returns *p, or the zero value for NULL (which the table's CHECK
// forbids when has_proposed is set).
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

var insertDecision = func() string {
	n := strings.Count(decisionColumns, ",") + 1
	params := make([]string, n)
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return `INSERT INTO decisions (` + decisionColumns + `) VALUES (` + strings.Join(params, ", ") + `)`
}()

const (
	selectState = `SELECT state FROM engine_state WHERE target = $1 AND slot = $2`
	upsertState = `INSERT INTO engine_state (target, slot, state, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (target, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
)

// Append records one iteration. It returns once the row is committed.
//
// Errors: EINVALID when a time of r is outside what UnixNano represents
// (years 1678 to 2262) or its target, mode or reason code is not valid
// UTF-8 without NUL; EUNAVAILABLE when the server cannot be reached;
// EINTERNAL when the database fails otherwise.
func (db *DB) Append(ctx context.Context, r headroom.DecisionRecord) error {
	w, err := toRow(r)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("append decision: %w", err)}
	}
	// One statement commits on its own: no explicit transaction. pgx
	// prepares it once per connection.
	if _, err := db.pool.Exec(ctx, insertDecision, w.values()...); err != nil {
		return storeError("append decision: %w", err)
	}
	return nil
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
	q := `SELECT ` + decisionColumns + ` FROM decisions WHERE target = $1`
	args := []any{target}
	if !from.IsZero() {
		n, err := nanos(from)
		if err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("read decisions: from: %w", err)}
		}
		args = append(args, *n)
		q += ` AND time >= $` + strconv.Itoa(len(args))
	}
	if !to.IsZero() {
		n, err := nanos(to)
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
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, storeError("read decisions: %w", err)
	}
	defer rows.Close()
	var out []headroom.DecisionRecord
	for rows.Next() {
		var w row
		if err := rows.Scan(w.fields()...); err != nil {
			return nil, storeError("read decisions: %w", err)
		}
		out = append(out, w.record())
	}
	if err := rows.Err(); err != nil {
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
	if state == nil {
		state = []byte{} // NOT NULL: an empty state is still a state
	}
	if _, err := db.pool.Exec(ctx, upsertState, target, slot, state, db.Now().UTC()); err != nil {
		return storeError("save state %s/%s: %w", target, slot, err)
	}
	return nil
}
