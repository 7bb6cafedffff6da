package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// intent returns an intent of target at t0+i seconds with every field set.
func intent(target string, i int) headroom.Intent {
	return headroom.Intent{
		Target:  target,
		Time:    t0.Add(time.Duration(i) * time.Second),
		Current: headroom.Capacity{Ready: 20, Launching: 1 + i},
		Desired: 34 + i,
		Reason:  headroom.Reason{Code: headroom.ReasonScaleUp, Message: "utilization 102% above target 60% — «quoted»"},
		Token:   7,
		State:   []byte{'{', 0, 0xff, '}', byte(i)},
	}
}

func mustIntend(t *testing.T, j headroom.Journal, in headroom.Intent) int64 {
	t.Helper()
	id, err := j.Intend(t.Context(), in)
	if err != nil {
		t.Fatalf("Intend(%s, %d): %v", in.Target, in.Desired, err)
	}
	if id <= 0 {
		t.Fatalf("Intend(%s, %d) = id %d, want a positive ID", in.Target, in.Desired, id)
	}
	return id
}

func mustOpen(t *testing.T, j headroom.Journal, target string) []headroom.Intent {
	t.Helper()
	got, err := j.OpenIntents(t.Context(), target)
	if err != nil {
		t.Fatalf("OpenIntents(%q): %v", target, err)
	}
	return got
}

// assertIntents compares intents field by field, times as instants.
func assertIntents(t *testing.T, what string, got, want []headroom.Intent) {
	t.Helper()
	norm := func(in headroom.Intent) headroom.Intent {
		in.Time = in.Time.UTC()
		if len(in.State) == 0 {
			in.State = nil
		}
		return in
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d intents %+v, want %d", what, len(got), got, len(want))
		return
	}
	for i := range got {
		if g, w := norm(got[i]), norm(want[i]); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: intent %d:\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

// settling returns the record that tells intent in's outcome.
func settling(in headroom.Intent, applied bool) headroom.DecisionRecord {
	r := full(in.Target, in.Time, false)
	r.Decision.Desired, r.Applied, r.Intent = in.Desired, applied, in.ID
	return r
}

func testIntentOpenUntilRecorded(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	if got := mustOpen(t, j, "api"); len(got) != 0 {
		t.Fatalf("OpenIntents on an empty journal = %+v, want none", got)
	}
	a, b := intent("api", 0), intent("api", 1)
	b.State = nil // no engine state: kept as none
	a.ID = mustIntend(t, j, a)
	b.ID = mustIntend(t, j, b)
	if b.ID <= a.ID {
		t.Errorf("intent IDs %d then %d: want them to grow", a.ID, b.ID)
	}
	assertIntents(t, "two open", mustOpen(t, j, "api"), []headroom.Intent{a, b})

	// The record of a's outcome closes it, and reads back with its ID.
	ra := settling(a, true)
	mustAppend(t, j, ra)
	assertIntents(t, "after a's record", mustOpen(t, j, "api"), []headroom.Intent{b})
	rb := settling(b, false)
	mustAppend(t, j, rb)
	assertIntents(t, "after b's record", mustOpen(t, j, "api"), nil)
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{ra, rb})

	// A new intent after the others were closed gets a new ID: a late
	// record of an old one cannot close it.
	c := intent("api", 2)
	c.ID = mustIntend(t, j, c)
	if c.ID <= b.ID {
		t.Errorf("intent ID %d after %d was closed: want a new, larger one", c.ID, b.ID)
	}
}

func testIntentTargets(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	want := map[string][]headroom.Intent{}
	for i := range 3 {
		for _, name := range []string{"api", "api-2", "ap%"} {
			in := intent(name, i)
			in.ID = mustIntend(t, j, in)
			want[name] = append(want[name], in)
		}
	}
	for name, w := range want {
		assertIntents(t, name, mustOpen(t, j, name), w)
	}
	if got := mustOpen(t, j, "ap"); len(got) != 0 {
		t.Errorf("OpenIntents(unknown target) = %+v, want none", got)
	}
	// A record of another target does not close api's intent.
	other := settling(want["api"][0], true)
	other.Target = "api-2"
	if err := j.Append(t.Context(), other); headroom.ErrorCode(err) != headroom.ECONFLICT {
		t.Errorf("Append of api-2 settling api's intent: %v, want ECONFLICT", err)
	}
	assertIntents(t, "api after api-2's record", mustOpen(t, j, "api"), want["api"])
}

func testIntentSettledOnce(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	in := intent("api", 0)
	in.ID = mustIntend(t, j, in)
	first := settling(in, true)
	mustAppend(t, j, first)
	// A second record for the same intent (a reconciliation racing the
	// record it replaces) and a record of an intent never made are
	// refused, and write nothing.
	err := j.Append(t.Context(), settling(in, false))
	assertCode(t, err, headroom.ECONFLICT, "Append settling a closed intent")
	never := settling(in, false)
	never.Intent = in.ID + 1000
	err = j.Append(t.Context(), never)
	assertCode(t, err, headroom.ECONFLICT, "Append settling an intent never made")
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{first})
}

