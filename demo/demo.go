// Package demo replays the seed incident through headroom's live code: the
// controller loop with its guards, the detector, incident automation on a
// status page, and postmortem drafting, on the simulated world (sim/world)
// and a virtual clock. Nothing past that world knows it is simulated: the
// store is a real SQLite file, the pages are the ones serve serves.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/postmortem"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/sim/world"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/sqlite"
	"github.com/headroomhq/headroom/traffic"
)

// Defaults of a demo run.
const (
	// TargetName and the page's component are the seed's.
	TargetName  = "website-and-api"
	ComponentID = "website-and-api"
	// DefaultResolveAfter: the incident resolves after this long healthy,
	// as the seed's was about 20 minutes after capacity was back.
	DefaultResolveAfter = 20 * time.Minute
	// GuardMargin is the scale-in guard's margin in the guarded run.
	GuardMargin = 0.1
)

// Example is a service, a policy and the traffic of a day.
type Example struct {
	Service    *headroom.Service
	Policy     *headroom.Policy
	Traffic    *headroom.Series
	PolicyFile string
}

// LoadExample reads dir of fsys: service.yaml, proposed.yaml and
// traffic.csv (the shipped example's layout).
func LoadExample(fsys fs.FS, dir string) (*Example, error) {
	read := func(name string) ([]byte, error) {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
		return data, nil
	}
	data, err := read("service.yaml")
	if err != nil {
		return nil, err
	}
	f, err := policy.Parse(path.Join(dir, "service.yaml"), data)
	if err != nil {
		return nil, err
	}
	if len(f.Services) != 1 {
		return nil, errors.New("example: service.yaml holds no Service")
	}
	ex := &Example{Service: f.Services[0], PolicyFile: path.Join(dir, "proposed.yaml")}
	if data, err = read("proposed.yaml"); err != nil {
		return nil, err
	}
	if ex.Policy, _, err = dialect.ParsePolicy(ex.PolicyFile, data, dialect.Auto); err != nil {
		return nil, err
	}
	file, err := fsys.Open(path.Join(dir, "traffic.csv"))
	if err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	defer file.Close()
	if ex.Traffic, _, err = traffic.Read(file, path.Join(dir, "traffic.csv"), traffic.Options{}); err != nil {
		return nil, err
	}
	return ex, nil
}

// Outcome is one run: what users got, what was detected and told, and the
// pages that show it.
type Outcome struct {
	Guarded bool
	// Requests and Failed are every simulated request of the day, and
	// the failed ones.
	Requests, Failed float64
	// Alerts are the detector's, Incidents the status page's (newest
	// first), Figures the postmortem's figures for the first incident.
	Alerts    []headroom.Alert
	Incidents []incident.Incident
	Figures   *postmortem.Figures
	// Deferred is the guard's first deferral of a scheduled cut, if any.
	Deferred *headroom.Decision
	// Status is the status page; Public renders it; Decisions is the
	// decisions page; DB the SQLite file behind them.
	Status    *incident.Service
	Public    *statuspage.Handler
	Decisions *controller.Page
	DB        *sqlite.DB
	// Took is the run's wall time.
	Took time.Duration
}

