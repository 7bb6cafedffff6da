package detect

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

var t0 = time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

// feed steps d every 15 s from `from` for n loops with the sample given by
// f, and returns every alert that started and ended, in order.
func feed(t *testing.T, d *Detector, from time.Time, n int, f func(now time.Time) Input) (started, ended []headroom.Alert) {
	t.Helper()
	for i := 1; i <= n; i++ {
		now := from.Add(time.Duration(i) * 15 * time.Second)
		in := f(now)
		in.Now, in.Interval = now, 15*time.Second
		out := d.Step(in)
		started = append(started, out.Started...)
		ended = append(ended, out.Ended...)
	}
	return started, ended
}

func steady(errRatio float64) func(time.Time) Input {
	return func(time.Time) Input {
		return Input{Demand: 1000, ErrorRatio: errRatio, Latency: 80 * time.Millisecond, HasDemand: true, HasHealth: true, Ready: 20, Desired: 20, Needed: 12}
	}
}

func onlyRule(as []headroom.Alert, rule string) []headroom.Alert {
	var out []headroom.Alert
	for _, a := range as {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

// The workbook's pairs on a budget of 0.1% and 60% of requests failing from
// t0, after six clean hours, evaluated every 15 s: the 1h window reaches a
// 1.44% error ratio (burn 14.4) when 0.6·x/3600 ≥ 0.0144, x ≥ 86.4 s, so at
// the 6th loop (90 s); the 6h window reaches 0.6% (burn 6) when
// 0.6·x/21600 ≥ 0.006, x ≥ 216 s, so at the 15th loop (225 s). Once the
// errors stop at t1, the 5m window still holds a failing bucket for 19
// loops (3% ≥ 1.44%), is clean at t1+300 s, and keep_firing_for (5m) resets
// the alert 5 minutes after the last loop it held: t1+585 s.
func TestWorkbookPairs(t *testing.T) {
	d := New(Config{Target: "web", Budget: 0.001}, State{})
	start := t0.Add(-6 * time.Hour)
	if s, _ := feed(t, d, start, 6*240, steady(0)); len(s) != 0 {
		t.Fatalf("clean traffic started %v", s)
	}
	started, _ := feed(t, d, t0, 20, steady(0.6))
	fast, slow := onlyRule(started, "burn-1h-5m"), onlyRule(started, "burn-6h-30m")
	if len(fast) != 1 || !fast[0].StartsAt.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("burn-1h-5m: got %v, want one alert at %v", fast, t0.Add(90*time.Second))
	}
	if len(slow) != 1 || !slow[0].StartsAt.Equal(t0.Add(225*time.Second)) {
		t.Fatalf("burn-6h-30m: got %v, want one alert at %v", slow, t0.Add(225*time.Second))
	}
	if a := fast[0]; a.Signal != headroom.SignalSymptom || a.Severity != headroom.SeverityPage || a.Reason.Code != headroom.ReasonBudgetBurn ||
		!strings.Contains(a.Reason.Message, "18% of requests failed over the last 5m and 1.5% over 1h") {
		t.Errorf("alert: got %+v", a)
	}
	t1 := t0.Add(20 * 15 * time.Second)
	_, ended := feed(t, d, t1, 60, steady(0))
	fastEnd := onlyRule(ended, "burn-1h-5m")
	if len(fastEnd) != 1 || !fastEnd[0].EndsAt.Equal(t1.Add(585*time.Second)) {
		t.Fatalf("burn-1h-5m reset: got %v, want at %v", fastEnd, t1.Add(585*time.Second))
	}
}

func TestForDelaysFiring(t *testing.T) {
	rules := []Rule{{Name: "fast", Long: time.Minute, Factor: 10, For: 2 * time.Minute, Severity: headroom.SeverityPage}}
	d := New(Config{Budget: 0.01, Rules: rules}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, steady(0))
	started, _ := feed(t, d, t0, 20, steady(0.5))
	// Pending at the first loop (t0+15s), firing 2 minutes later.
	if len(started) != 1 || !started[0].StartsAt.Equal(t0.Add(135*time.Second)) {
		t.Fatalf("got %v, want one alert at %v", started, t0.Add(135*time.Second))
	}
}

func TestBlipBelowForDoesNotFire(t *testing.T) {
	rules := []Rule{{Name: "fast", Long: time.Minute, Factor: 10, For: 90 * time.Second, Severity: headroom.SeverityPage}}
	d := New(Config{Budget: 0.01, Rules: rules}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, steady(0))
	// 30 s of errors at 50%: the 1m window burns (12.5% and more) from
	// t0+15s to t0+75s, 60 s, under `for`.
	s1, _ := feed(t, d, t0, 2, steady(0.5))
	s2, _ := feed(t, d, t0.Add(30*time.Second), 20, steady(0))
	if len(s1)+len(s2) != 0 {
		t.Fatalf("a 30 s blip fired %v %v", s1, s2)
	}
}

// Regression test for a fresh start paging on seconds of data: the
// workbook's 1h/5m pair judged its hour on the first loop's 15 s ("60% of
// requests failed over 1h"), so a 30 s blip right after `serve` started
// paged at once. The time before the history began now counts as healthy
// at the seen request rate, so the first hour burns as any later one: the
// blip is 0.5% of the hour (burn 5 < 14.4), while an outage present from
// the start pages when it would have mid-day (TestWorkbookPairs: 90 s).
func TestFreshStartCountsTheUnseenAsHealthy(t *testing.T) {
	d := New(Config{Target: "web", Budget: 0.001}, State{})
	s1, _ := feed(t, d, t0, 2, steady(0.6))
	s2, _ := feed(t, d, t0.Add(30*time.Second), 40, steady(0))
	if len(s1)+len(s2) != 0 {
		t.Fatalf("a 30 s blip at the start paged: %v %v", s1, s2)
	}

	d = New(Config{Target: "web", Budget: 0.001}, State{})
	started, _ := feed(t, d, t0, 40, steady(0.6))
	fast := onlyRule(started, "burn-1h-5m")
	if len(fast) != 1 || !fast[0].StartsAt.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("an outage from the start: burn-1h-5m got %v, want one alert at %v", fast, t0.Add(90*time.Second))
	}
	if msg := fast[0].Reason.Message; !strings.Contains(msg, "1.5% over 1h (the 58m30s before 17:00:00 UTC counted as healthy") {
		t.Errorf("the page's reason: got %q, want the hour's 1.5%% and the unseen time said", msg)
	}

	single := []Rule{{Name: "fast", Long: time.Minute, Factor: 10, Severity: headroom.SeverityPage}}
	d = New(Config{Budget: 0.01, Rules: single}, State{})
	started, _ = feed(t, d, t0, 8, steady(0.5))
	// 50% failing against 10× a 1% budget: 0.5·x/60 ≥ 0.1 at x ≥ 12 s, the
	// first loop, as mid-day.
	if len(started) != 1 || !started[0].StartsAt.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("a single 1m window: got %v, want one alert at %v", started, t0.Add(15*time.Second))
	}
}

