package controller_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// notes records what a Notifier was handed. A fake is enough here:
// alert/alertmanager is tested against a real Alertmanager.
type notes struct {
	mu     sync.Mutex
	alerts [][]headroom.Alert
}

func (n *notes) Notify(_ context.Context, as []headroom.Alert) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts = append(n.alerts, as)
	return nil
}

// The seed live, detected: with guards off, the loop that applies the cut
// from 57 to 12 at 17:00 fires the cause alert, naming the scheduled
// action, before any request fails; the notifier gets it and the gauge is
// set. A restarted controller on the same journal keeps the alert and does
// not start it again. With guards on nothing fires.
func TestSeedLiveIsDetected(t *testing.T) {
	svc, prop, _ := load(t)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	model := sim.NewModel(svc)
	needed := func(demand float64) int { return model.Required(demand, svc.SLO.MaxLatency) }
	cfg := detect.ForService(svc)
	for _, guarded := range []bool{false, true} {
		t.Run("guards "+map[bool]string{false: "off", true: "on"}[guarded], func(t *testing.T) {
			act, _ := fleet(t, 57)
			target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act,
				Detect: &cfg, Needed: needed}
			if guarded {
				target.Guards = headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)
			}
			j := &memory.Journal{}
			n := &notes{}
			reg := prometheus.NewRegistry()
			c := controller.New(j, target)
			c.Notifier, c.Metrics = n, controller.NewMetrics(reg)
			c.Step(t.Context(), at.Add(-15*time.Second))
			r := c.Step(t.Context(), at)[0]
			firing, err := controller.Firing(t.Context(), j, "web")
			if err != nil {
				t.Fatal(err)
			}
			if guarded {
				if len(r.Alerts)+len(firing)+len(n.alerts) != 0 {
					t.Fatalf("guards on: got alerts %v, notified %v", r.Alerts, n.alerts)
				}
				return
			}
			if len(r.Alerts) != 1 || r.Alerts[0].Signal != headroom.SignalCause || !r.Alerts[0].StartsAt.Equal(at) ||
				!strings.Contains(r.Alerts[0].Reason.Message, "night-savings") || !strings.Contains(r.Alerts[0].Reason.Message, "12 desired") {
				t.Fatalf("record alerts: got %+v, want the cause at %s naming night-savings", r.Alerts, at)
			}
			if len(firing) != 1 || len(n.alerts) != 1 || n.alerts[0][0].Rule != "capacity" {
				t.Fatalf("journal %v, notified %v; want the cause alert in both", firing, n.alerts)
			}
			if got := testutil.ToFloat64(c.Metrics.Alerts.WithLabelValues("web", "cause")); got != 1 {
				t.Errorf("headroom_alert{signal=cause}: got %v, want 1", got)
			}
			// A restart: a new controller on the same journal.
			c2 := controller.New(j, target)
			r2 := c2.Step(t.Context(), at.Add(15*time.Second))[0]
			if len(r2.Alerts) == 0 || !r2.Alerts[0].StartsAt.Equal(at) {
				t.Fatalf("after a restart: got %+v, want the same alert, started at %s", r2.Alerts, at)
			}
		})
	}
}

// The decisions page shows what the detector fires: the target is marked
// on the index with the alert's signal and rule, and its page says why.
func TestPageShowsFiringAlerts(t *testing.T) {
	svc, prop, _ := load(t)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	model := sim.NewModel(svc)
	cfg := detect.ForService(svc)
	act, _ := fleet(t, 57)
	target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act,
		Detect: &cfg, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) }}
	j := &memory.Journal{}
	c := controller.New(j, target)
	c.Step(t.Context(), at.Add(-15*time.Second))
	c.Step(t.Context(), at)
	p := controller.NewPage(j, controller.PageTargets([]*controller.Target{target}), func() time.Time { return at.Add(30 * time.Second) })
	index := get(t, p, "/").Body.String()
	if !strings.Contains(index, "⚠ ALERT") || !strings.Contains(index, "cause alert capacity") {
		t.Errorf("index lacks the alert:\n%s", index)
	}
	page := get(t, p, "/decisions/web").Body.String()
	for _, want := range []string{"⚠ cause</span> <strong>capacity</strong> (page) firing since 2021-06-30 17:00:00 UTC, 30 s ago", "<code>CapacityShort</code>", "night-savings"} {
		if !strings.Contains(page, want) {
			t.Errorf("target page lacks %q", want)
		}
	}
}

