package headroom

import (
	"context"
	"errors"
	"time"
)

// MetricsSource reads what a target's autoscaler observes. Implementations:
// metrics/prom (the Prometheus HTTP API).
type MetricsSource interface {
	// Observe returns what was observable at now: each metric averaged over
	// the source's window ending at now. A metric the source does not
	// track, or that has no sample, is left unset (Has... false): the
	// engine treats a missing metric as the platforms do.
	//
	// Errors: *Error with code EUNAVAILABLE when the source cannot be
	// reached, times out or answers with an error; EINVALID when its
	// configuration (a query) is wrong.
	Observe(ctx context.Context, now time.Time) (Observation, error)
}

// Actuator reads and sets a target's capacity. Implementations:
// actuator/exec (a command), actuator/k8s (the scale subresource).
type Actuator interface {
	// Capacity returns the target's current capacity.
	//
	// Errors: *Error with code EUNAVAILABLE when the target cannot be
	// read.
	Capacity(ctx context.Context) (Capacity, error)
	// Scale sets the desired instance count; reason says why, for the
	// platform's own records.
	//
	// Errors: *Error with code EUNAVAILABLE when the platform did not
	// take the change (after the actuator's own retries); EINVALID when
	// the request is refused as malformed.
	Scale(ctx context.Context, desired int, reason Reason) error
}

// FloorActuator holds a platform's own autoscaler above a floor: guard
// mode, where the platform keeps scaling and headroom only refuses unsafe
// reductions. Implementation: actuator/k8s (an HPA's minReplicas).
type FloorActuator interface {
	// PlatformMin returns the minimum the platform's autoscaler was
	// configured with, not a floor headroom raised.
	PlatformMin(ctx context.Context) (int, error)
	// SetFloor holds the autoscaler at floor or more; a floor at or below
	// the platform's own minimum restores it. Raising and restoring are
	// idempotent, and what to restore survives a restart of headroom.
	//
	// Errors: as Actuator.Scale.
	SetFloor(ctx context.Context, floor int, reason Reason) error
}

// DecisionRecord is one iteration of the live loop for one target: what
// was seen, what the engine decided and why, and what happened.
//
// In guard mode Decision.Desired is the floor the platform's autoscaler is
// held at and Decision.Min its own minimum.
type DecisionRecord struct {
	Target      string      `json:"target"`
	Time        time.Time   `json:"time"`
	Mode        string      `json:"mode"`
	Observation Observation `json:"observation"`
	Current     Capacity    `json:"current"`
	Decision    Decision    `json:"decision"`
	// Applied is true when the actuator took Decision.Desired.
	Applied bool `json:"applied"`
	// Error says what failed: the metrics source or the actuator.
	Error string `json:"error,omitempty"`
	// Proposed is what a proposed policy running in shadow would have
	// decided.
	Proposed *Decision `json:"proposed,omitempty"`
	// Alerts are the detector's alerts firing after this iteration. The
	// journal does not keep them with the record: the detector's state
	// does (controller.Firing).
	Alerts []Alert `json:"alerts,omitempty"`
	// Intent, when not 0, is the ID of the open Intent this record
	// settles: Append closes the intent in the same transaction as it
	// stores the record, so an actuation is either still open (and
	// reconciled later) or recorded, never both and never neither.
	Intent int64 `json:"intent,omitempty"`
}

// Intent is an actuation written to the journal before it is made
// (write-ahead): if the process dies between the actuation and its record,
// the next leader finds the intent open, compares it with the platform's
// count and records the outcome.
type Intent struct {
	// ID is set by Journal.Intend; it grows and is never reused.
	ID     int64     `json:"id"`
	Target string    `json:"target"`
	Time   time.Time `json:"time"`
	// Current is the capacity the decision saw, Desired the count it set.
	Current Capacity `json:"current"`
	Desired int      `json:"desired"`
	Reason  Reason   `json:"reason"`
	// Token is the fencing token of the lease the intending process held
	// (0 without a lease).
	Token int64 `json:"token"`
	// State is the engine's memory after the actuation, saved in the
	// "live" slot by the reconciliation that finds the actuation made: the
	// process may have died before saving it, and without it the next
	// decision would not count the action (a rate limit, a cooldown).
	State []byte `json:"state,omitempty"`
}

