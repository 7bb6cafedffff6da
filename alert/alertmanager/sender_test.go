package alertmanager

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeNotifier records the batches it is given and answers with err.
type fakeNotifier struct {
	mu      sync.Mutex
	batches [][]headroom.Alert
	err     error
	// block, when set, holds each Notify until it is closed or ctx ends.
	block chan struct{}
	// during runs inside Notify, before it answers.
	during func()
}

func (f *fakeNotifier) Notify(ctx context.Context, alerts []headroom.Alert) error {
	f.mu.Lock()
	f.batches = append(f.batches, append([]headroom.Alert(nil), alerts...))
	block, during, err := f.block, f.during, f.err
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if during != nil {
		during()
	}
	return err
}

// sent returns the batches so far as "target/signal/rule:firing|resolved"
// lines, sorted within each batch, and forgets them.
func (f *fakeNotifier) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.batches {
		var items []string
		for _, a := range b {
			state := "firing"
			if !a.Firing() {
				state = "resolved"
			}
			items = append(items, a.Target+"/"+string(a.Signal)+"/"+a.Rule+":"+state)
		}
		sort.Strings(items)
		out = append(out, strings.Join(items, " "))
	}
	f.batches = nil
	return out
}

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testSender(t *testing.T, n headroom.Notifier) (*Sender, *clock, *Metrics) {
	t.Helper()
	clk := &clock{now: t0}
	s := NewSender(n)
	s.Now = clk.Now
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.Metrics = NewMetrics(prometheus.NewRegistry())
	return s, clk, s.Metrics
}

func notify(t *testing.T, s *Sender, alerts ...headroom.Alert) {
	t.Helper()
	if err := s.Notify(t.Context(), alerts); err != nil {
		t.Fatal(err)
	}
}

func once(t *testing.T, s *Sender) {
	t.Helper()
	_ = s.Once(t.Context())
}

func wantSent(t *testing.T, f *fakeNotifier, want ...string) {
	t.Helper()
	got := f.sent()
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("batches sent:\ngot  %q\nwant %q", got, want)
	}
}

func TestSenderResendsFiringAlerts(t *testing.T) {
	f := &fakeNotifier{}
	s, clk, _ := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")

	// Handed over again each loop, it is not sent again before Interval,
	// even when only its reason's numbers changed.
	clk.Add(15 * time.Second)
	again := firing
	again.Reason.Message = "demand needs 31"
	notify(t, s, again)
	once(t, s)
	wantSent(t, f)

	clk.Add(s.Interval - 15*time.Second)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
}

func TestSenderResendCarriesLatestReason(t *testing.T) {
	f := &fakeNotifier{}
	s, clk, _ := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	again := firing
	again.Reason.Message = "demand needs 31"
	notify(t, s, again)
	clk.Add(s.Interval)
	f.mu.Lock()
	f.batches = nil
	f.mu.Unlock()
	once(t, s)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) != 1 || f.batches[0][0].Reason.Message != "demand needs 31" {
		t.Fatalf("resend: got %+v, want the latest reason", f.batches)
	}
}

func TestSenderResolvedOnceThenForgotten(t *testing.T) {
	f := &fakeNotifier{}
	s, clk, m := testSender(t, f)
	notify(t, s, firing, blind)
	once(t, s)
	wantSent(t, f, "web/blind/stale:firing web/cause/capacity:firing")

	clk.Add(10 * time.Second)
	notify(t, s, resolve(blind, clk.Now()))
	once(t, s)
	wantSent(t, f, "web/blind/stale:resolved")
	if got := s.Firing(); got != 1 {
		t.Errorf("firing alerts kept: got %d, want 1", got)
	}

	// The detector hands the same resolved state over again: not resent,
	// nor at the next resend of the firing one.
	notify(t, s, resolve(blind, clk.Now()))
	once(t, s)
	wantSent(t, f)
	clk.Add(s.Interval)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
	if got := testutil.ToFloat64(m.Pending); got != 0 {
		t.Errorf("pending: got %v, want 0", got)
	}

	// It fires again: a new episode, sent at once.
	clk.Add(time.Second)
	again := blind
	again.StartsAt = clk.Now()
	notify(t, s, again)
	once(t, s)
	wantSent(t, f, "web/blind/stale:firing")
}

func TestSenderKeepsStateWhileAlertmanagerIsDown(t *testing.T) {
	f := &fakeNotifier{err: headroom.Errorf(headroom.EUNAVAILABLE, "alertmanager down")}
	s, clk, m := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
	if got := s.Pending(); got != 1 {
		t.Fatalf("pending after a failure: got %d, want 1", got)
	}
	if got := testutil.ToFloat64(m.Pending); got != 1 {
		t.Errorf("pending gauge: got %v, want 1", got)
	}

	// Not before the backoff, which doubles with each failure in a row.
	once(t, s)
	wantSent(t, f)
	clk.Add(DefaultRetryBackoff)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
	clk.Add(DefaultRetryBackoff)
	once(t, s)
	wantSent(t, f)
	clk.Add(DefaultRetryBackoff)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")

	// Meanwhile the alert resolves: Alertmanager, once back, gets the
	// resolved state (the latest), and the Sender forgets it.
	notify(t, s, resolve(firing, clk.Now()))
	f.mu.Lock()
	f.err = nil
	f.mu.Unlock()
	clk.Add(4 * DefaultRetryBackoff)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:resolved")
	if s.Pending() != 0 || s.Firing() != 0 {
		t.Errorf("after delivery: pending %d, firing %d, want 0 and 0", s.Pending(), s.Firing())
	}
}

