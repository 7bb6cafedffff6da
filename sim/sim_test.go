package sim

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/queueing"
)

var t0 = time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)

func service(capacity float64, base time.Duration) *headroom.Service {
	return &headroom.Service{Name: "s", CapacityPerInstance: capacity, BaseLatency: base, StartupDelay: 3 * time.Minute,
		RequestTimeout: 10 * time.Second, SLO: headroom.SLO{MaxErrorRatio: 0.001, MaxLatency: 250 * time.Millisecond, Window: time.Minute}}
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want)) }

func TestModelStable(t *testing.T) {
	tests := []struct {
		name        string
		capacity    float64
		base        time.Duration
		demand      float64
		ready       int
		wantLatency float64 // seconds
		tol         float64
	}{
		// One worker per instance (10 req/s × 100 ms): an M/M/1 queue with
		// μ = 10, λ = 5, so Wq = ρ/(μ−λ) = 0.5/5 = 0.1 s.
		{"M/M/1 at half load: W = S + ρ/(μ−λ)", 10, 100 * time.Millisecond, 5, 1, 0.2, 1e-6},
		// M/M/1 at 90%: Wq = 0.9/(10−9) = 0.9 s, less the waits past the
		// 10 s timeout, which fail and are not served (0.0005 s).
		{"M/M/1 at 90%", 10, 100 * time.Millisecond, 9, 1, 1.0, 1e-3},
		// Two instances of one worker: M/M/2 with a = 1, C = 1/3 (ρ = 0.5,
		// C = 2ρ²/(1+ρ)), Wq = C/(2μ−λ) = (1/3)/10.
		{"M/M/2 with a = 1: C = 1/3", 10, 100 * time.Millisecond, 10, 2, 0.1 + 1.0/30, 1e-6},
		// An idle pool answers at the base latency.
		{"no demand", 100, 80 * time.Millisecond, 0, 3, 0.08, 1e-6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModel(service(tc.capacity, tc.base))
			o := m.Serve(tc.demand, tc.ready)
			if !near(o.Latency.Seconds(), tc.wantLatency, tc.tol) {
				t.Errorf("latency: got %.6fs, want %.6fs", o.Latency.Seconds(), tc.wantLatency)
			}
			if want := tc.demand / (tc.capacity * float64(tc.ready)); !near(o.Utilization, want, 1e-12) {
				t.Errorf("utilization: got %v, want %v", o.Utilization, want)
			}
		})
	}
}

// Regression test for the timeout tail counted as in a queue without one:
// C·e^(−(cμ−λ)T) is the share of an M/M/c queue's requests that wait past
// T, but those fail at T and leave, and the queue behind them is shorter.
func TestModelTimeoutTail(t *testing.T) {
	// M/M/1, μ = 10, λ = 9.9, timeout 10 s, base 0.1, so T = 9.9: the
	// offered wait's density is ∝ e^(−(μ−λ)x) up to T and e^(λT−μx)
	// beyond, J = (1−e^(−0.99))/0.1 + e^(−0.99)/10, the server is busy
	// with probability λJ/(1+λJ) and a request times out with
	// probability busy·(e^(−0.99)/10)/J: 0.58%, not the 36.8% of
	// 0.99·e^(−0.99).
	svc := service(10, 100*time.Millisecond)
	o := NewModel(svc).Serve(9.9, 1)
	j := (1-math.Exp(-0.99))/0.1 + math.Exp(-0.99)/10
	busy := 9.9 * j / (1 + 9.9*j)
	want := busy * math.Exp(-0.99) / 10 / j
	if !near(o.ErrorRatio, want, 1e-9) {
		t.Errorf("error ratio: got %v, want %v", o.ErrorRatio, want)
	}
}