// RunFencing runs the contract of fenced writes (Journal.Fenced): a
// journal and the leases its fences are checked against, in the same
// storage. open returns them new and empty for one subtest and registers
// their cleanup with t.Cleanup. Of the options, Skip applies.
func RunFencing(t *testing.T, open func(t *testing.T) (headroom.Journal, headroom.Leases), opts ...Option) {
	t.Helper()
	c := &config{skip: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	type test struct {
		name string
		run  func(t *testing.T, j headroom.Journal, l headroom.Leases)
	}
	tests := []test{
		{"the holder's writes pass", testFenceHolder},
		{"an old leader's writes are refused after a takeover and write nothing", testFenceStale},
		{"a fence checks its own lease only; an empty one checks nothing", testFenceNames},
		{"no write with the old token commits after the takeover returns", testFenceRace},
	}
	for name := range c.skip {
		if !slices.ContainsFunc(tests, func(tt test) bool { return tt.name == name }) {
			t.Errorf("storetest.Skip(%q): no such subtest", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why, ok := c.skip[tt.name]; ok {
				t.Skip(why)
			}
			j, l := open(t)
			tt.run(t, j, l)
		})
	}
}

// take acquires lease name for holder and returns its token.
func take(t *testing.T, l headroom.Leases, name, holder string) int64 {
	t.Helper()
	lease, ok, err := l.Acquire(t.Context(), name, holder, longTTL)
	if err != nil || !ok {
		t.Fatalf("Acquire(%q, %q) = %+v, %v, %v; want it", name, holder, lease, ok, err)
	}
	return lease.Token
}

// handOver releases lease name from holder and gives it to next; it
// returns next's token.
func handOver(t *testing.T, l headroom.Leases, name, holder, next string) int64 {
	t.Helper()
	if err := l.Release(t.Context(), name, holder); err != nil {
		t.Fatalf("Release(%q, %q): %v", name, holder, err)
	}
	return take(t, l, name, next)
}

// assertFenced checks that err refuses a write by the fence.
func assertFenced(t *testing.T, err error, what string) {
	t.Helper()
	assertCode(t, err, headroom.ECONFLICT, what)
	if !errors.Is(err, headroom.ErrFenced) {
		t.Errorf("%s: error %v does not wrap headroom.ErrFenced", what, err)
	}
}

func testFenceHolder(t *testing.T, j headroom.Journal, l headroom.Leases) {
	token := take(t, l, "controller", "a")
	f := j.Fenced(headroom.Fence{Lease: "controller", Token: token})
	in := intent("api", 0)
	var err error
	if in.ID, err = f.Intend(t.Context(), in); err != nil {
		t.Fatalf("fenced Intend by the holder: %v", err)
	}
	r := settling(in, true)
	if err := f.Append(t.Context(), r); err != nil {
		t.Fatalf("fenced Append by the holder: %v", err)
	}
	plain := full("api", t0.Add(time.Second), true)
	if err := f.Append(t.Context(), plain); err != nil {
		t.Fatalf("fenced Append by the holder: %v", err)
	}
	if err := f.SaveState(t.Context(), "api", "live", []byte("s1")); err != nil {
		t.Fatalf("fenced SaveState by the holder: %v", err)
	}
	// Reads through the view are the journal's.
	assertRecords(t, mustRecords(t, f, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{r, plain})
	assertState(t, f, "api", "live", []byte("s1"))
	assertIntents(t, "through the view", mustOpen(t, f, "api"), nil)
	// A renewal keeps the token: the holder still writes.
	take(t, l, "controller", "a")
	if err := f.SaveState(t.Context(), "api", "live", []byte("s2")); err != nil {
		t.Fatalf("fenced SaveState after a renewal: %v", err)
	}
	assertState(t, j, "api", "live", []byte("s2"))
}

func testFenceStale(t *testing.T, j headroom.Journal, l headroom.Leases) {
	ctx := t.Context()
	old := take(t, l, "controller", "a")
	stale := j.Fenced(headroom.Fence{Lease: "controller", Token: old})
	mustSave(t, stale, "api", "live", []byte("a's"))
	open := intent("api", 0)
	open.ID = mustIntend(t, stale, open) // a's intent, in flight at the takeover
	before := full("api", t0, false)
	mustAppend(t, stale, before)

	token := handOver(t, l, "controller", "a", "b")
	if token <= old {
		t.Fatalf("token after the takeover %d, want above %d", token, old)
	}
	assertFenced(t, stale.Append(ctx, full("api", t0.Add(time.Second), false)), "old leader's Append")
	assertFenced(t, stale.Append(ctx, settling(open, true)), "old leader's Append settling its intent")
	assertFenced(t, stale.SaveState(ctx, "api", "live", []byte("late")), "old leader's SaveState")
	assertFenced(t, stale.SaveState(ctx, "api", "detect", []byte("late")), "old leader's SaveState of a new slot")
	_, err := stale.Intend(ctx, intent("api", 1))
	assertFenced(t, err, "old leader's Intend")

	// Nothing of it was written: the new leader finds a's intent open.
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{before})
	assertState(t, j, "api", "live", []byte("a's"))
	if st, ok, err := j.State(ctx, "api", "detect"); err != nil || ok {
		t.Errorf("State(api, detect) = %q, %v, %v; want none", st, ok, err)
	}
	assertIntents(t, "after the refused writes", mustOpen(t, j, "api"), []headroom.Intent{open})

	// The new leader writes, and settles a's intent.
	cur := j.Fenced(headroom.Fence{Lease: "controller", Token: token})
	mustSave(t, cur, "api", "live", []byte("b's"))
	settled := settling(open, true)
	mustAppend(t, cur, settled)
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{before, settled})
	assertState(t, j, "api", "live", []byte("b's"))
	assertIntents(t, "after b settled it", mustOpen(t, j, "api"), nil)
	// A fence below any token ever issued (a process that never held the
	// lease) is refused too.
	assertFenced(t, j.Fenced(headroom.Fence{Lease: "controller"}).SaveState(ctx, "api", "live", nil), "SaveState with token 0")
}