// The seed: a scheduled action cuts 60 → 12 at 17:00:00 while demand needs
// 38. The cause alert fires in that loop, before the first failed request,
// and names the action.
func TestCauseNamesTheCut(t *testing.T) {
	d := New(Config{Target: "website-and-api", Budget: 0.001, StartupDelay: 3 * time.Minute}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, func(time.Time) Input {
		return Input{Demand: 3000, HasDemand: true, HasHealth: true, Ready: 60, Desired: 60, Needed: 38}
	})
	cut := &headroom.Decision{Time: t0, Current: 60, Desired: 12, Min: 10, Max: 120, Reason: headroom.Reason{Code: headroom.ReasonScheduled,
		Message: `scheduled action "night-savings" ("0 3 * * *" in Australia/Sydney) at 17:00 UTC = 03:00 Australia/Sydney set min 10, desired 12`}}
	out := d.Step(Input{Now: t0, Interval: 15 * time.Second, Demand: 3000, HasDemand: true, HasHealth: true, Ready: 12, Desired: 12, Needed: 38, Decision: cut})
	if len(out.Started) != 1 {
		t.Fatalf("started: got %v, want the cause alert", out.Started)
	}
	a := out.Started[0]
	if a.Signal != headroom.SignalCause || !a.StartsAt.Equal(t0) || a.Reason.Code != headroom.ReasonCapacityShort ||
		!strings.Contains(a.Reason.Message, "12 ready of 38 needed") || !strings.Contains(a.Reason.Message, "17:00:00 UTC ScheduledAction 60 -> 12") ||
		!strings.Contains(a.Reason.Message, "night-savings") {
		t.Errorf("got %+v", a)
	}
	// Capacity back at need: the alert resets after CauseReset.
	_, ended := feed(t, d, t0, 8, func(time.Time) Input {
		return Input{Demand: 3000, HasDemand: true, HasHealth: true, Ready: 40, Desired: 40, Needed: 38}
	})
	if len(ended) != 1 || !ended[0].EndsAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("ended: got %v, want at %v", ended, t0.Add(time.Minute))
	}
}

