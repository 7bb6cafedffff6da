package statuspage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// The Runner's defaults.
const (
	// DefaultRunInterval is how often a Runner looks for another replica's
	// writes, a stale snapshot, maintenance due and webhooks queued.
	DefaultRunInterval = 2 * time.Second
	// DefaultLeaseTTL is how long the Runner's lease lasts unrenewed: five
	// loops, so one slow loop does not hand the work to another process.
	DefaultLeaseTTL = 10 * time.Second
	// DefaultLeaseName is the lease the processes serving one page take
	// turns on.
	DefaultLeaseName = "statuspage"
	// DefaultReleaseTimeout bounds giving the lease up when Run ends.
	DefaultReleaseTimeout = 5 * time.Second
)

// Runner keeps a status page current, in every process that serves it:
// each loop it reloads the snapshot when another replica wrote or the
// snapshot went stale (a new day, a minute of an outage), and, while this
// process holds the lease, starts and completes the maintenance that is due
// and delivers queued webhooks — one process at a time, so a receiver gets
// each delivery once and a maintenance starts once.
//
// The deliveries run beside the loop, one round at a time, each round
// bounded as the maintenance is (within the lease, ending before it could
// pass to another process): a receiver that hangs holds up neither the
// reload nor the maintenance, and no other process delivers meanwhile.
//
// Run drives it on a ticker until its context ends; Once runs one loop, for
// a test or a simulation on a virtual clock (Wait then waits for the
// deliveries it started). The Service and the Worker keep their own clocks
// (incident.Config.Now, webhook.Worker.Now): a simulation gives all three,
// and the store's lease clock, the same one.
type Runner struct {
	Service *incident.Service
	// Worker delivers the outbox's webhooks; nil for none.
	Worker *webhook.Worker
	// Leases and Holder (this process's identity) make the maintenance
	// ticks and the deliveries one process's work.
	Leases headroom.Leases
	Holder string

	// Interval between loops (DefaultRunInterval); LeaseTTL, how long the
	// lease lasts unrenewed, longer than Interval (DefaultLeaseTTL);
	// LeaseName (DefaultLeaseName); ReleaseTimeout bounds the lease's
	// release when Run ends (DefaultReleaseTimeout).
	Interval       time.Duration
	LeaseTTL       time.Duration
	LeaseName      string
	ReleaseTimeout time.Duration
	// Zone is the page's time zone, whose midnight starts a new "today"
	// (NewRunner loads the page's; UTC when it has none or an unknown one).
	Zone *time.Location
	// Now is the clock of every decision the Runner makes: whether the
	// snapshot is stale, which maintenance is due. time.Now from
	// NewRunner; a simulation injects its virtual clock.
	Now    func() time.Time
	Logger *slog.Logger

	// held is set while this process may hold the lease (acquired, or the
	// store failed to say since), so that Release gives it up.
	held atomic.Bool
	// delivering is set while a round of deliveries runs; rounds waits
	// for it.
	delivering atomic.Bool
	rounds     sync.WaitGroup
}

// NewRunner returns a Runner of svc's page with the defaults; worker may be
// nil.
func NewRunner(svc *incident.Service, worker *webhook.Worker, leases headroom.Leases, holder string) *Runner {
	zone := time.UTC
	if name := svc.Snapshot().Page.TimeZone; name != "" {
		// The config was checked; an unknown zone falls back to UTC as
		// the pages do.
		if loc, err := time.LoadLocation(name); err == nil {
			zone = loc
		}
	}
	return &Runner{Service: svc, Worker: worker, Leases: leases, Holder: holder,
		Interval: DefaultRunInterval, LeaseTTL: DefaultLeaseTTL, LeaseName: DefaultLeaseName,
		ReleaseTimeout: DefaultReleaseTimeout, Zone: zone, Now: time.Now, Logger: slog.Default()}
}