// Prometheus down: the detector goes blind after two minutes without a
// sample, an operator gets a ticket, and no customer incident is opened.
func TestBlindAlertsOperatorsNotCustomers(t *testing.T) {
	svc, _, base := load(t)
	at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	page := webPage(t, at)
	model := sim.NewModel(svc)
	cfg := detect.ForService(svc)
	act, _ := fleet(t, 40)
	src := &switchable{steady: steady{demand: 2000, cpu: 50}}
	target := &controller.Target{Name: "web", Mode: headroom.ModeShadow, Policy: base, Source: src, Actuator: act,
		Detect: &cfg, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) },
		Incident: &incident.Automation{Target: "web", Components: []string{"web"}}}
	n := &notes{}
	c := controller.New(&memory.Journal{}, target)
	c.Notifier, c.Automator = n, &incident.Automator{Service: page}
	for i := range 4 {
		c.Step(t.Context(), at.Add(time.Duration(i)*15*time.Second))
	}
	src.set(&headroom.Error{Code: headroom.EUNAVAILABLE, Message: "prometheus: connection refused"})
	var blindAt time.Time
	for i := 4; i < 20; i++ {
		now := at.Add(time.Duration(i) * 15 * time.Second)
		r := c.Step(t.Context(), now)[0]
		if len(r.Alerts) > 0 && blindAt.IsZero() {
			blindAt = now
			if a := r.Alerts[0]; a.Signal != headroom.SignalBlind || a.Severity != headroom.SeverityTicket {
				t.Fatalf("got %+v, want a blind ticket", a)
			}
		}
	}
	// The last sample was at 12:00:45; blind two minutes later.
	if want := at.Add(45*time.Second + 2*time.Minute); !blindAt.Equal(want) {
		t.Errorf("blind at %s, want %s", blindAt, want)
	}
	if len(n.alerts) == 0 {
		t.Error("the notifier got no alert")
	}
	for _, inc := range page.Snapshot().Incidents {
		t.Errorf("blindness opened incident %+v", inc)
	}
}

// switchable is a steady source that can start failing.
type switchable struct {
	steady
	mu sync.Mutex
}

func (s *switchable) set(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *switchable) Observe(ctx context.Context, now time.Time) (headroom.Observation, error) {
	s.mu.Lock()
	st := s.steady
	s.mu.Unlock()
	return st.Observe(ctx, now)
}

// A target that started ten minutes ago: the default window (6h) would
// show its records as a sliver at the right edge; the chart starts with
// its data, in minutes, while a window asked for in the URL stays.
func TestPageShowsANewTargetsData(t *testing.T) {
	now := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	j := &memory.Journal{}
	for at := now.Add(-10 * time.Minute); !at.After(now); at = at.Add(15 * time.Second) {
		r := controller.Record{Target: "new", Time: at, Mode: "shadow", Observation: headroom.Observation{Demand: 100, HasDemand: true},
			Current: headroom.Capacity{Ready: 3}, Decision: headroom.Decision{Time: at, Current: 3, Desired: 3, Reason: headroom.Reason{Code: headroom.ReasonWithinTolerance}}}
		if err := j.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	p := controller.NewPage(j, []controller.PageTarget{{Name: "new", Mode: headroom.ModeShadow}}, func() time.Time { return now })
	page := get(t, p, "/decisions/new").Body.String()
	if !strings.Contains(page, ">11:52<") {
		t.Errorf("the default window's chart has no tick at 11:52: it does not start with the data:\n%s", regexp.MustCompile(`>[0-9:]{5}<`).FindAllString(page, -1))
	}
	asked := get(t, p, "/decisions/new?since=6h").Body.String()
	if strings.Contains(asked, ">11:52<") || !strings.Contains(asked, ">08:00<") {
		t.Errorf("since=6h: the chart should span the six hours asked for")
	}
}

// failing is a source whose users get errors while demand outruns a busy
// fleet: the engine wants more instances.
type failing struct{ steady }

func (f failing) Observe(ctx context.Context, now time.Time) (headroom.Observation, error) {
	o, err := f.steady.Observe(ctx, now)
	o.ErrorRatio, o.Latency = 0.2, 2*time.Second
	return o, err
}

// The status page says capacity is being added only when headroom adds
// it: a shadow target's scale-out is a recommendation nobody applied.
func TestIdentifiedSaysMitigatingOnlyWhenActing(t *testing.T) {
	svc, _, base := load(t)
	for _, mode := range []headroom.Mode{headroom.ModeShadow, headroom.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
			page := webPage(t, at)
			model := sim.NewModel(svc)
			cfg := detect.ForService(svc)
			// A rule that pages on the first loop's errors, as the example's
			// tuned one does, while headroom is still adding capacity (the
			// workbook's pair would wait for the errors to weigh in its hour).
			cfg.Rules = []detect.Rule{{Name: "fast", Long: 15 * time.Second, Factor: 10, Severity: headroom.SeverityPage}}
			act, _ := fleet(t, 20)
			target := &controller.Target{Name: "web", Mode: mode, Policy: base, Source: failing{steady{demand: 3400, cpu: 95}}, Actuator: act,
				Detect: &cfg, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) },
				Incident: &incident.Automation{Target: "web", Components: []string{"web"}}}
			c := controller.New(&memory.Journal{}, target)
			c.Automator = &incident.Automator{Service: page}
			var identified string
			for i := range 20 {
				c.Step(t.Context(), at.Add(time.Duration(i)*15*time.Second))
				for _, inc := range page.Snapshot().Incidents {
					for _, u := range inc.Updates {
						if u.Status == incident.Identified {
							identified = u.Body
						}
					}
				}
			}
			if identified == "" {
				t.Fatalf("no Identified update: %+v", page.Snapshot().Incidents)
			}
			says := strings.Contains(identified, "increasing capacity")
			if want := mode == headroom.ModeEnforce; says != want {
				t.Errorf("Identified says %q: want increasing capacity %v", identified, want)
			}
		})
	}
}

