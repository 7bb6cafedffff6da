package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// MemoryJournal keeps records, states and intents in memory: for tests,
// and for `serve` before a database is configured.
type MemoryJournal struct {
	// Leases, when set, is what the fenced views (Fenced) check their
	// token against; without it a fence checks nothing.
	Leases *MemoryLeases

	mu         sync.Mutex
	records    []Record
	states     map[string][]byte
	intents    []headroom.Intent // open ones, oldest first
	lastIntent int64
}

var _ headroom.Journal = (*MemoryJournal)(nil)

// Append records r (a copy: the caller may reuse its Proposed) and closes
// its intent.
//
// Errors: ECONFLICT when r.Intent is not an open intent of r.Target.
func (j *MemoryJournal) Append(ctx context.Context, r Record) error {
	return j.append(ctx, headroom.Fence{}, r)
}

func (j *MemoryJournal) append(_ context.Context, f headroom.Fence, r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.check(f, "append decision"); err != nil {
		return err
	}
	if r.Intent != 0 {
		i := slices.IndexFunc(j.intents, func(in headroom.Intent) bool { return in.ID == r.Intent && in.Target == r.Target })
		if i < 0 {
			return headroom.Errorf(headroom.ECONFLICT, "append decision: intent %d of %s is not open", r.Intent, r.Target)
		}
		j.intents = slices.Delete(j.intents, i, i+1)
	}
	j.records = append(j.records, detach(r))
	return nil
}

// Records returns target's records in [from, to), oldest first (records
// of the same time in append order); zero times are open bounds.
func (j *MemoryJournal) Records(_ context.Context, target string, from, to time.Time, limit int) ([]Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Record
	for _, r := range j.records {
		if r.Target != target || (!from.IsZero() && r.Time.Before(from)) || (!to.IsZero() && !r.Time.Before(to)) {
			continue
		}
		out = append(out, detach(r))
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.Time.Compare(b.Time) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// detach copies what a record points to.
func detach(r Record) Record {
	if r.Proposed != nil {
		p := *r.Proposed
		r.Proposed = &p
	}
	r.Alerts = slices.Clone(r.Alerts)
	return r
}

// State returns the saved state.
func (j *MemoryJournal) State(_ context.Context, target, slot string) ([]byte, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st, ok := j.states[target+"/"+slot]
	return st, ok, nil
}

// SaveState keeps state.
func (j *MemoryJournal) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return j.saveState(ctx, headroom.Fence{}, target, slot, state)
}

func (j *MemoryJournal) saveState(_ context.Context, f headroom.Fence, target, slot string, state []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.check(f, "save state "+target+"/"+slot); err != nil {
		return err
	}
	if j.states == nil {
		j.states = map[string][]byte{}
	}
	j.states[target+"/"+slot] = append([]byte{}, state...)
	return nil
}

// Intend keeps in open and returns its ID.
func (j *MemoryJournal) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return j.intend(ctx, headroom.Fence{}, in)
}

func (j *MemoryJournal) intend(_ context.Context, f headroom.Fence, in headroom.Intent) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.check(f, "write intent"); err != nil {
		return 0, err
	}
	j.lastIntent++
	in.ID = j.lastIntent
	if in.State != nil {
		in.State = append([]byte{}, in.State...)
	}
	j.intents = append(j.intents, in)
	return in.ID, nil
}

// OpenIntents returns target's open intents, oldest first.
func (j *MemoryJournal) OpenIntents(_ context.Context, target string) ([]headroom.Intent, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []headroom.Intent
	for _, in := range j.intents {
		if in.Target == target {
			if in.State != nil {
				in.State = append([]byte{}, in.State...)
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// Fenced returns a view whose writes are refused once j.Leases has given
// lease f.Lease a token above f.Token (nothing is checked without Leases).
func (j *MemoryJournal) Fenced(f headroom.Fence) headroom.Journal {
	return &memoryFenced{j: j, f: f}
}

// check refuses a write under fence f when the lease has moved on; j.mu is
// held, so the check and the write are one step.
func (j *MemoryJournal) check(f headroom.Fence, op string) error {
	if f.Lease == "" || j.Leases == nil {
		return nil
	}
	if token := j.Leases.token(f.Lease); token > f.Token {
		return fenced(op, f, token)
	}
	return nil
}

// fenced is the error of a write refused by fence f, the lease being at
// token now.
func fenced(op string, f headroom.Fence, token int64) error {
	return &headroom.Error{Code: headroom.ECONFLICT,
		Message: fmt.Sprintf("%s: lease %q is at token %d, this writer holds %d", op, f.Lease, token, f.Token),
		Err:     headroom.ErrFenced}
}

// memoryFenced is MemoryJournal.Fenced's view.
type memoryFenced struct {
	j *MemoryJournal
	f headroom.Fence
}

func (m *memoryFenced) Append(ctx context.Context, r Record) error {
	return m.j.append(ctx, m.f, r)
}

func (m *memoryFenced) Records(ctx context.Context, target string, from, to time.Time, limit int) ([]Record, error) {
	return m.j.Records(ctx, target, from, to, limit)
}

func (m *memoryFenced) State(ctx context.Context, target, slot string) ([]byte, bool, error) {
	return m.j.State(ctx, target, slot)
}

func (m *memoryFenced) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return m.j.saveState(ctx, m.f, target, slot, state)
}

func (m *memoryFenced) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return m.j.intend(ctx, m.f, in)
}

func (m *memoryFenced) OpenIntents(ctx context.Context, target string) ([]headroom.Intent, error) {
	return m.j.OpenIntents(ctx, target)
}

func (m *memoryFenced) Fenced(f headroom.Fence) headroom.Journal { return m.j.Fenced(f) }