func TestCauseNamesTheDemandRise(t *testing.T) {
	d := New(Config{Budget: 0.001, StartupDelay: 3 * time.Minute}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, func(time.Time) Input {
		return Input{Demand: 1000, HasDemand: true, HasHealth: true, Ready: 15, Desired: 15, Needed: 13}
	})
	surge := func(time.Time) Input {
		return Input{Demand: 12000, HasDemand: true, HasHealth: true, Ready: 15, Desired: 60, Needed: 130}
	}
	// One short loop is a scale-out on its way; the second fires.
	started, _ := feed(t, d, t0, 1, surge)
	if len(started) != 0 {
		t.Fatalf("one short loop fired %v", started)
	}
	started, _ = feed(t, d, t0.Add(15*time.Second), 1, surge)
	if len(started) != 1 {
		t.Fatalf("got %v, want the cause alert", started)
	}
	a := started[0]
	if a.Reason.Code != headroom.ReasonDemandOutran || !strings.Contains(a.Reason.Message, "demand rose 12x in 3m (from 1000 to 12000 req/s)") ||
		!strings.Contains(a.Reason.Message, "instances take 3m to start") {
		t.Errorf("got %+v", a)
	}
}

func TestBlindAlertsOperatorsOnly(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, steady(0))
	started, _ := feed(t, d, t0, 10, func(time.Time) Input { return Input{} })
	if len(started) != 1 || started[0].Signal != headroom.SignalBlind || started[0].Severity != headroom.SeverityTicket ||
		!started[0].StartsAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("got %v, want one blind ticket at %v", started, t0.Add(2*time.Minute))
	}
	_, ended := feed(t, d, t0.Add(150*time.Second), 1, steady(0))
	if len(ended) != 1 || ended[0].Signal != headroom.SignalBlind {
		t.Fatalf("got %v, want the blind alert to end at the next sample", ended)
	}
}

// Regression guard for restarts: a detector resumed from its saved state
// (through JSON, as the journal keeps it) neither fires the alert again nor
// forgets it.
func TestStateSurvivesARestart(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, steady(0))
	started, _ := feed(t, d, t0, 8, steady(0.6))
	if len(onlyRule(started, "burn-1h-5m")) != 1 {
		t.Fatalf("got %v", started)
	}
	data, err := json.Marshal(d.State())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	resumed := New(Config{Budget: 0.001}, st)
	again, _ := feed(t, resumed, t0.Add(8*15*time.Second), 4, steady(0.6))
	if len(again) != 0 {
		t.Fatalf("resumed detector fired again: %v", again)
	}
	if f := resumed.Firing(); len(onlyRule(f, "burn-1h-5m")) != 1 {
		t.Fatalf("resumed detector forgot the alert: %v", f)
	}
}

// History's windows equal a brute-force sum over the samples, for random
// samples, gaps and windows.
func TestHistoryWindowsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type smp struct {
		at  time.Time
		req float64
	}
	for trial := range 50 {
		var h Ring
		h.size(15*time.Second, time.Hour)
		var all []smp
		now := t0
		for range 400 {
			now = now.Add(time.Duration(1+rng.IntN(4)) * 15 * time.Second)
			if rng.IntN(10) == 0 {
				now = now.Add(time.Duration(rng.IntN(100)) * 15 * time.Second) // a gap
			}
			r := float64(rng.IntN(1000))
			h.add(now, &Totals{Requests: r, Seconds: 15})
			all = append(all, smp{now, r})
			w := time.Duration(1+rng.IntN(240)) * 15 * time.Second
			var want float64
			for _, s := range all {
				if s.at.After(now.Add(-w)) {
					want += s.req
				}
			}
			if got := h.Window(now, w).Requests; got != want {
				t.Fatalf("trial %d: window %s at %s: got %v, want %v", trial, w, now, got, want)
			}
		}
	}
}