// Regression test for a short overload charged the whole timeout: the
// backlog of a second at 120% is a fifth of a second's throughput, and its
// requests wait up to that, not the 10 s timeout.
func TestModelOverloadBuildsUp(t *testing.T) {
	m := NewModel(service(100, 80*time.Millisecond))
	o := m.Serve(240, 2)
	if got, want := o.Latency.Seconds(), 0.08+0.1; !near(got, want, 1e-9) {
		t.Errorf("first second at 120%%: latency %.4fs, want %.4fs (half of the 0.2 s backlog)", got, want)
	}
	if got, want := o.Latencies.Quantile(0.99).Seconds(), 0.08+0.99*0.2; !near(got, want, 1e-9) {
		t.Errorf("first second at 120%%: p99 %.4fs, want %.4fs", got, want)
	}
	for range 9 {
		o = m.Serve(240, 2)
	}
	if got, want := o.Latency.Seconds(), 0.08+1.9; !near(got, want, 1e-9) {
		t.Errorf("tenth second: latency %.4fs, want %.4fs (the backlog grew 1.8 → 2 s)", got, want)
	}
	if o.Failed != 0 {
		t.Errorf("tenth second: %v failed, want none before the backlog reaches the timeout", o.Failed)
	}
}

func TestMixtureQuantile(t *testing.T) {
	// A fluid second with waits spread over [0, 1] s and a second with
	// none, equally weighted: the p75 is where half of the first is
	// slower, 0.5 s; the mean of their p75s would be 0.375 s.
	slow := Latencies{fluid: true, from: 0, to: 1}
	fast := Latencies{fluid: true}
	var x Mixture
	x.Add(slow, 100)
	x.Add(fast, 100)
	if got := x.Quantile(0.75); !near(got.Seconds(), 0.5, 1e-9) {
		t.Errorf("p75 of the mixture: got %v, want 500ms", got)
	}
	// One stable second alone: its closed form.
	m := NewModel(service(10, 100*time.Millisecond))
	o := m.Serve(9, 1)
	x.Reset()
	x.Add(o.Latencies, 9)
	if got, want := x.Quantile(0.99), o.Latencies.Quantile(0.99); got != want {
		t.Errorf("one second: got %v, want %v", got, want)
	}
	// Two stable seconds: the bisection lands where the mixture's tail is 1%.
	o2 := NewModel(service(10, 100*time.Millisecond)).Serve(5, 1)
	x.Add(o2.Latencies, 5)
	q := x.Quantile(0.99)
	tail := (9*o.Latencies.Exceeds(q) + 5*o2.Latencies.Exceeds(q)) / 14
	if !near(tail, 0.01, 1e-6) {
		t.Errorf("mixture p99 %v: tail there %v, want 0.01", q, tail)
	}
}

func TestModelOverload(t *testing.T) {
	// Two instances of 100 req/s take 300 req/s: once the backlog holds
	// what can start within the 10 s timeout, a third of the demand fails
	// and the rest waits about the timeout.
	m := NewModel(service(100, 80*time.Millisecond))
	var o Outcome
	for i := 0; i < 60; i++ {
		o = m.Serve(300, 2)
	}
	if !near(o.ErrorRatio, 1.0/3, 1e-9) {
		t.Errorf("steady overload error ratio: got %v, want 1/3", o.ErrorRatio)
	}
	if !near(o.Latency.Seconds(), 10, 1e-9) {
		t.Errorf("steady overload latency: got %v, want the 10s timeout", o.Latency)
	}
	// The backlog drains when capacity returns.
	o = m.Serve(100, 4)
	if o.Failed != 0 || o.Latency <= 80*time.Millisecond {
		t.Errorf("draining: got %v failed, latency %v; want none failed and a latency above base", o.Failed, o.Latency)
	}
	for i := 0; i < 30; i++ {
		o = m.Serve(100, 4)
	}
	if m.backlog != 0 || o.Latency > 90*time.Millisecond {
		t.Errorf("after draining: backlog %v, latency %v", m.backlog, o.Latency)
	}
	// With no ready instance, everything fails.
	if o := NewModel(service(100, 80*time.Millisecond)).Serve(50, 0); o.ErrorRatio != 1 {
		t.Errorf("no capacity: got error ratio %v, want 1", o.ErrorRatio)
	}
}