// refusing is a journal that refuses the next write of the detector's
// state once armed, as a fenced write is refused after the lease was lost.
type refusing struct {
	headroom.Journal
	armed *atomic.Bool
}

func (r refusing) SaveState(ctx context.Context, target, slot string, state []byte) error {
	if slot == "detect" && r.armed.CompareAndSwap(true, false) {
		return headroom.ErrFenced
	}
	return r.Journal.SaveState(ctx, target, slot, state)
}

func (r refusing) Fenced(f headroom.Fence) headroom.Journal {
	return refusing{Journal: r.Journal.Fenced(f), armed: r.armed}
}

// The detector's save refused in the loop its alert started: the kept
// detector is dropped, so the alert starts again later. The alert log
// holds no entry of the first start, which nothing would ever end: every
// alert the log says is firing is one the detector's state fires.
func TestRefusedDetectorSaveLogsNoStrandedAlert(t *testing.T) {
	svc, prop, _ := load(t)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	model := sim.NewModel(svc)
	cfg := detect.ForService(svc)
	act, _ := fleet(t, 57)
	target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act,
		Detect: &cfg, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) }}
	mem := &memory.Journal{}
	armed := &atomic.Bool{}
	c := controller.New(refusing{Journal: mem, armed: armed}, target)
	c.Step(t.Context(), at.Add(-15*time.Second))
	armed.Store(true)
	if r := c.Step(t.Context(), at)[0]; len(r.Alerts) != 1 || !strings.Contains(r.Error, "save detector state") {
		t.Fatalf("the cut's loop: alerts %v, error %q; want the cause alert and the refused save", r.Alerts, r.Error)
	}
	for i := 1; i <= 8; i++ {
		c.Step(t.Context(), at.Add(time.Duration(i)*15*time.Second))
	}
	firing, err := controller.Firing(t.Context(), mem, "web")
	if err != nil {
		t.Fatal(err)
	}
	logged, err := controller.AlertLog(t.Context(), mem, "web", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) == 0 {
		t.Fatal("the alert log is empty; want the cause alert that fired after the refused save")
	}
	for _, a := range logged {
		if !a.Firing() {
			continue
		}
		if !slices.ContainsFunc(firing, func(f headroom.Alert) bool { return f.Rule == a.Rule && f.StartsAt.Equal(a.StartsAt) }) {
			t.Errorf("the log's %s alert started at %s fires, the detector's does not: %v", a.Rule, a.StartsAt, firing)
		}
	}
}

// webPage is a status page in memory with one component, "web", its clock
// stopped at at.
func webPage(t *testing.T, at time.Time) *incident.Service {
	t.Helper()
	store := &memory.Incidents{Now: func() time.Time { return at }}
	page, err := incident.NewService(t.Context(), incident.Config{Store: store, Page: incident.Page{ID: "p", Name: "P", TimeZone: "UTC"},
		Components: []incident.Component{{ID: "web", Name: "Website", Position: 1}}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return page
}