// Run runs a loop every Interval until ctx ends, then waits for the round
// of deliveries in flight (cancelled with ctx), releases the lease (bounded
// by ReleaseTimeout) so another process takes over at once, and returns
// ctx's error.
func (r *Runner) Run(ctx context.Context) error {
	defer func() {
		// ctx has ended: the release gets its own time, not none.
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.ReleaseTimeout)
		defer cancel()
		if err := r.Release(release); err != nil {
			r.Logger.Warn("status page: release the lease; another process takes over when it expires", "lease", r.LeaseName, "err", err)
		}
	}()
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	for {
		r.Once(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Once runs one loop at r.Now(): reload when stale, take or renew the
// lease, and within it start and complete the maintenance due and start a
// round delivering the queued webhooks, unless one still runs. It does not
// wait for the round (Wait does). It reports whether this process held the
// lease. Errors are logged: the next loop tries again.
func (r *Runner) Once(ctx context.Context) (leading bool) {
	if err := r.Service.Refresh(ctx, r.stale(r.Now())); err != nil && ctx.Err() == nil {
		r.Logger.Warn("status page: reload", "err", err)
	}
	_, ok, err := r.Leases.Acquire(ctx, r.LeaseName, r.Holder, r.LeaseTTL)
	if err != nil {
		// The store did not say: not acting, but perhaps still holding
		// the lease, which Release then gives up.
		if ctx.Err() == nil {
			r.Logger.Warn("status page: lease", "lease", r.LeaseName, "err", err)
		}
		return false
	}
	r.held.Store(ok)
	if !ok {
		return false
	}
	// Within the lease: a slow receiver must not keep this process
	// delivering after another one took over. The bound is on the real
	// clock, as the calls it cancels are.
	leased, cancel := context.WithTimeout(ctx, r.LeaseTTL*7/10)
	defer cancel()
	if err := r.Service.Tick(leased, r.Now()); err != nil && leased.Err() == nil {
		r.Logger.Error("status page: maintenance due", "err", err)
	}
	r.deliver(ctx)
	return true
}

// deliver starts a round of deliveries unless one still runs. The round has
// its own bound, the same as the maintenance's: it starts within the lease
// just taken or renewed and ends before that could expire, so no other
// process delivers while it runs.
func (r *Runner) deliver(ctx context.Context) {
	if r.Worker == nil || !r.delivering.CompareAndSwap(false, true) {
		return
	}
	round, cancel := context.WithTimeout(ctx, r.LeaseTTL*7/10)
	r.rounds.Add(1)
	go func() {
		defer r.rounds.Done()
		defer r.delivering.Store(false)
		defer cancel()
		if err := r.Worker.Once(round); err != nil && round.Err() == nil {
			r.Logger.Error("status page: webhooks", "err", err)
		}
	}()
}

// Wait waits for the round of deliveries Once started, if it still runs:
// at most the lease bound (LeaseTTL×0.7).
func (r *Runner) Wait() { r.rounds.Wait() }

// Release waits for the round of deliveries in flight (Wait), so that the
// next holder does not deliver beside it, then gives the lease up if this
// process may hold it, so another process takes over at once instead of
// after LeaseTTL. Run calls it when it ends; call it after driving Once by
// hand.
//
// Errors: the store's (the lease then expires on its own).
func (r *Runner) Release(ctx context.Context) error {
	r.Wait()
	if !r.held.Swap(false) {
		return nil
	}
	return r.Leases.Release(ctx, r.LeaseName, r.Holder)
}

// stale says whether the snapshot must be rebuilt though nothing was
// written: a new day began in the page's time zone ("today") or in UTC (the
// uptime bars), or a component is not operational and its bar for today
// grows (rebuilt once a minute then).
func (r *Runner) stale(now time.Time) bool {
	snap := r.Service.Snapshot()
	page := r.Zone
	if page == nil {
		page = time.UTC
	}
	for _, zone := range []*time.Location{page, time.UTC} { // the page's days, the uptime bars' UTC days
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
