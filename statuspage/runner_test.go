package statuspage_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the page's zone wherever the tests run

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/webhook"
	"github.com/headroomhq/headroom/store/sqlite"
)

// clock is the virtual clock a runner's world shares: the runner, the
// service, the webhook worker and the store's leases.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// world is a status page on a SQLite file, its runner, and the clock.
type world struct {
	clock *clock
	db    *sqlite.DB
	svc   *incident.Service
	r     *statuspage.Runner
}

// newWorld builds a page with one component ("api") in zone, its first
// snapshot built at start, and a runner holding as "a".
func newWorld(t *testing.T, zone string, start time.Time) *world {
	t.Helper()
	c := &clock{now: start}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = c.Now
	svc, err := incident.NewService(t.Context(), incident.Config{Store: db,
		Page:       incident.Page{ID: "p", Name: "P", TimeZone: zone},
		Components: []incident.Component{{ID: "api", Name: "API"}}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := statuspage.NewRunner(svc, &webhook.Worker{Store: db, Now: c.Now}, db, "a")
	r.Now = c.Now
	return &world{clock: c, db: db, svc: svc, r: r}
}

// once moves the clock to at, runs one loop and reports whether it rebuilt
// the snapshot.
func (w *world) once(t *testing.T, at time.Time) (rebuilt bool) {
	t.Helper()
	w.clock.Set(at)
	w.r.Once(t.Context())
	return w.svc.Snapshot().BuiltAt.Equal(at)
}

// The page is rebuilt without a write when a day begins in its own zone or
// in UTC (the uptime bars), and not otherwise while all is operational.
func TestRunnerRebuildsOnANewDay(t *testing.T) {
	lateLA := time.Date(2026, 11, 26, 7, 30, 0, 0, time.UTC)   // 23:30 on the 25th in Los Angeles
	lateUTC := time.Date(2026, 11, 26, 23, 50, 0, 0, time.UTC) // 15:50 on the 26th in Los Angeles
	for _, tc := range []struct {
		name       string
		built, now time.Time
		want       bool
	}{
		{"same day in both zones", lateLA, lateLA.Add(15 * time.Minute), false},
		{"a new day in the page's zone", lateLA, lateLA.Add(45 * time.Minute), true},
		{"a new UTC day, the same day in the page's zone", lateUTC, lateUTC.Add(15 * time.Minute), true},
		{"the clock went back a day", lateLA, lateLA.Add(-8 * time.Hour), true},
		{"all operational: no minute rebuilds", lateLA, lateLA.Add(time.Minute + 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "America/Los_Angeles", tc.built)
			if got := w.once(t, tc.now); got != tc.want {
				t.Errorf("built at %s, loop at %s: rebuilt %v, want %v", tc.built, tc.now, got, tc.want)
			}
		})
	}
}

// While a component is down its bar for today grows: the page is rebuilt
// each minute, without a write, and not more often.
func TestRunnerRebuildsEachMinuteOfAnOutage(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, "UTC", start)
	if err := w.svc.SetComponent(t.Context(), "api", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  bool
	}{
		{30 * time.Second, false},
		{time.Minute, true},
		{90 * time.Second, false},
		{2 * time.Minute, true},
		{2*time.Minute + 59*time.Second, false},
		{3 * time.Minute, true},
	} {
		if got := w.once(t, start.Add(step.after)); got != step.want {
			t.Errorf("%s into the outage: rebuilt %v, want %v", step.after, got, step.want)
		}
	}
}

