package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// defaultConfig is what `headroom serve` runs without a headroom.yaml: a
// status page of its own and no autoscaling target.
//
//go:embed default.yaml
var defaultConfig []byte

// Status page timings: how often a process looks for another replica's
// writes and for maintenance due to start or end, and the lease that lets
// one process at a time do the latter and deliver webhooks.
const (
	statusInterval = 2 * time.Second
	statusLeaseTTL = 10 * time.Second
	statusLease    = "statuspage"
)

// StatusPage is the status page serve runs: the rules over the store, the
// public pages, the admin API and the webhook deliveries.
type StatusPage struct {
	Service *incident.Service
	Public  *statuspage.Handler
	Admin   http.Handler
	Worker  *webhook.Worker
	// zone is the page's time zone, loaded once (config checked it).
	zone *time.Location
}

// openStatusPage builds the status page of cfg on db and renders its first
// snapshot.
func openStatusPage(ctx context.Context, cfg *config.Config, db Store, log *slog.Logger) (*StatusPage, error) {
	p := cfg.Page
	ic := incident.Config{Store: db, Page: incident.Page{ID: p.ID, Name: p.Name, URL: p.URL, TimeZone: p.TimeZone}}
	for i, g := range p.Groups {
		ic.Groups = append(ic.Groups, incident.Group{ID: g.ID, Name: g.Name, Description: g.Description, Position: i + 1})
	}
	for i, c := range p.Components {
		ic.Components = append(ic.Components, incident.Component{ID: c.ID, Name: c.Name, Description: c.Description, GroupID: c.Group, Position: i + 1})
	}
	svc, err := incident.NewService(ctx, ic)
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	public := statuspage.New()
	public.Logger = log
	public.Publish(svc.Snapshot())
	svc.OnSnapshot = public.Publish
	zone, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		zone = time.UTC
	}
	return &StatusPage{Service: svc, Public: public, Admin: admin.New(svc, db, admin.WithLogger(log)),
		Worker: &webhook.Worker{Store: db, Logger: log}, zone: zone}, nil
}

// run keeps the page current until ctx ends: every few seconds it reloads
// when another replica wrote or a new day began, and, while this process holds the status
// page's lease, starts and completes maintenance that is due and delivers
// queued webhooks (one process at a time, so a receiver gets each once).
func (s *StatusPage) run(ctx context.Context, leases headroom.Leases, holder string, log *slog.Logger) {
	tick := time.NewTicker(statusInterval)
	defer tick.Stop()
	held := false
	defer func() {
		if held {
			release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := leases.Release(release, statusLease, holder); err != nil {
				log.Warn("status page: release the lease; another process takes over when it expires", "err", err)
			}
		}
	}()
	for {
		if err := s.Service.Refresh(ctx, s.stale(time.Now())); err != nil && ctx.Err() == nil {
			log.Warn("status page: reload", "err", err)
		}
		_, ok, err := leases.Acquire(ctx, statusLease, holder, statusLeaseTTL)
		if err != nil && ctx.Err() == nil {
			log.Warn("status page: lease", "err", err)
		}
		held = ok
		if ok {
			// Within the lease: a slow receiver must not keep this process
			// delivering after another one took over.
			leased, cancel := context.WithTimeout(ctx, statusLeaseTTL*7/10)
			if err := s.Service.Tick(leased, time.Now()); err != nil && leased.Err() == nil {
				log.Error("status page: maintenance due", "err", err)
			}
			if err := s.Worker.Once(leased); err != nil && leased.Err() == nil {
				log.Error("status page: webhooks", "err", err)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stale says whether the snapshot must be rebuilt though nothing was
// written: a new day began in the page's time zone ("today") or in UTC (the
// uptime bars), or a component is not operational and its bar for today grows
// (rebuilt once a minute then).
func (s *StatusPage) stale(now time.Time) bool {
	snap := s.Service.Snapshot()
	for _, zone := range []*time.Location{s.zone, time.UTC} { // the page's days, the uptime bars' UTC days
		y1, m1, d1 := now.In(zone).Date()
		y2, m2, d2 := snap.BuiltAt.In(zone).Date()
		if y1 != y2 || m1 != m2 || d1 != d2 {
			return true
		}
	}
	for _, c := range snap.Components {
		if c.Status != incident.Operational && now.Sub(snap.BuiltAt) >= time.Minute {
			return true
		}
	}
	return false
}
