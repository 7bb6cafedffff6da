package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// Option changes how RunJournal, RunLeases or RunIncidents runs.
type Option func(*config)

type config struct {
	// reopen is the func Reopen was given: a func(*testing.T, S) S for
	// the store type S of the suite it is passed to.
	reopen any
	skip   map[string]string
}

// Reopen gives the suite a way to close store s and open the same storage
// again (the same file, the same database), so that it can check that
// what was written survives a restart. reopen must close s itself and
// register the new store's cleanup with t.Cleanup. Without it, the
// survival test is skipped: right for an in-memory store.
//
// S is the suite's store type: headroom.Journal for RunJournal,
// incident.Store for RunIncidents (RunLeases has no survival test). A
// Reopen of another type fails the suite.
func Reopen[S any](reopen func(t *testing.T, s S) S) Option {
	return func(c *config) { c.reopen = reopen }
}

// reopener returns the Reopen func of c for store type S, nil when there
// is none. It fails t when the func is for another type.
func reopener[S any](t *testing.T, c *config) func(t *testing.T, s S) S {
	t.Helper()
	if c.reopen == nil {
		return nil
	}
	f, ok := c.reopen.(func(t *testing.T, s S) S)
	if !ok {
		t.Fatalf("storetest.Reopen: got a %T, want a func(*testing.T, %v) %[2]v", c.reopen, reflect.TypeFor[S]())
	}
	return f
}

// Skip skips the named subtest (the name as passed to t.Run, e.g.
// "records come back in time order whatever the append order") with why:
// for a known defect of an implementation, so the rest of the contract
// still runs. Skips are reported, not hidden.
func Skip(subtest, why string) Option {
	return func(c *config) { c.skip[subtest] = why }
}

// RunJournal runs the Journal contract. open returns a new, empty journal
// for one subtest and registers its cleanup with t.Cleanup.
func RunJournal(t *testing.T, open func(t *testing.T) headroom.Journal, opts ...Option) {
	t.Helper()
	c := &config{skip: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	type test struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) headroom.Journal, c *config)
	}
	tests := []test{
		{"a fully populated record reads back exactly", testRoundTrip},
		{"records do not alias the caller's Proposed", testNoAlias},
		{"records come back in time order whatever the append order", testOrder},
		{"records with the same time come back in append order", testTies},
		{"from is inclusive, to exclusive, zero bounds are open", testRange},
		{"limit keeps the oldest records in range", testLimit},
		{"targets are kept apart", testTargets},
		{"missing state is not ok", testStateMissing},
		{"state is saved, overwritten and read back byte for byte", testState},
		{"concurrent appends are all kept", testConcurrent},
		{"records and states survive close and reopen", testReopen},
		{"an intent is open until the record that settles it", testIntentOpenUntilRecorded},
		{"intents are kept apart by target, oldest first", testIntentTargets},
		{"an intent is settled once; a record of an unknown intent is refused", testIntentSettledOnce},
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
			tt.run(t, open, c)
		})
	}
}

// t0 is the time the suite's records start at: not a whole second, so that
// a store truncating to seconds or microseconds fails.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// full returns a record with every field set; proposed selects whether it
// has a shadow decision.
func full(target string, at time.Time, proposed bool) headroom.DecisionRecord {
	r := headroom.DecisionRecord{
		Target: target,
		Time:   at,
		Mode:   "enforce",
		Observation: headroom.Observation{
			Time:           at.Add(-15 * time.Second),
			Utilization:    87.25,
			HasUtilization: true,
			Demand:         1234.5,
			HasDemand:      true,
			ErrorRatio:     0.0125,
			Latency:        187*time.Millisecond + 3,
			HasHealth:      true,
		},
		Current: headroom.Capacity{Ready: 4, Launching: 2},
		Decision: headroom.Decision{
			Time:    at.Add(-time.Nanosecond),
			Current: 6,
			Desired: 9,
			Min:     2,
			Max:     40,
			Reason:  headroom.Reason{Code: headroom.ReasonScaleUp, Message: "utilization 87% above target 60% — «quoted», 'single'"},
		},
		Applied: true,
		Error:   "actuator: scale: 409 conflict\nretry later",
	}
	if proposed {
		r.Proposed = &headroom.Decision{
			Time:    at.Add(time.Nanosecond),
			Current: 6,
			Desired: 7,
			Min:     3,
			Max:     30,
			Reason:  headroom.Reason{Code: headroom.ReasonScaleUpLimit, Message: "capped by the scale-up rate"},
		}
	}
	return r
}