// Fence names the lease whose token a journal's writes are checked against
// (Journal.Fenced).
type Fence struct {
	Lease string
	Token int64
}

// ErrFenced is wrapped by the ECONFLICT error of a write refused because
// the lease's token is above the writer's: another process leads now.
var ErrFenced = errors.New("fenced: another process holds the lease")

// Journal keeps the live loop's decision records and the engine's memory,
// so that a restart does not reset it. Implementations: store/sqlite,
// store/postgres; store/memory for tests.
//
// Errors of every method: EINTERNAL when the store fails, EUNAVAILABLE
// when a database server cannot be reached.
type Journal interface {
	// Append records one iteration; when r.Intent is set it closes that
	// intent in the same transaction.
	//
	// Errors: ECONFLICT when r.Intent is not an open intent of r.Target
	// (settled already, by another process's reconciliation).
	Append(ctx context.Context, r DecisionRecord) error
	// Records returns target's records in [from, to), oldest first, at
	// most limit (0: no limit).
	Records(ctx context.Context, target string, from, to time.Time, limit int) ([]DecisionRecord, error)
	// State returns the engine state saved for target and slot ("live",
	// "proposed"), as the engine encoded it; ok is false when there is
	// none.
	State(ctx context.Context, target, slot string) (state []byte, ok bool, err error)
	// SaveState replaces the state of target and slot.
	SaveState(ctx context.Context, target, slot string, state []byte) error
	// Intend writes an actuation before it is made and returns its ID. The
	// intent stays open until Append stores a record whose Intent is that
	// ID.
	//
	// Errors: EINVALID when a time is out of the store's range.
	Intend(ctx context.Context, in Intent) (id int64, err error)
	// OpenIntents returns target's open intents, oldest first.
	OpenIntents(ctx context.Context, target string) ([]Intent, error)
	// Fenced returns a view of the journal whose writes (Append,
	// SaveState, Intend) are refused once lease f.Lease has a token above
	// f.Token, checked atomically with each write: a leader that lost its
	// lease cannot write after the next leader took it over. Reads are
	// the journal's own. A Fence with an empty Lease checks nothing.
	//
	// Errors of a fenced write, besides the journal's: ECONFLICT wrapping
	// ErrFenced when the lease's token is above f.Token.
	Fenced(f Fence) Journal
}

// Lease is the right to act, held by one `headroom serve` process among
// several sharing a store, until Expires.
type Lease struct {
	Name   string
	Holder string
	// Token grows by one each time the lease changes hands (never on a
	// renewal): a fencing token, so a write can tell an old leader from
	// the current one.
	Token int64
	// Expires is in the store's clock (PostgreSQL's now(), not the
	// caller's): replicas whose own clocks disagree or jump still agree on
	// who holds the lease. A holder must stop acting before its own
	// monotonic clock says the TTL has passed since it acquired or
	// renewed (a jump of the store's clock can end the lease sooner).
	Expires time.Time
}

// Leases hands out leases so that several processes sharing a store act one
// at a time. Implementations: store/postgres, store/sqlite (processes on one
// machine sharing a file); store/memory for tests.
type Leases interface {
	// Acquire takes lease name for holder for ttl when it is free or
	// expired, or renews it when holder already has it. ok is false when
	// another holder has it unexpired; l then describes that holder's
	// lease.
	//
	// Errors: EINTERNAL or EUNAVAILABLE when the store fails; the caller
	// must then act as if it did not hold the lease.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (l Lease, ok bool, err error)
	// Release gives the lease up when holder has it, so that another
	// process takes over at once instead of after the TTL; it is not an
	// error when holder does not have it.
	Release(ctx context.Context, name, holder string) error
	// List returns the unexpired leases whose names begin with prefix,
	// ordered by name: which replicas are alive and which shards they
	// hold, so that replicas sharing the targets can balance them.
	//
	// Errors: as Acquire's.
	List(ctx context.Context, prefix string) ([]Lease, error)
}
