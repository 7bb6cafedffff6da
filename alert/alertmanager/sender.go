package alertmanager

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

var _ headroom.Notifier = (*Sender)(nil)

// Defaults of a Sender's tunables.
const (
	// DefaultResendInterval is how often a firing alert is sent again.
	// Alertmanager expects "clients ... to continuously re-send alerts as
	// long as they are still active (usually on the order of 30 seconds to
	// 3 minutes)" (https://prometheus.io/docs/alerting/latest/clients/);
	// Prometheus resends every minute (--rules.alert.resend-delay=1m,
	// https://prometheus.io/docs/prometheus/latest/command-line/prometheus/),
	// well inside Alertmanager's default resolve_timeout of 5m
	// (https://prometheus.io/docs/alerting/latest/configuration/).
	DefaultResendInterval = time.Minute
	// DefaultTick is how often Run looks for what is due when no new
	// state wakes it.
	DefaultTick = time.Second
	// DefaultRetryBackoff is the wait after a failed delivery; it doubles
	// with each failure in a row up to the resend interval.
	DefaultRetryBackoff = 5 * time.Second
	// DefaultResolvedRetention is how long a delivered resolved alert is
	// remembered, so that the same resolved state handed over again is
	// not sent again: Prometheus keeps resolved alerts for 15 minutes
	// (rules/alerting.go, resolvedRetention).
	DefaultResolvedRetention = 15 * time.Minute
)

// Sender is a headroom.Notifier whose Notify never waits for Alertmanager:
// it records the latest state of each alert, and Run delivers it through
// Notifier (a Client) in the background.
//
// Run sends an alert when its state is new (it started firing, fired
// again or resolved) and resends a firing alert every Interval, so that
// Alertmanager keeps it active. A resolved alert is sent until delivered,
// then never again: it is remembered for ResolvedRetention only so that
// the same state handed over again is not resent. A failed delivery keeps everything for the next attempt,
// after RetryBackoff (doubling up to Interval); a newer state handed over
// meanwhile replaces the older one, so Alertmanager gets the latest.
//
// Alerts are keyed by the labels that identify them in Alertmanager
// (target, signal, rule, severity). What a Sender holds lives in memory:
// after a restart the caller hands the current state over again (the
// detector's state is in the journal).
//
// Zero tunables take the Default values; NewSender sets them. Notifier is
// required.
type Sender struct {
	// Notifier delivers the alerts (a *Client); its Notify may block.
	Notifier headroom.Notifier
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Interval is how often a firing alert is resent. Keep it well
	// under the Client's ValidFor (4 × DefaultResendInterval by default)
	// and Alertmanager's resolve_timeout, or Alertmanager resolves firing
	// alerts between two sends.
	Interval time.Duration
	// Tick is how often Run looks for what is due.
	Tick time.Duration
	// RetryBackoff is the wait after a failed delivery, doubling with
	// each failure in a row up to Interval.
	RetryBackoff time.Duration
	// ResolvedRetention is how long a delivered resolved alert is
	// remembered.
	ResolvedRetention time.Duration
	// Logger receives failed deliveries; slog.Default when nil.
	Logger *slog.Logger
	// Metrics' Pending gauge follows what waits; nil for none.
	Metrics *Metrics

	once    sync.Once
	wake    chan struct{}
	mu      sync.Mutex
	alerts  map[alertKey]*entry
	backoff time.Duration // the current wait after a failure; 0 after a success
	retryAt time.Time     // no delivery before this, after a failure
}

// alertKey identifies an alert as Alertmanager does: by its labels.
type alertKey struct {
	target   string
	signal   headroom.Signal
	rule     string
	severity headroom.Severity
}

func keyOf(a headroom.Alert) alertKey {
	return alertKey{target: a.Target, signal: a.Signal, rule: a.Rule, severity: a.Severity}
}

// entry is one alert's latest state and where its delivery stands.
type entry struct {
	alert headroom.Alert
	// version grows with each state handed over; episode is the version
	// that last started, ended or moved the alert (newEpisode), and
	// delivered the newest version Alertmanager accepted. A delivery
	// that finishes after a newer Notify marks only what it carried.
	version, episode, delivered uint64
	// sentAt is when a state was last delivered.
	sentAt time.Time
}

// unsent says whether Alertmanager lacks the alert's current episode.
func (e *entry) unsent() bool { return e.delivered < e.episode }

// NewSender returns a Sender delivering through n with the default
// tunables.
func NewSender(n headroom.Notifier) *Sender {
	return &Sender{Notifier: n, Interval: DefaultResendInterval, Tick: DefaultTick, RetryBackoff: DefaultRetryBackoff,
		ResolvedRetention: DefaultResolvedRetention}
}