func testRoundTrip(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	withProposed := full("api", t0, true)
	withoutProposed := full("api", t0.Add(time.Minute), false)
	withoutProposed.Applied = false
	// The zero values a record legitimately has: no observation (metrics
	// down), no reason message, no error.
	empty := headroom.DecisionRecord{
		Target:   "api",
		Time:     t0.Add(2 * time.Minute),
		Mode:     "shadow",
		Decision: headroom.Decision{Reason: headroom.Reason{Code: headroom.ReasonMetricUnavailable}},
	}
	// A time in another zone is the same instant.
	zoned := full("api", t0.Add(3*time.Minute).In(time.FixedZone("CEST", 2*3600)), true)
	want := []headroom.DecisionRecord{withProposed, withoutProposed, empty, zoned}
	for _, r := range want {
		mustAppend(t, j, r)
	}
	got := mustRecords(t, j, "api", time.Time{}, time.Time{}, 0)
	assertRecords(t, got, want)
}

func testNoAlias(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	r := full("api", t0, true)
	mustAppend(t, j, r)
	want := full("api", t0, true)
	// The caller reuses its Decision after Append...
	r.Proposed.Desired = 99
	r.Proposed.Reason.Message = "changed after Append"
	got := mustRecords(t, j, "api", time.Time{}, time.Time{}, 0)
	assertRecords(t, got, []headroom.DecisionRecord{want})
	// ...and a reader changes what it got.
	if len(got) == 1 {
		got[0].Proposed.Desired = 98
	}
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), []headroom.DecisionRecord{want})
}

func testOrder(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	var want []headroom.DecisionRecord
	for i := range 5 {
		want = append(want, full("api", t0.Add(time.Duration(i)*time.Second), i%2 == 0))
	}
	for _, i := range []int{3, 0, 4, 1, 2} {
		mustAppend(t, j, want[i])
	}
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), want)
}

func testTies(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	var want []headroom.DecisionRecord
	for i := range 4 {
		r := full("api", t0, false)
		r.Decision.Desired = i
		want = append(want, r)
		mustAppend(t, j, r)
	}
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), want)
}

// tenMinutes appends records at t0, t0+1m, ..., t0+9m and returns them.
func tenMinutes(t *testing.T, j headroom.Journal) []headroom.DecisionRecord {
	t.Helper()
	var all []headroom.DecisionRecord
	for i := range 10 {
		r := full("api", t0.Add(time.Duration(i)*time.Minute), i%3 == 0)
		r.Decision.Desired = i
		all = append(all, r)
		mustAppend(t, j, r)
	}
	return all
}

func testRange(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	all := tenMinutes(t, j)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	tests := []struct {
		name     string
		from, to time.Time
		want     []headroom.DecisionRecord
	}{
		{"both open", time.Time{}, time.Time{}, all},
		{"from exactly on a record includes it", at(2), time.Time{}, all[2:]},
		{"to exactly on a record excludes it", time.Time{}, at(5), all[:5]},
		{"closed range", at(2), at(5), all[2:5]},
		{"bounds between records", at(2).Add(time.Nanosecond), at(5).Add(-time.Nanosecond), all[3:5]},
		{"one nanosecond window", at(4), at(4).Add(time.Nanosecond), all[4:5]},
		{"empty range", at(4), at(4), nil},
		{"before every record", time.Time{}, at(0), nil},
		{"after every record", at(9).Add(time.Nanosecond), time.Time{}, nil},
		{"bounds in another zone", at(2).In(time.FixedZone("PST", -8*3600)), at(5).In(time.FixedZone("JST", 9*3600)), all[2:5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertRecords(t, mustRecords(t, j, "api", tt.from, tt.to, 0), tt.want)
		})
	}
}