// clock is the virtual time every part of a run reads.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// Run replays the example's day through the live loop, with headroom's
// guards or without, storing in a SQLite file in dir. progress, when set,
// gets the share of the day done now and then.
func Run(ctx context.Context, ex *Example, guarded bool, dir string, log *slog.Logger, progress func(float64)) (*Outcome, error) {
	began := time.Now()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc, pol, tr := ex.Service, ex.Policy, ex.Traffic
	clk := &clock{now: tr.Start}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "headroom.db"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	db.Now = clk.Now
	out := &Outcome{Guarded: guarded, DB: db}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()

	page, err := incident.NewService(ctx, incident.Config{Store: db, Now: clk.Now,
		Page:       incident.Page{ID: "bitbucket", Name: "Bitbucket", TimeZone: "UTC"},
		Components: []incident.Component{{ID: ComponentID, Name: "Website and API", Position: 1}}})
	if err != nil {
		return nil, fmt.Errorf("demo: status page: %w", err)
	}
	out.Status, out.Public = page, statuspage.New()
	out.Public.Logger = log
	out.Public.Publish(page.Snapshot())
	page.OnSnapshot = out.Public.Publish

	// The world starts where check's replay starts, so the two agree.
	initial := sim.InitialCapacity(svc, pol, tr)
	w, err := world.ForPolicy(svc, pol, tr, initial)
	if err != nil {
		return nil, err
	}
	model := sim.NewModel(svc)
	det := detect.ForService(svc)
	det.Target = TargetName
	target := &controller.Target{Name: TargetName, Mode: headroom.ModeEnforce, Policy: pol, Source: w, Actuator: w,
		Detect: &det, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) },
		Incident: &incident.Automation{Target: TargetName, Service: "website and API services", Components: []string{ComponentID},
			ResolveAfter: DefaultResolveAfter}}
	if guarded {
		target.Guards = headroom.DefaultGuards(svc, pol, GuardMargin)
	}
	c := controller.New(db, target)
	c.Logger, c.Now = log, clk.Now
	c.Automator = &incident.Automator{Service: page, Logger: log, Postmortem: func(ctx context.Context, _ string, inc *incident.Incident) (string, error) {
		in, err := controller.PostmortemInput(ctx, db, controller.PostmortemSource{Target: target, Incident: inc, Components: []string{"Website and API"},
			Store: "the demo's SQLite file", Budget: svc.SLO.MaxErrorRatio, MaxLatency: svc.SLO.MaxLatency,
			Check: "headroom check --service service.yaml --baseline baseline.yaml --proposed proposed.yaml --traffic traffic.csv"}, clk.Now())
		if err != nil {
			return "", err
		}
		f := postmortem.Compute(in)
		out.Figures = &f
		return postmortem.Draft(in), nil
	}}
	out.Decisions = controller.NewPage(db, controller.PageTargets(c.Targets), clk.Now)
	out.Decisions.Logger = log

	loops := int(tr.End().Sub(tr.Start) / controller.DefaultInterval)
	for i := 0; i < loops; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		now := tr.Start.Add(time.Duration(i) * controller.DefaultInterval)
		clk.set(now)
		w.AdvanceTo(now)
		r := c.Step(ctx, now)[0]
		// The deferral of a scheduled cut: the seed's change, held back.
		if r.Decision.Reason.Code == headroom.ReasonScaleInDeferred && out.Deferred == nil && strings.Contains(r.Decision.Reason.Message, "scheduled action") {
			d := r.Decision
			out.Deferred = &d
		}
		if progress != nil && i%240 == 0 {
			progress(float64(i) / float64(loops))
		}
	}
	w.AdvanceTo(tr.End())
	clk.set(tr.End())
	out.Requests, out.Failed = w.Totals()
	if out.Alerts, err = controller.AlertLog(ctx, db, TargetName, time.Time{}, time.Time{}); err != nil {
		return nil, err
	}
	// A person reads the draft and publishes it, as the seed's was.
	snap := page.Snapshot()
	for _, inc := range snap.Incidents {
		if inc.PostmortemDraft != "" {
			if _, err := page.PublishPostmortem(ctx, inc.ID); err != nil {
				return nil, fmt.Errorf("demo: publish the postmortem: %w", err)
			}
		}
	}
	out.Incidents = page.Snapshot().Incidents
	if progress != nil {
		progress(1)
	}
	out.Took = time.Since(began)
	ok = true
	return out, nil
}

// Replay is check's judgement of the same files, for the side-by-side.
func Replay(ctx context.Context, ex *Example) (*check.PolicyResult, error) {
	rep, err := check.Run(check.Options{Context: ctx, Service: ex.Service, Proposed: ex.Policy, Traffic: []*headroom.Series{ex.Traffic}})
	if err != nil {
		return nil, err
	}
	return rep.Policies[0], nil
}