func TestRequired(t *testing.T) {
	m := NewModel(service(100, 80*time.Millisecond))
	for _, demand := range []float64{1, 99, 100, 101, 3000, 25000} {
		n := m.Required(demand, 250*time.Millisecond)
		if o := steady(demand, n); o.Latency > 250*time.Millisecond || o.Failed > 0.001*demand {
			t.Errorf("demand %v: %d instances give latency %v, errors %v", demand, n, o.Latency, o.ErrorRatio)
		}
		if n > 1 {
			if o := steady(demand, n-1); o.Latency <= 250*time.Millisecond && o.Failed == 0 {
				t.Errorf("demand %v: %d instances are enough, Required said %d", demand, n-1, n)
			}
		}
	}
}

// steady serves demand on ready instances for two minutes and returns the
// last second: what the pool settles to.
func steady(demand float64, ready int) Outcome {
	m := NewModel(service(100, 80*time.Millisecond))
	var o Outcome
	for i := 0; i < 120; i++ {
		o = m.Serve(demand, ready)
	}
	return o
}

func flat(rate float64, seconds int) *headroom.Series {
	return &headroom.Series{Name: "flat", Start: t0, Step: time.Second, Counts: repeat(rate, seconds)}
}

func repeat(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func targetPolicy(min, max int) *headroom.Policy {
	return &headroom.Policy{Name: "p", Min: min, Max: max, Target: &headroom.TargetTracking{
		Metrics:          []headroom.MetricTarget{{Name: "cpu", Kind: headroom.MetricCPU, Target: 60}},
		ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		SyncPeriod: 15 * time.Second, Window: 30 * time.Second, Delay: 15 * time.Second,
		ScaleUp: policy.DefaultScaleUp(), ScaleDown: policy.DefaultScaleDown()}}
}

func TestSteadyTrafficIsSteady(t *testing.T) {
	// 3000 req/s at 60% of 100 req/s: 50 instances, and nothing moves.
	res, err := Run(Config{Service: service(100, 80*time.Millisecond), Policy: targetPolicy(2, 200), Traffic: flat(3000, 3600)},
		SinkFunc(func(s *headroom.Second) {
			if s.Total() != 50 {
				t.Fatalf("at %s: %d instances, want 50", s.Time, s.Total())
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.InstanceSeconds != 50*3600 {
		t.Errorf("got %v failed and %v instance-seconds, want 0 and %d", res.Failed, res.InstanceSeconds, 50*3600)
	}
}

func TestStepUpIsSeenLateAndServedAfterStartup(t *testing.T) {
	// Demand doubles at +10 min. The autoscaler sees it only through a 30 s
	// window 15 s late, decides on a 15 s sync, and new instances serve
	// after the 3 min start-up: capacity arrives between +10:15 and +14:00.
	tr := flat(1500, 1800)
	for i := 600; i < len(tr.Counts); i++ {
		tr.Counts[i] = 3000
	}
	var firstLaunch, firstReady time.Time
	res, err := Run(Config{Service: service(100, 80*time.Millisecond), Policy: targetPolicy(2, 200), Traffic: tr},
		SinkFunc(func(s *headroom.Second) {
			if firstLaunch.IsZero() && s.Launching > 0 {
				firstLaunch = s.Time
			}
			if firstReady.IsZero() && s.Ready > 25 {
				firstReady = s.Time
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	change := t0.Add(10 * time.Minute)
	if d := firstLaunch.Sub(change); d < 15*time.Second || d > 45*time.Second {
		t.Errorf("first launch %s after the change, want 15s..45s (delay + sync)", d)
	}
	if d := firstReady.Sub(firstLaunch); d != 3*time.Minute {
		t.Errorf("launch to ready took %s, want the 3m start-up delay", d)
	}
	if res.Failed == 0 {
		t.Errorf("doubling demand on 25 instances must fail requests until capacity arrives")
	}
}

func TestFleetScaleInRemovesLaunchingFirst(t *testing.T) {
	f := &Fleet{Ready: 10}
	f.Scale(16, 0, 60)
	f.Scale(12, 1, 60)
	if c := f.Capacity(); c.Ready != 10 || c.Launching != 2 {
		t.Errorf("after 10 → 16 → 12: got %+v, want 10 ready and 2 launching", c)
	}
	f.Scale(7, 2, 60)
	if c := f.Capacity(); c.Ready != 7 || c.Launching != 0 {
		t.Errorf("after → 7: got %+v, want 7 ready", c)
	}
	f.Scale(9, 3, 60)
	f.Tick(62)
	if f.Ready != 7 {
		t.Errorf("launched at 3, ready at 63: at 62 got %d ready, want 7", f.Ready)
	}
	f.Tick(63)
	if f.Ready != 9 {
		t.Errorf("at 63 got %d ready, want 9", f.Ready)
	}
}

// The fast path of Model.stable skips Erlang C where a Poisson tail bound
// says it is negligible; check the bound against the real value.
func TestFarFromSaturationBound(t *testing.T) {
	for _, c := range []int{1, 2, 8, 40, 400, 4000, 20000} {
		for a := 0.01; a < float64(c); a *= 1.05 {
			x := float64(c) - a
			if x*x <= 40*float64(c) {
				continue
			}
			if got, bound := queueing.ErlangC(c, a), 1e-9*math.Sqrt(float64(c)); got > bound {
				t.Errorf("C(%d, %.3f) = %g, above the bound %g the fast path relies on", c, a, got, bound)
			}
		}
	}
}

// Regression test for numbers that overflowed the model: a capacity per
// instance of 5e18..1e20 or 4e18 instances wrapped ready × k around into a
// negative server count, and one second of 1e308 requests made Required
// return -9223372036854775807. The model saturates instead: whatever the
// input, its figures are finite, non-negative and error ratios at most 1.
func TestModelSaturates(t *testing.T) {
	tests := []struct {
		name     string
		capacity float64
		base     time.Duration
		timeout  time.Duration
		ready    int
		demand   float64
	}{
		{"capacity 6e18", 6e18, 80 * time.Millisecond, 10 * time.Second, 40, 1e9},
		{"capacity 1e20, many instances", 1e20, 80 * time.Millisecond, 10 * time.Second, 4e18, 1e12},
		{"4e18 instances", 100, 80 * time.Millisecond, 10 * time.Second, 4e18, 1e6},
		{"1e308 requests", 100, 80 * time.Millisecond, 10 * time.Second, 10, 1e308},
		{"timeout under the base latency", 100, 5 * time.Second, time.Second, 10, 990},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := service(tt.capacity, tt.base)
			svc.RequestTimeout = tt.timeout
			m := NewModel(svc)
			for i := 0; i < 3; i++ {
				o := m.Serve(tt.demand, tt.ready)
				if math.IsNaN(o.Failed) || math.IsInf(o.Failed, 0) || o.Failed < 0 || !(o.ErrorRatio >= 0 && o.ErrorRatio <= 1) || o.Latency < 0 {
					t.Fatalf("second %d: %+v", i, o)
				}
			}
			if n := m.Required(tt.demand, svc.SLO.MaxLatency); n < 0 {
				t.Errorf("Required = %d", n)
			}
		})
	}
}

// Regression test for runs that ignored Ctrl-C until they ended: a
// cancelled context stops the run within a few thousand simulated seconds,
// with its error and no result.
func TestRunStopsWhenCancelled(t *testing.T) {
	svc := service(100, 80*time.Millisecond)
	p := &headroom.Policy{Name: "p", Min: 5, Max: 5}
	tr := &headroom.Series{Name: "t", Start: t0, Step: time.Hour, Counts: make([]float64, 24*365)}
	ctx, cancel := context.WithCancel(context.Background())
	seconds := 0
	stop := SinkFunc(func(*headroom.Second) {
		if seconds++; seconds == 100_000 {
			cancel()
		}
	})
	res, err := Run(Config{Service: svc, Policy: p, Traffic: tr, Context: ctx}, stop)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("got %v, %v; want context.Canceled and no result", res, err)
	}
	if seconds > 100_000+cancelEvery {
		t.Errorf("ran %d seconds after the cancel, want at most %d", seconds-100_000, cancelEvery)
	}
}

// hourly is a Schedule firing at every whole hour.
type hourly struct{}

func (hourly) Next(t time.Time) time.Time { return t.Truncate(time.Hour).Add(time.Hour) }

// Regression test for the simulator's own copy of the cron window rule:
// a window whose next start and next end fall at the same instant is open
// (KEDA's cron scaler, and the engine since hack/kedadiff found it), but
// the run's initial capacity took it as closed and started at the
// traffic's count instead of the window's.
func TestInitialCapacityOpenCronWindowTie(t *testing.T) {
	pol := targetPolicy(1, 100)
	pol.Target.Metrics = []headroom.MetricTarget{{Name: "cron", Kind: headroom.MetricCron, Target: 1, External: true,
		Window: &headroom.CronWindow{StartSpec: "0 * * * *", EndSpec: "0 * * * *", TimeZone: time.UTC, Start: hourly{}, End: hourly{}, Desired: 40}}}
	res, err := Run(Config{Service: service(100, 80*time.Millisecond), Policy: pol, Traffic: flat(300, 60)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Initial != 40 {
		t.Errorf("initial capacity: got %d, want 40 (the window is open when its start and end coincide)", res.Initial)
	}
}

// Enough must say what Required says, Required(demand) <= ready, at and
// around the answer, for services of one worker to hundreds, with and
// without a percentile bound, and bounds from tight to loose.
func TestEnoughIsRequired(t *testing.T) {
	type svcCase struct {
		capacity float64
		base     time.Duration
		maxLat   time.Duration
		pct      float64
		pctLat   time.Duration
	}
	for _, sc := range []svcCase{
		{100, 80 * time.Millisecond, 250 * time.Millisecond, 0, 0},
		{100, 80 * time.Millisecond, 81 * time.Millisecond, 0, 0},
		{100, 80 * time.Millisecond, 250 * time.Millisecond, 99, 400 * time.Millisecond},
		{100, 80 * time.Millisecond, 250 * time.Millisecond, 99.9, 80 * time.Millisecond},
		{3, 100 * time.Millisecond, 150 * time.Millisecond, 0, 0},
		{10, time.Second, 3 * time.Second, 95, 2 * time.Second},
		{2000, 200 * time.Millisecond, 201 * time.Millisecond, 0, 0},
		{100, 80 * time.Millisecond, 80 * time.Millisecond, 0, 0}, // no count meets it
	} {
		svc := service(sc.capacity, sc.base)
		svc.SLO.MaxLatency, svc.SLO.Percentile, svc.SLO.MaxPercentileLatency = sc.maxLat, sc.pct, sc.pctLat
		m := NewModel(svc)
		checked := 0
		for demand := 0.0; demand < 2e6; demand = demand*1.07 + 0.37 {
			need := m.Required(demand, sc.maxLat)
			for _, ready := range []int{0, 1, need / 2, need - 2, need - 1, need, need + 1, need + 3, 2*need + 1} {
				if ready < 0 {
					continue
				}
				want := need <= ready
				if got := m.Enough(demand, ready, sc.maxLat); got != want {
					t.Errorf("%+v demand %v ready %d: Enough = %v, Required = %d", sc, demand, ready, got, need)
				}
				checked++
			}
		}
		if checked < 1000 {
			t.Fatalf("%+v: only %d cases", sc, checked)
		}
	}
}

// A quiet second is written out without the model (Run's quiet path): each
// must be the second Serve gives, fed the same demand and ready instances,
// and most seconds of a calm stretch must be quiet. The traffic climbs past
// what the policy keeps up with (a backlog, 502s) and falls back.
func TestQuietSecondsAreServe(t *testing.T) {
	svc := service(100, 80*time.Millisecond)
	var counts []float64
	for i := 0; i < 3600; i++ {
		r := 4000 + 3000*math.Sin(float64(i)/300)
		if i >= 1800 && i < 1900 {
			r *= 4 // a burst the policy cannot follow
		}
		counts = append(counts, math.Round(r))
	}
	tr := &headroom.Series{Name: "wave", Start: t0, Step: time.Second, Counts: counts}
	twin := NewModel(svc)
	var seconds, quiet int
	check := SinkFunc(func(s *headroom.Second) {
		o := twin.Serve(s.Demand, s.Ready)
		if o.Utilization != s.Utilization || o.Latency != s.Latency || o.ErrorRatio != s.ErrorRatio || o.Failed != s.Failed {
			t.Fatalf("%s: the run gave %+v, Serve %+v", s.Time, *s, o)
		}
		seconds++
	})
	res, err := Run(Config{Service: svc, Policy: targetPolicy(2, 400), Traffic: tr}, check, spanCount{&quiet})
	if err != nil {
		t.Fatal(err)
	}
	if seconds != tr.Seconds() || res.Failed == 0 {
		t.Fatalf("%d seconds, %v failed: expected every second and a burst that fails some", seconds, res.Failed)
	}
	if quiet < seconds/2 || quiet == seconds {
		t.Errorf("%d of %d seconds quiet: expected most, not all", quiet, seconds)
	}
}

// spanCount counts the seconds a run gives in spans.
type spanCount struct{ n *int }

func (c spanCount) Add(*headroom.Second) {}
func (c spanCount) AddSpan(sp *Span)     { *c.n += len(sp.Demand) }

// The stable queue's memos (the dense tables by integer rate, the hashed
// cache for the others) must give what NewDeadline does, in any order of
// asking: counts up and down, rates whole and not, a count's table made
// again after others.
func TestStableMemos(t *testing.T) {
	m := NewModel(service(100, 80*time.Millisecond))
	limit := m.timeout - m.base
	asked := 0
	for round := 0; round < 2; round++ {
		for _, c := range []int{8, 400, 56, 401, 400, 4000, 8} {
			top := float64(c) * m.mu
			for lambda := top; lambda >= 0; lambda -= 1 + float64(c%7) {
				for _, l := range []float64{lambda, math.Floor(lambda), lambda + 0.25} {
					if l > top {
						continue
					}
					want := queueing.Deadline{}
					if !m.far(c, l) {
						want = queueing.NewDeadline(c, l, m.mu, limit)
					}
					if got := m.stable(c, l); got != want {
						t.Fatalf("c %d λ %v: memo %+v, NewDeadline %+v", c, l, got, want)
					}
					asked++
				}
			}
		}
	}
	if asked < 10000 || len(m.tables) != 5 {
		t.Errorf("%d asked, %d tables: expected thousands over five counts", asked, len(m.tables))
	}
}

// Progress comes after the second it names, every hundredth of the run
// from the first, and once at the end, wherever the run's events fall.
func TestProgressEveryHundredth(t *testing.T) {
	tr := flat(4000, 7*3600+13)
	var got []int
	_, err := Run(Config{Service: service(100, 80*time.Millisecond), Policy: targetPolicy(2, 400), Traffic: tr,
		Progress: func(done, total int) {
			if total != tr.Seconds() {
				t.Fatalf("total %d, want %d", total, tr.Seconds())
			}
			got = append(got, done)
		}})
	if err != nil {
		t.Fatal(err)
	}
	every := tr.Seconds() / 100
	var want []int
	for s := 0; s < tr.Seconds(); s += every {
		want = append(want, s)
	}
	want = append(want, tr.Seconds())
	if !slices.Equal(got, want) {
		t.Errorf("progress at %v, want %v", got, want)
	}
}