func testLimit(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	all := tenMinutes(t, j)
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []headroom.DecisionRecord
	}{
		{"zero is no limit", time.Time{}, time.Time{}, 0, all},
		{"one", time.Time{}, time.Time{}, 1, all[:1]},
		{"oldest three", time.Time{}, time.Time{}, 3, all[:3]},
		{"exactly all", time.Time{}, time.Time{}, 10, all},
		{"more than all", time.Time{}, time.Time{}, 100, all},
		{"applied after the range", t0.Add(4 * time.Minute), t0.Add(8 * time.Minute), 2, all[4:6]},
		{"larger than the range", t0.Add(4 * time.Minute), t0.Add(8 * time.Minute), 9, all[4:8]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertRecords(t, mustRecords(t, j, "api", tt.from, tt.to, tt.limit), tt.want)
		})
	}
}

func testTargets(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	// Names that a prefix match, a LIKE pattern or a case-insensitive
	// comparison would confuse.
	targets := []string{"api", "api-2", "API", "ap%", "ap_", "web/worker", "ünïcode"}
	want := map[string][]headroom.DecisionRecord{}
	for i := range 3 {
		for k, name := range targets {
			r := full(name, t0.Add(time.Duration(i)*time.Minute), (i+k)%2 == 0)
			r.Decision.Desired = 10*k + i
			want[name] = append(want[name], r)
			mustAppend(t, j, r)
		}
	}
	for _, name := range targets {
		assertRecords(t, mustRecords(t, j, name, time.Time{}, time.Time{}, 0), want[name])
	}
	if got := mustRecords(t, j, "ap", time.Time{}, time.Time{}, 0); len(got) != 0 {
		t.Errorf("Records(unknown target) = %d records, want 0", len(got))
	}
	if got := mustRecords(t, j, "", time.Time{}, time.Time{}, 0); len(got) != 0 {
		t.Errorf("Records(\"\") = %d records, want 0", len(got))
	}
}

func testStateMissing(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	ctx := t.Context()
	j := open(t)
	st, ok, err := j.State(ctx, "api", "live")
	if err != nil || ok || st != nil {
		t.Fatalf("State on an empty journal = %q, %v, %v; want nil, false, nil", st, ok, err)
	}
	mustSave(t, j, "api", "live", []byte("x"))
	for _, k := range [][2]string{{"api", "proposed"}, {"web", "live"}, {"ap", "ilive"}} {
		if st, ok, err := j.State(ctx, k[0], k[1]); err != nil || ok {
			t.Errorf("State(%q, %q) = %q, %v, %v; want not ok", k[0], k[1], st, ok, err)
		}
	}
}

func testState(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	j := open(t)
	binary := []byte{0, 1, 2, 0xff, 0xfe, 0, '\n', 0x80}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	mustSave(t, j, "api", "live", []byte(`{"v":1}`))
	mustSave(t, j, "api", "proposed", binary)
	mustSave(t, j, "web", "live", big)
	assertState(t, j, "api", "live", []byte(`{"v":1}`))
	assertState(t, j, "api", "proposed", binary)
	assertState(t, j, "web", "live", big)

	// Overwrite; the other slots are untouched.
	buf := []byte(`{"v":2}`)
	mustSave(t, j, "api", "live", buf)
	buf[5] = '9' // the journal must not keep the caller's slice
	assertState(t, j, "api", "live", []byte(`{"v":2}`))
	assertState(t, j, "api", "proposed", binary)

	// An empty state is a state.
	mustSave(t, j, "api", "proposed", []byte{})
	assertState(t, j, "api", "proposed", []byte{})
}