func TestSenderBackoffCappedAtInterval(t *testing.T) {
	f := &fakeNotifier{err: headroom.Errorf(headroom.EUNAVAILABLE, "down")}
	s, clk, _ := testSender(t, f)
	notify(t, s, firing)
	for range 10 {
		clk.Add(s.Interval)
		once(t, s)
	}
	if got := len(f.sent()); got != 10 {
		t.Errorf("attempts at one per Interval: got %d, want 10", got)
	}
}

// A state handed over while a delivery is in flight is not lost: the
// delivery marks only what it carried.
// A newer state handed over during a delivery is still sent: the delivery
// marks only the state it carried. With forget, the lease is lost and won
// again meanwhile (Forget, then a new entry whose versions count from 1).
func TestSenderNewerStateDuringDelivery(t *testing.T) {
	for _, forget := range []bool{false, true} {
		f := &fakeNotifier{}
		s, clk, _ := testSender(t, f)
		f.during = func() {
			f.mu.Lock()
			f.during = nil
			f.mu.Unlock()
			if forget {
				s.Forget()
			}
			clk.Add(time.Second)
			notify(t, s, resolve(firing, clk.Now()))
		}
		notify(t, s, firing)
		once(t, s)
		wantSent(t, f, "web/cause/capacity:firing")
		if got := s.Pending(); got != 1 {
			t.Fatalf("forget %v: pending: got %d, want 1 (the resolved state)", forget, got)
		}
		once(t, s)
		wantSent(t, f, "web/cause/capacity:resolved")
	}
}

// Notify returns at once however long Alertmanager takes.
func TestSenderNotifyNeverBlocks(t *testing.T) {
	f := &fakeNotifier{block: make(chan struct{})}
	s, _, _ := testSender(t, f)
	s.Now = time.Now
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	notify(t, s, firing)
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		inFlight := len(f.batches)
		f.mu.Unlock()
		if inFlight > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not start a delivery")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The delivery hangs; the loop goes on handing states over.
	start := time.Now()
	for i := range 100 {
		a := blind
		a.Target = "t" + string(rune('a'+i%26))
		notify(t, s, a)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("100 Notify calls during a hung delivery took %s", elapsed)
	}
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run: got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
	if got := s.Pending(); got != 27 {
		t.Errorf("pending after shutdown: got %d, want 27 (nothing was delivered)", got)
	}
}

func TestSenderRefusesInvalidAlerts(t *testing.T) {
	f := &fakeNotifier{}
	s, _, _ := testSender(t, f)
	bad := firing
	bad.Target = ""
	err := s.Notify(t.Context(), []headroom.Alert{bad, blind})
	if headroom.ErrorCode(err) != headroom.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
	once(t, s)
	wantSent(t, f, "web/blind/stale:firing")
}

// A batch Alertmanager refuses as malformed is not sent again and again:
// the firing alerts in it wait for their resend.
func TestSenderInvalidBatchNotHammered(t *testing.T) {
	f := &fakeNotifier{err: headroom.Errorf(headroom.EINVALID, "bad")}
	s, clk, _ := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
	clk.Add(s.Interval)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
}

// A severity change is another alert for Alertmanager: both are kept,
// the old one until the caller resolves it.
func TestSenderKeysByLabels(t *testing.T) {
	f := &fakeNotifier{}
	s, clk, _ := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	f.sent()
	ticket := firing
	ticket.Severity = headroom.SeverityTicket
	notify(t, s, ticket, resolve(firing, clk.Now()))
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing web/cause/capacity:resolved")
	if got := s.Firing(); got != 1 {
		t.Errorf("firing: got %d, want 1", got)
	}
}

// A process that stops leading forgets its alerts: it must not keep
// resending one the new leader resolved.
func TestSenderForgetStopsResends(t *testing.T) {
	f := &fakeNotifier{}
	s, clk, m := testSender(t, f)
	notify(t, s, firing)
	once(t, s)
	wantSent(t, f, "web/cause/capacity:firing")
	s.Forget()
	clk.Add(2 * s.Interval)
	once(t, s)
	wantSent(t, f)
	if s.Firing() != 0 || testutil.ToFloat64(m.Pending) != 0 {
		t.Errorf("after Forget: %d firing, pending gauge %v; want none", s.Firing(), testutil.ToFloat64(m.Pending))
	}
}
