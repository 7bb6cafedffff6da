package controller_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/memory"
)

// plainPolicy is the process tests' policy: cpu at 60%, 2 to 50 instances.
func plainPolicy(t *testing.T) *headroom.Policy {
	t.Helper()
	p, err := policy.ParsePolicy("policy.yaml", []byte(`apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: web}
spec:
  minInstances: 2
  maxInstances: 50
  targetTracking:
    metric: cpu
    target: 60
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loaded reports the cpu a demand makes on the fleet's instances (100
// req/s each at 100%), so a fleet scaled to what the policy wants is
// steady.
type loaded struct {
	fleet  *counting
	demand float64
	// before, when set, runs once, at the first Observe: between a loop's
	// capacity read and its decision.
	before func()
	once   *sync.Once
}

func (l loaded) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	if l.before != nil {
		l.once.Do(l.before)
	}
	l.fleet.mu.Lock()
	n := l.fleet.count
	l.fleet.mu.Unlock()
	cpu := math.Min(100, l.demand/float64(max(n, 1)))
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: l.demand, HasDemand: true,
		Utilization: cpu, HasUtilization: true}, nil
}

// dying is a journal in a process that dies when die is set: from then on
// nothing it writes lands, as after a kill -9.
type dying struct {
	headroom.Journal
	dead *atomic.Bool
}

var errDead = errors.New("the process is dead")

func (d dying) Append(ctx context.Context, r headroom.DecisionRecord) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Journal.Append(ctx, r)
}

func (d dying) SaveState(ctx context.Context, target, slot string, state []byte) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Journal.SaveState(ctx, target, slot, state)
}

func (d dying) Intend(ctx context.Context, in headroom.Intent) (int64, error) {
	if d.dead.Load() {
		return 0, errDead
	}
	return d.Journal.Intend(ctx, in)
}

func (d dying) Fenced(f headroom.Fence) headroom.Journal {
	return dying{Journal: d.Journal.Fenced(f), dead: d.dead}
}

// killedScale is an actuation during which the process dies: after the
// platform took the count (taken), or before it did.
type killedScale struct {
	*counting
	dead  *atomic.Bool
	taken bool
}

func (k killedScale) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	if !k.dead.Load() {
		k.dead.Store(true)
		if k.taken {
			k.scale(desired, "dead")
			return nil
		}
		// The call never reached the platform; the process is gone
		// before it could say so.
		k.mu.Lock()
		k.scales = append(k.scales, desired)
		k.by = append(k.by, "dead")
		k.mu.Unlock()
		return errDead
	}
	k.scale(desired, "")
	return nil
}

// appliedRecords returns the desired counts of target's applied records.
func appliedRecords(t *testing.T, j headroom.Journal, target string) (applied []int, recs []headroom.DecisionRecord) {
	t.Helper()
	recs, err := j.Records(t.Context(), target, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Applied {
			applied = append(applied, r.Decision.Desired)
		}
	}
	return applied, recs
}

// Regression test for issue 11, item 5: under load, two replicas on one
// PostgreSQL saw platform calls [30 34 50] and applied records [30 50] — a
// kill between the actuation and its record lost the record. The intent is
// written before acting; the restarted controller finds it open, compares
// it with the platform's count and records the outcome, so every platform
// call has its record, and an action made is not made again.
func TestDeathBetweenActuationAndRecord(t *testing.T) {
	p := plainPolicy(t)
	at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		taken bool
		// wantCalls are the platform calls, wantApplied the applied
		// records' counts, after the restarted controller's loops.
		wantCalls, wantApplied []int
		wantNote               string
	}{
		{"the platform took the count: recorded applied, not made again", true, []int{34}, []int{34}, "as intended, so the actuation was made"},
		{"the platform did not take it: recorded not applied, then made by the new process", false, []int{34, 34}, []int{34}, "not the intended 34: not applied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &memory.Journal{}
			fleet := &counting{count: 20}
			src := loaded{fleet: fleet, demand: 2040} // 102% of 20: 34 are needed
			dead := &atomic.Bool{}
			first := controller.New(dying{Journal: store, dead: dead}, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p,
				Source: src, Actuator: killedScale{counting: fleet, dead: dead, taken: tt.taken}})
			first.Step(t.Context(), at)
			if !dead.Load() {
				t.Fatal("the first process never acted")
			}
			if applied, recs := appliedRecords(t, store, "web"); len(recs) != 0 {
				t.Fatalf("records of the dead process: %+v (applied %v), want none", recs, applied)
			}

			// The restarted process: the same store, a new controller.
			second := controller.New(store, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p, Source: src, Actuator: fleet})
			for i := range 3 {
				r := second.Step(t.Context(), at.Add(time.Duration(i+1)*15*time.Second))[0]
				if i > 0 && r.Error != "" {
					t.Errorf("loop %d: %s", i, r.Error)
				}
			}
			applied, recs := appliedRecords(t, store, "web")
			if !equal(fleet.scales, tt.wantCalls) || !equal(applied, tt.wantApplied) {
				t.Errorf("platform calls %v, applied records %v; want %v and %v", fleet.scales, applied, tt.wantCalls, tt.wantApplied)
			}
			// Every call has its record: the reconciled one carries the
			// intent and says what was found.
			var intents int
			for _, r := range recs {
				if r.Intent != 0 {
					intents++
				}
			}
			if intents != len(fleet.scales) {
				t.Errorf("%d records of intents for %d platform calls: %+v", intents, len(fleet.scales), recs)
			}
			if len(recs) == 0 || recs[0].Intent == 0 || !strings.Contains(recs[0].Error, "reconciled after restart/takeover") || !strings.Contains(recs[0].Error, tt.wantNote) {
				t.Errorf("first record %+v: want the reconciled intent, %q", recs, tt.wantNote)
			}
			if open, err := store.OpenIntents(t.Context(), "web"); err != nil || len(open) != 0 {
				t.Errorf("open intents after the restart: %+v, %v; want none", open, err)
			}
			if fleet.count != 34 {
				t.Errorf("fleet at %d, want 34", fleet.count)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Regression test for issue 11, item 5: Leader.Token was issued and never
// checked. Process a takes the lease, then stalls past it (its own clock
// says it still holds it); b takes the lease over. a's writes carry its
// token and the store refuses them: its intent, so it does not act, and
// its record; they are counted and say why.
func TestOldLeaderIsFenced(t *testing.T) {
	p := plainPolicy(t)
	start := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	storeClock := &virtualClock{now: start}
	db := openLeases(t, storeClock)
	fleet := &counting{count: 20}
	takeover := func() {
		storeClock.Set(start.Add(2 * time.Minute)) // a's lease is over in the store's clock
		if l, ok, err := db.Acquire(context.Background(), controller.DefaultLeaseName, "b", time.Minute); !ok || err != nil || l.Token != 2 {
			t.Errorf("b's takeover: %+v, %v, %v; want the lease with token 2", l, ok, err)
		}
	}
	a := controller.New(db, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p,
		Source: loaded{fleet: fleet, demand: 2040, before: takeover, once: &sync.Once{}}, Actuator: fleet})
	a.Now = func() time.Time { return start }
	a.Metrics = controller.NewMetrics(prometheus.NewRegistry())
	a.Leader = controller.NewLeader(db, "a", time.Minute)
	a.Leader.Now = (&virtualClock{now: start}).Now // a's clock stands still: it believes it leads

	recs, err := a.Once(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet.scales) != 0 {
		t.Errorf("the old leader scaled %v after b took the lease over", fleet.scales)
	}
	if len(recs) != 1 || !strings.Contains(recs[0].Error, "not scaled") || !strings.Contains(recs[0].Error, headroom.ErrFenced.Error()) {
		t.Errorf("a's record %+v: want the intent refused by the fence, not scaled", recs)
	}
	if got, err := db.Records(t.Context(), "web", time.Time{}, time.Time{}, 0); err != nil || len(got) != 0 {
		t.Errorf("records in the store: %+v, %v; want none of the old leader's", got, err)
	}
	if open, err := db.OpenIntents(t.Context(), "web"); err != nil || len(open) != 0 {
		t.Errorf("open intents: %+v, %v; want none", open, err)
	}
	if got := testutil.ToFloat64(a.Metrics.Errors.WithLabelValues("web", "fenced")); got != 2 {
		t.Errorf("headroom_errors_total{kind=fenced} = %v, want 2 (the intent and the record)", got)
	}
}

// The lease changes hands while the leader's actuation is in flight: the
// platform takes the count (nothing can stop that), the old leader's
// record is refused, and the new leader's first loop finds the intent open
// and records it applied: the call has its record, and is not made again.
func TestTakeoverDuringActuation(t *testing.T) {
	p := plainPolicy(t)
	start := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	storeClock := &virtualClock{now: start}
	db := openLeases(t, storeClock)
	fleet := &counting{count: 20}
	src := loaded{fleet: fleet, demand: 2040}
	takeover := func() {
		storeClock.Set(start.Add(2 * time.Minute))
		if _, ok, err := db.Acquire(context.Background(), controller.DefaultLeaseName, "b", time.Minute); !ok || err != nil {
			t.Errorf("b's takeover: %v, %v", ok, err)
		}
	}
	a := controller.New(db, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p, Source: src,
		Actuator: takenOver{counting: fleet, do: takeover}})
	a.Now = func() time.Time { return start }
	a.Leader = controller.NewLeader(db, "a", time.Minute)
	a.Leader.Now = (&virtualClock{now: start}).Now
	recs, err := a.Once(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !recs[0].Applied || fleet.count != 34 {
		t.Fatalf("a's loop %+v, fleet at %d: want 34 applied", recs, fleet.count)
	}
	if got, err := db.Records(t.Context(), "web", time.Time{}, time.Time{}, 0); err != nil || len(got) != 0 {
		t.Fatalf("records after a's loop: %+v, %v; want a's refused by the fence", got, err)
	}

	b := controller.New(db, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p, Source: src, Actuator: fleet})
	b.Now = func() time.Time { return start.Add(2 * time.Minute) }
	b.Leader = controller.NewLeader(db, "b", time.Minute)
	if _, err := b.Once(t.Context()); err != nil {
		t.Fatal(err)
	}
	applied, all := appliedRecords(t, db, "web")
	if !equal(fleet.scales, []int{34}) || !equal(applied, []int{34}) {
		t.Errorf("platform calls %v, applied records %v; want [34] and [34]\n%+v", fleet.scales, applied, all)
	}
	if len(all) != 2 || all[0].Intent == 0 || !strings.Contains(all[0].Error, "reconciled after restart/takeover") {
		t.Errorf("records %+v: want a's intent reconciled by b, then b's steady loop", all)
	}
}

// takenOver is an actuation during which the leader's lease runs out in
// the store's clock and another process takes it over (do), after which
// the platform takes the count.
type takenOver struct {
	*counting
	do func()
}

func (a takenOver) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	a.do()
	a.scale(desired, "a")
	return nil
}