func testConcurrent(t *testing.T, open func(t *testing.T) headroom.Journal, _ *config) {
	ctx := t.Context()
	j := open(t)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := full("api", t0.Add(time.Duration(i)*time.Second), w%2 == 0)
				r.Mode = fmt.Sprintf("w%d", w)
				r.Decision.Desired = i
				if err := j.Append(ctx, r); err != nil {
					errs <- fmt.Errorf("writer %d, append %d: %w", w, i, err)
				}
			}
		})
	}
	// Readers at the same time must not disturb the writers.
	wg.Go(func() {
		for range 20 {
			if _, err := j.Records(ctx, "api", time.Time{}, time.Time{}, 0); err != nil {
				errs <- fmt.Errorf("concurrent Records: %w", err)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := mustRecords(t, j, "api", time.Time{}, time.Time{}, 0)
	if len(got) != writers*each {
		t.Fatalf("got %d records, want %d", len(got), writers*each)
	}
	seen := map[string]bool{}
	for _, r := range got {
		key := fmt.Sprintf("%s/%d", r.Mode, r.Decision.Desired)
		if seen[key] {
			t.Errorf("record %s read twice", key)
		}
		seen[key] = true
	}
}

func testReopen(t *testing.T, open func(t *testing.T) headroom.Journal, c *config) {
	reopen := reopener[headroom.Journal](t, c)
	if reopen == nil {
		t.Skip("no storetest.Reopen: the journal is not persistent")
	}
	j := open(t)
	want := []headroom.DecisionRecord{full("api", t0, true), full("api", t0.Add(time.Second), false)}
	for _, r := range want {
		mustAppend(t, j, r)
	}
	mustSave(t, j, "api", "live", []byte("state 1"))
	in := intent("api", 0)
	in.ID = mustIntend(t, j, in)
	j = reopen(t, j)
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), want)
	assertState(t, j, "api", "live", []byte("state 1"))
	// An open intent is what a restarted leader reconciles.
	assertIntents(t, "after reopen", mustOpen(t, j, "api"), []headroom.Intent{in})
	later := intent("api", 1)
	if later.ID = mustIntend(t, j, later); later.ID <= in.ID {
		t.Errorf("intent ID %d after reopen, want above %d", later.ID, in.ID)
	}

	// The reopened journal takes new writes after the old ones.
	more := full("api", t0.Add(2*time.Second), true)
	mustAppend(t, j, more)
	mustSave(t, j, "api", "live", []byte("state 2"))
	j = reopen(t, j)
	assertRecords(t, mustRecords(t, j, "api", time.Time{}, time.Time{}, 0), append(want, more))
	assertState(t, j, "api", "live", []byte("state 2"))
}

func mustAppend(t *testing.T, j headroom.Journal, r headroom.DecisionRecord) {
	t.Helper()
	if err := j.Append(t.Context(), r); err != nil {
		t.Fatalf("Append(%s at %v): %v", r.Target, r.Time, err)
	}
}

func mustRecords(t *testing.T, j headroom.Journal, target string, from, to time.Time, limit int) []headroom.DecisionRecord {
	t.Helper()
	got, err := j.Records(t.Context(), target, from, to, limit)
	if err != nil {
		t.Fatalf("Records(%q, %v, %v, %d): %v", target, from, to, limit, err)
	}
	return got
}

func mustSave(t *testing.T, j headroom.Journal, target, slot string, state []byte) {
	t.Helper()
	if err := j.SaveState(t.Context(), target, slot, state); err != nil {
		t.Fatalf("SaveState(%q, %q): %v", target, slot, err)
	}
}

func assertState(t *testing.T, j headroom.Journal, target, slot string, want []byte) {
	t.Helper()
	got, ok, err := j.State(t.Context(), target, slot)
	if err != nil || !ok {
		t.Fatalf("State(%q, %q) = ok %v, err %v; want a state", target, slot, ok, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("State(%q, %q) = %d bytes %.40q, want %d bytes %.40q", target, slot, len(got), got, len(want), want)
	}
}

// assertRecords compares records field by field. Times compare as
// instants: a store may return them in another location (store/sqlite
// returns UTC and checks that itself).
func assertRecords(t *testing.T, got, want []headroom.DecisionRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := normalize(got[i]), normalize(want[i])
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d:\n got %s\nwant %s", i, show(g), show(w))
		}
	}
}

func normalize(r headroom.DecisionRecord) headroom.DecisionRecord {
	r.Time = r.Time.UTC()
	r.Observation.Time = r.Observation.Time.UTC()
	r.Decision.Time = r.Decision.Time.UTC()
	if r.Proposed != nil {
		p := *r.Proposed
		p.Time = p.Time.UTC()
		r.Proposed = &p
	}
	return r
}

func show(r headroom.DecisionRecord) string {
	s := fmt.Sprintf("%+v", r)
	if r.Proposed != nil {
		s += fmt.Sprintf(" Proposed=%+v", *r.Proposed)
	}
	return s
}
