package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// Journal is a headroom.Journal in memory, for tests: it keeps records,
// states and intents as store/sqlite and store/postgres do, and passes the
// same contract (storetest.RunJournal, RunFencing). The zero value is
// ready to use.
type Journal struct {
	// Leases, when set, is what the fenced views (Fenced) check their
	// token against; without it a fence checks nothing.
	Leases *Leases

	mu         sync.Mutex
	records    []headroom.DecisionRecord
	states     map[string][]byte
	intents    []headroom.Intent // open ones, oldest first
	lastIntent int64
}

var _ headroom.Journal = (*Journal)(nil)

// Append records r (a copy: the caller may reuse its Proposed) and closes
// its intent.
//
// Errors: ECONFLICT when r.Intent is not an open intent of r.Target.
func (j *Journal) Append(ctx context.Context, r headroom.DecisionRecord) error {
	return j.append(ctx, headroom.Fence{}, r)
}

func (j *Journal) append(_ context.Context, f headroom.Fence, r headroom.DecisionRecord) error {
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
func (j *Journal) Records(_ context.Context, target string, from, to time.Time, limit int) ([]headroom.DecisionRecord, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []headroom.DecisionRecord
	for _, r := range j.records {
		if r.Target != target || (!from.IsZero() && r.Time.Before(from)) || (!to.IsZero() && !r.Time.Before(to)) {
			continue
		}
		out = append(out, detach(r))
	}
	slices.SortStableFunc(out, func(a, b headroom.DecisionRecord) int { return a.Time.Compare(b.Time) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// detach copies what a record points to.
func detach(r headroom.DecisionRecord) headroom.DecisionRecord {
	if r.Proposed != nil {
		p := *r.Proposed
		r.Proposed = &p
	}
	r.Alerts = slices.Clone(r.Alerts)
	return r
}

// State returns the saved state.
func (j *Journal) State(_ context.Context, target, slot string) ([]byte, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st, ok := j.states[target+"/"+slot]
	return st, ok, nil
}

// SaveState keeps state.
func (j *Journal) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return j.saveState(ctx, headroom.Fence{}, target, slot, state)
}

func (j *Journal) saveState(_ context.Context, f headroom.Fence, target, slot string, state []byte) error {
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
func (j *Journal) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return j.intend(ctx, headroom.Fence{}, in)
}

func (j *Journal) intend(_ context.Context, f headroom.Fence, in headroom.Intent) (int64, error) {
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
func (j *Journal) OpenIntents(_ context.Context, target string) ([]headroom.Intent, error) {
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
func (j *Journal) Fenced(f headroom.Fence) headroom.Journal {
	return &fencedJournal{j: j, f: f}
}

// check refuses a write under fence f when the lease has moved on; j.mu is
// held, so the check and the write are one step.
func (j *Journal) check(f headroom.Fence, op string) error {
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

// fencedJournal is Journal.Fenced's view.
type fencedJournal struct {
	j *Journal
	f headroom.Fence
}

func (m *fencedJournal) Append(ctx context.Context, r headroom.DecisionRecord) error {
	return m.j.append(ctx, m.f, r)
}

func (m *fencedJournal) Records(ctx context.Context, target string, from, to time.Time, limit int) ([]headroom.DecisionRecord, error) {
	return m.j.Records(ctx, target, from, to, limit)
}

func (m *fencedJournal) State(ctx context.Context, target, slot string) ([]byte, bool, error) {
	return m.j.State(ctx, target, slot)
}

func (m *fencedJournal) SaveState(ctx context.Context, target, slot string, state []byte) error {
	return m.j.saveState(ctx, m.f, target, slot, state)
}

func (m *fencedJournal) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	return m.j.intend(ctx, m.f, in)
}

func (m *fencedJournal) OpenIntents(ctx context.Context, target string) ([]headroom.Intent, error) {
	return m.j.OpenIntents(ctx, target)
}

func (m *fencedJournal) Fenced(f headroom.Fence) headroom.Journal { return m.j.Fenced(f) }