func TestRuleValidate(t *testing.T) {
	for _, r := range DefaultRules(250 * time.Millisecond) {
		if err := Validate(r); err != nil {
			t.Errorf("default rule %s: %v", r.Name, err)
		}
	}
	bad := map[string]Rule{
		"reserved name": {Name: "capacity", Long: time.Minute, Factor: 1, Severity: headroom.SeverityPage},
		"short > long":  {Name: "x", Long: time.Minute, Short: time.Hour, Factor: 1, Severity: headroom.SeverityPage},
		"no condition":  {Name: "x", Long: time.Minute, Severity: headroom.SeverityPage},
		"bad severity":  {Name: "x", Long: time.Minute, Factor: 1, Severity: "loud"},
	}
	for name, r := range bad {
		if Validate(r) == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

// The saved history answers as the live one did (float32 buckets: within
// a millionth), and is small: the live controller saves it once a minute.
func TestHistoryRoundTrip(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{}) // the workbook's rules: windows up to 6h
	rng := rand.New(rand.NewPCG(3, 4))
	var now time.Time
	for i := 1; i <= 8*240; i++ {
		now = t0.Add(time.Duration(i) * 15 * time.Second)
		d.Step(Input{Now: now, Interval: 15 * time.Second, Demand: 1000 + rng.Float64()*500, ErrorRatio: rng.Float64() * 0.01,
			Latency: 80 * time.Millisecond, HasDemand: true, HasHealth: true, Ready: 20, Desired: 20, Needed: 12})
	}
	data, err := json.Marshal(d.State())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 12<<10 {
		t.Errorf("saved state is %d bytes, want under 12 KiB", len(data))
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	h, g := d.State().History, st.History
	for _, w := range []time.Duration{15 * time.Second, 5 * time.Minute, time.Hour, 6 * time.Hour} {
		a, b := h.Window(now, w), g.Window(now, w)
		if math.Abs(a.Requests-b.Requests) > 1e-6*a.Requests || math.Abs(a.Failed-b.Failed) > 1e-6*a.Failed+1e-9 {
			t.Errorf("window %s: saved %+v, live %+v", w, b, a)
		}
	}
	// The 6h window comes from the coarse ring: whole 5-minute buckets.
	if got, want := h.Window(now, 6*time.Hour).Seconds, (6 * time.Hour).Seconds(); math.Abs(got-want) > 300 {
		t.Errorf("6h window holds %v s of samples, want about %v", got, want)
	}
	t.Logf("saved state: %d bytes", len(data))
}

// A rule removed or renamed while its alert fired: the detector resumed
// with the new rules resolves the alert at its first evaluation (so the
// notifier and the alert log see it end) and forgets the rule's state,
// instead of keeping it firing forever.
func TestRemovedRuleResolves(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{})
	feed(t, d, t0.Add(-6*time.Hour), 6*240, steady(0))
	feed(t, d, t0, 20, steady(0.6))
	if f := d.Firing(); len(onlyRule(f, "burn-1h-5m")) != 1 || len(onlyRule(f, "burn-6h-30m")) != 1 {
		t.Fatalf("firing: got %v, want both workbook rules", f)
	}
	data, err := json.Marshal(d.State())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	rules := []Rule{{Name: "fast", Long: time.Minute, Factor: 1000, Severity: headroom.SeverityPage}}
	resumed := New(Config{Budget: 0.001, Rules: rules}, st)
	now := t0.Add(21 * 15 * time.Second)
	out := resumed.Step(Input{Now: now, Interval: 15 * time.Second, Demand: 1000, ErrorRatio: 0.6, HasDemand: true, HasHealth: true, Ready: 20, Desired: 20, Needed: 12})
	for _, rule := range []string{"burn-1h-5m", "burn-6h-30m"} {
		if e := onlyRule(out.Ended, rule); len(e) != 1 || !e[0].EndsAt.Equal(now) {
			t.Errorf("%s: ended %v, want it resolved at %s", rule, out.Ended, now)
		}
		if f := onlyRule(out.Firing, rule); len(f) != 0 {
			t.Errorf("%s: still firing %v", rule, f)
		}
		for _, rs := range resumed.State().Alerts {
			if rs.Name == rule {
				t.Errorf("%s: state kept: %+v", rule, rs)
			}
		}
	}
	// The built-in signals' states are not a removed rule's.
	if out2 := resumed.Step(Input{Now: now.Add(15 * time.Second), Interval: 15 * time.Second, Demand: 1000, HasDemand: true, HasHealth: true, Ready: 5, Desired: 5, Needed: 12}); len(out2.Ended) != 0 {
		t.Errorf("second step ended %v", out2.Ended)
	}
	_, ended := feed(t, resumed, now.Add(15*time.Second), 4, steady(0))
	if len(onlyRule(ended, "burn-1h-5m"))+len(onlyRule(ended, "burn-6h-30m")) != 0 {
		t.Errorf("ended again: %v", ended)
	}
}

// A built-in signal firing across a restart with other rules stays
// firing: blind and capacity are no configured rule's.
func TestBuiltInAlertsSurviveARuleChange(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{})
	feed(t, d, t0.Add(-time.Hour), 240, steady(0))
	short := func(time.Time) Input {
		return Input{Demand: 1000, HasDemand: true, HasHealth: true, Ready: 5, Desired: 5, Needed: 12}
	}
	feed(t, d, t0, 4, short)
	if f := d.Firing(); len(onlyRule(f, "capacity")) != 1 {
		t.Fatalf("got %v, want the cause alert", f)
	}
	rules := []Rule{{Name: "fast", Long: time.Minute, Factor: 1000, Severity: headroom.SeverityPage}}
	resumed := New(Config{Budget: 0.001, Rules: rules}, d.State())
	_, ended := feed(t, resumed, t0.Add(time.Minute), 2, short)
	if len(ended) != 0 || len(onlyRule(resumed.Firing(), "capacity")) != 1 {
		t.Fatalf("ended %v, firing %v; want the cause alert kept", ended, resumed.Firing())
	}
}