// Another replica's write is picked up at the next loop.
func TestRunnerReloadsAnotherReplicasWrite(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, "UTC", start)
	other, err := incident.NewService(t.Context(), incident.Config{Store: w.db,
		Page:       incident.Page{ID: "p", Name: "P", TimeZone: "UTC"},
		Components: []incident.Component{{ID: "api", Name: "API"}}, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.SetComponent(t.Context(), "api", incident.PartialOutage); err != nil {
		t.Fatal(err)
	}
	w.once(t, start.Add(time.Second))
	if got := w.svc.Snapshot().Components[0].Status; got != incident.PartialOutage {
		t.Errorf("api after the other replica's write: %s, want %s", got, incident.PartialOutage)
	}
}

// Maintenance that is due is started by the process holding the lease
// only: while another one holds it, this one leaves it scheduled.
func TestRunnerStartsMaintenanceOnlyWithTheLease(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, "UTC", start)
	m, err := w.svc.Schedule(t.Context(), incident.ScheduleMaintenance{Name: "Database upgrade", Body: "Upgrading.",
		ScheduledFor: start.Add(time.Minute), ScheduledUntil: start.Add(time.Hour), Components: []string{"api"},
		AutoStart: true, AutoComplete: true})
	if err != nil {
		t.Fatal(err)
	}
	status := func() incident.Status {
		t.Helper()
		for _, inc := range w.svc.Snapshot().Incidents {
			if inc.ID == m.ID {
				return inc.Status
			}
		}
		t.Fatalf("maintenance %s not on the page", m.ID)
		return ""
	}
	if _, ok, err := w.db.Acquire(t.Context(), statuspage.DefaultLeaseName, "b", 24*time.Hour); !ok || err != nil {
		t.Fatalf("b takes the lease: ok %v, err %v", ok, err)
	}
	w.clock.Set(start.Add(2 * time.Minute))
	if w.r.Once(t.Context()) {
		t.Fatal("a leads while b holds the lease")
	}
	if got := status(); got != incident.Scheduled {
		t.Fatalf("due, but another process holds the lease: %s, want %s", got, incident.Scheduled)
	}
	if err := w.db.Release(t.Context(), statuspage.DefaultLeaseName, "b"); err != nil {
		t.Fatal(err)
	}
	if !w.r.Once(t.Context()) {
		t.Fatal("a does not lead after b released the lease")
	}
	if got := status(); got != incident.InProgress {
		t.Errorf("due, lease held: %s, want %s", got, incident.InProgress)
	}
	if err := w.r.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// Run gives the lease up when its context ends, though that context is
// done: another process takes over at once, not after the TTL.
func TestRunnerReleasesTheLeaseOnExit(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, "UTC", start) // the clock stays put: the lease cannot expire
	w.r.Interval = time.Hour
	// A loop reads the clock a second time only within the lease, for
	// the maintenance due: then a holds it.
	leading := make(chan struct{})
	var reads int
	w.r.Now = func() time.Time {
		if reads++; reads == 2 {
			close(leading)
		}
		return w.clock.Now()
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.r.Run(ctx) }()
	select {
	case <-leading:
	case err := <-done:
		t.Fatalf("Run ended before leading: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a never took the lease")
	}
	if l, ok, err := w.db.Acquire(t.Context(), statuspage.DefaultLeaseName, "b", time.Minute); ok || err != nil {
		t.Fatalf("b while a runs: ok %v (holder %s), err %v; want a's lease", ok, l.Holder, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if l, ok, err := w.db.Acquire(t.Context(), statuspage.DefaultLeaseName, "b", time.Minute); !ok || err != nil {
		t.Errorf("b after a's Run ended: ok %v (holder %s), err %v; want the lease at once", ok, l.Holder, err)
	}
}

// Regression test for issue 11 item 6: a receiver that hangs held the
// whole loop (reload, lease, maintenance) for the lease bound, 7 s in
// serve, every loop, and the cut attempt was never recorded. The loop
// starts the deliveries and goes on; the round, bounded by the lease,
// records the attempt that failed.
func TestRunnerDoesNotWaitForAHangingReceiver(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, "UTC", start)
	stop := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(stop) })
	if err := w.db.AddSubscriber(t.Context(), incident.Subscriber{ID: "hangs", URL: rcv.URL, Secret: "hanging-receiver-secret"}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.SetComponent(t.Context(), "api", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	w.r.LeaseTTL = 2 * time.Second // a round of 1.4 s
	w.r.Logger = slog.New(slog.DiscardHandler)
	w.r.Worker.Logger = slog.New(slog.DiscardHandler)
	w.r.Worker.AllowPrivate = true // the receiver is on loopback
	for i := range 3 {
		began := time.Now()
		if !w.r.Once(t.Context()) {
			t.Fatal("a does not lead")
		}
		if took := time.Since(began); took > 500*time.Millisecond {
			t.Errorf("loop %d took %s while a receiver hangs, want the loop not to wait for it", i, took)
		}
	}
	w.r.Wait()
	q, err := w.db.Queued(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Attempts != 1 || !strings.Contains(q[0].LastError, "deadline exceeded") {
		t.Errorf("outbox %+v, want one delivery tried once, failed by the round's deadline", q)
	}
	if err := w.r.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}