func (s *Sender) init() {
	s.once.Do(func() {
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Interval <= 0 {
			s.Interval = DefaultResendInterval
		}
		if s.Tick <= 0 {
			s.Tick = DefaultTick
		}
		if s.RetryBackoff <= 0 {
			s.RetryBackoff = DefaultRetryBackoff
		}
		if s.ResolvedRetention <= 0 {
			s.ResolvedRetention = DefaultResolvedRetention
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		s.wake = make(chan struct{}, 1)
		s.alerts = map[alertKey]*entry{}
	})
}

// Notify records alerts' states for Run to deliver and returns at once;
// it never waits for Alertmanager. A state that differs from the one held
// only in its reason is not sent at once: it goes with the next resend.
//
// Errors: EINVALID for an alert Alertmanager could not take (see
// Validate); the valid ones of the batch are recorded all the same.
func (s *Sender) Notify(ctx context.Context, alerts []headroom.Alert) error {
	s.init()
	var firstErr error
	changed := false
	s.mu.Lock()
	for _, a := range alerts {
		if err := Validate(a); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		k := keyOf(a)
		e, ok := s.alerts[k]
		if !ok {
			e = &entry{}
			s.alerts[k] = e
		}
		e.version++
		if !ok || newEpisode(e.alert, a) {
			e.episode = e.version
			changed = true
		}
		e.alert = a
	}
	s.Metrics.pending(s.countUnsent())
	s.mu.Unlock()
	if changed {
		select {
		case s.wake <- struct{}{}:
		default: // Run is already woken
		}
	}
	return firstErr
}

// Forget drops every alert held: this process no longer leads, and the
// leader now sends the alerts' states. Without it this process would keep
// resending a firing alert the leader has resolved since, firing it again.
func (s *Sender) Forget() {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.alerts)
	s.Metrics.pending(0)
}

// newEpisode says whether b is a state Alertmanager must get now after a:
// the alert resolved, fired again, or started at another time.
func newEpisode(a, b headroom.Alert) bool {
	return a.Firing() != b.Firing() || !a.StartsAt.Equal(b.StartsAt) || !a.EndsAt.Equal(b.EndsAt)
}

// Run delivers what is due whenever Notify hands over a new state and
// every Tick, until ctx ends; it returns ctx's error. A delivery in
// flight is cancelled with ctx; what it carried stays unsent.
func (s *Sender) Run(ctx context.Context) error {
	s.init()
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		_ = s.Once(ctx) // a failure is logged and retried; Run goes on
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Once delivers what is due now in one batch and returns when the
// Notifier has answered: for Run, tests and a last flush at shutdown. It
// returns the delivery's error, nil when nothing was due.
func (s *Sender) Once(ctx context.Context) error {
	s.init()
	now := s.Now()
	s.mu.Lock()
	if now.Before(s.retryAt) {
		s.mu.Unlock()
		return nil
	}
	var batch []headroom.Alert
	// What the batch carries, by entry: a Forget and a Notify during the
	// delivery make a new entry whose versions start again, which this
	// delivery must not mark.
	carried := map[*entry]uint64{}
	for k, e := range s.alerts {
		if !e.alert.Firing() && !e.unsent() && !now.Before(e.sentAt.Add(s.ResolvedRetention)) {
			delete(s.alerts, k) // delivered long enough ago
			continue
		}
		resendDue := e.alert.Firing() && !now.Before(e.sentAt.Add(s.Interval))
		if e.unsent() || resendDue {
			batch = append(batch, e.alert)
			carried[e] = e.version
		}
	}
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}

	err := s.Notifier.Notify(ctx, batch)
	if err != nil && ctx.Err() != nil {
		// Shutting down: the delivery was cut short by us; everything
		// stays as it was.
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.Metrics.pending(s.countUnsent()) }()
	switch {
	case err == nil:
	case headroom.ErrorCode(err) == headroom.EINVALID:
		// Sending the same batch again would be refused again: it counts
		// as delivered (firing alerts are tried again at their resend),
		// so that one bad alert does not hold up the others for good.
		s.Logger.Error("alertmanager: alerts refused", "alerts", len(batch), "err", err)
	default:
		s.backoff = min(max(2*s.backoff, s.RetryBackoff), s.Interval)
		s.retryAt = now.Add(s.backoff)
		s.Logger.Warn("alertmanager: delivery failed; the alerts are kept for another attempt",
			"alerts", len(batch), "retry_in", s.backoff, "err", err)
		return err
	}
	s.backoff, s.retryAt = 0, time.Time{}
	for e, v := range carried {
		if s.alerts[keyOf(e.alert)] == e {
			e.delivered = max(e.delivered, v)
			e.sentAt = now
		}
	}
	return err
}

// Pending returns the number of alerts whose latest state Alertmanager
// does not have yet.
func (s *Sender) Pending() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countUnsent()
}

// Firing returns the number of firing alerts the Sender keeps alive.
func (s *Sender) Firing() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.alerts {
		if e.alert.Firing() {
			n++
		}
	}
	return n
}

func (s *Sender) countUnsent() int {
	n := 0
	for _, e := range s.alerts {
		if e.unsent() {
			n++
		}
	}
	return n
}