func testFenceNames(t *testing.T, j headroom.Journal, l headroom.Leases) {
	take(t, l, "controller", "a")
	handOver(t, l, "controller", "a", "b") // token 2
	for _, f := range []headroom.Fence{
		{Lease: "statuspage", Token: 1}, // never taken
		{Lease: "Controller", Token: 1}, // another name, by case
		{},                              // no fence
	} {
		v := j.Fenced(f)
		if err := v.Append(t.Context(), full("api", t0, false)); err != nil {
			t.Errorf("Append fenced by %+v: %v", f, err)
		}
		if err := v.SaveState(t.Context(), "api", "live", []byte("x")); err != nil {
			t.Errorf("SaveState fenced by %+v: %v", f, err)
		}
		if _, err := v.Intend(t.Context(), intent("api", 0)); err != nil {
			t.Errorf("Intend fenced by %+v: %v", f, err)
		}
	}
}

// testFenceRace has the old leader write as fast as it can while another
// holder takes the lease over: once the takeover has returned, every
// write the old leader made must be visible (it committed before), and
// none may land after.
func testFenceRace(t *testing.T, j headroom.Journal, l headroom.Leases) {
	ctx := t.Context()
	old := take(t, l, "controller", "a")
	stale := j.Fenced(headroom.Fence{Lease: "controller", Token: old})
	var stop atomic.Bool
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				r := full("api", t0.Add(time.Duration(i)*time.Millisecond), false)
				r.Mode = fmt.Sprintf("w%d", w)
				switch err := stale.Append(ctx, r); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, headroom.ErrFenced):
					refused.Add(1)
				default:
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	for ok.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	handOver(t, l, "controller", "a", "b")
	seen := len(mustRecords(t, j, "api", time.Time{}, time.Time{}, 0))
	for refused.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("old leader's Append: %v", err)
	}
	if after := len(mustRecords(t, j, "api", time.Time{}, time.Time{}, 0)); after != seen || int64(after) != ok.Load() {
		t.Errorf("records: %d read when the takeover returned, %d in the end, %d acknowledged: want all equal (no old write after the takeover)",
			seen, after, ok.Load())
	}
}