// Health metrics answering every other loop while users get 1% errors at
// 200 ms: the loops without health data say nothing of errors or latency,
// so the windows show 1% and 200 ms — not 0.5% and 100 ms — while the
// demand rate counts every request.
func TestRequestsWithoutHealthDoNotDilute(t *testing.T) {
	d := New(Config{Budget: 0.001}, State{})
	i := 0
	feed(t, d, t0, 40, func(time.Time) Input {
		i++
		return Input{Demand: 1000, ErrorRatio: 0.01, Latency: 200 * time.Millisecond, HasDemand: true, HasHealth: i%2 == 0, Ready: 20, Desired: 20, Needed: 12}
	})
	now := t0.Add(40 * 15 * time.Second)
	check := func(what string, h History) {
		t.Helper()
		w := h.Window(now, 5*time.Minute)
		if math.Abs(w.ErrorRatio()-0.01) > 1e-6 || (w.Latency()-200*time.Millisecond).Abs() > time.Microsecond {
			t.Errorf("%s: 5m window error ratio %v, latency %s; want 0.01 and 200ms", what, w.ErrorRatio(), w.Latency())
		}
		if math.Abs(w.Rate()-1000) > 1e-3 {
			t.Errorf("%s: 5m window rate %v, want 1000", what, w.Rate())
		}
	}
	check("live", d.State().History)
	data, err := json.Marshal(d.State())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	check("saved", st.History)
}

// A state saved before requests without health data were counted apart
// reads as one whose requests all had health data; and a state whose
// requests all had it is saved in that same form, no bigger.
func TestHistoryReadsTheOlderForm(t *testing.T) {
	// The older form: four float32s per bucket (requests, failed, latency
	// sum, seconds), a sum without a count of requests with health data.
	var buckets []byte
	for range 3 {
		for _, v := range []float32{1000, 10, 200, 15} {
			buckets = binary.LittleEndian.AppendUint32(buckets, math.Float32bits(v))
		}
	}
	old := fmt.Sprintf(`{"fine":{"resolution":%d,"first":100,"newest":102,"sum":{"r":3000,"f":30,"l":600,"s":45},"samples":3,"buckets":%q}}`,
		15*time.Second, base64.StdEncoding.EncodeToString(buckets))
	var h History
	if err := json.Unmarshal([]byte(old), &h); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 103*int64(15*time.Second))
	w := h.Window(now, time.Minute)
	if w.Requests != 3000 || math.Abs(w.ErrorRatio()-0.01) > 1e-9 || w.Latency() != 200*time.Millisecond {
		t.Fatalf("older form: window %+v: error ratio %v, latency %s; want 3000 requests, 0.01, 200ms", w, w.ErrorRatio(), w.Latency())
	}
	again, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != old {
		t.Errorf("all with health data: saved\n%s\nwant the older form\n%s", again, old)
	}
}

// Regression test for shortDuration cutting "0s" off any duration that
// ended in it: 58m30s was printed "58m3".
func TestShortDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5m"},
		{time.Hour, "1h"},
		{6 * time.Hour, "6h"},
		{90 * time.Minute, "1h30m"},
		{58*time.Minute + 30*time.Second, "58m30s"},
		{15 * time.Second, "15s"},
		{30 * time.Second, "30s"},
		{time.Hour + 10*time.Second, "1h0m10s"},
	} {
		if got := shortDuration(c.d); got != c.want {
			t.Errorf("shortDuration(%v): got %q, want %q", c.d, got, c.want)
		}
	}
}
