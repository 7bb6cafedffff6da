package headroom

import (
	"context"
	"time"
)

// Signal is the kind of evidence an alert rests on.
type Signal string

const (
	// SignalCause: capacity is below what demand needs. It can fire before
	// users see errors, and names the decision (or the demand rise) that
	// left capacity short.
	SignalCause Signal = "cause"
	// SignalSymptom: users see it — the error budget burns faster than a
	// rule allows.
	SignalSymptom Signal = "symptom"
	// SignalBlind: the detector cannot see (metrics missing or stale). It
	// alerts operators and never opens a customer-facing incident.
	SignalBlind Signal = "blind"
)

// Severity says who an alert is for.
type Severity string

const (
	// SeverityPage wakes someone up.
	SeverityPage Severity = "page"
	// SeverityTicket is for working hours (a blind detector, say).
	SeverityTicket Severity = "ticket"
)

// Alert is a detector's finding about one target: what fired, since when,
// and why, in a sentence that names its evidence.
type Alert struct {
	Target string `json:"target"`
	Signal Signal `json:"signal"`
	// Rule names the rule that fired ("capacity", "burn-1h-5m", "fast").
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// StartsAt is when the rule first fired; EndsAt is zero while it
	// fires and the time it reset once it has.
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt,omitzero"`
	Reason   Reason    `json:"reason"`
}

// Firing reports whether the alert has not reset.
func (a Alert) Firing() bool { return a.EndsAt.IsZero() }

// Notifier hands alerts to whatever pages people (Alertmanager, say).
// Implementations: alert/alertmanager.
type Notifier interface {
	// Notify sends the current state of alerts: firing ones with a zero
	// EndsAt, resolved ones with theirs. Sending the same alert again is
	// how it is kept alive; it must be idempotent.
	//
	// Errors: *Error with code EUNAVAILABLE when the receiver cannot be
	// reached or refuses after the notifier's retries; EINVALID when it
	// rejects the alerts as malformed.
	Notify(ctx context.Context, alerts []Alert) error
}

// AlertRule is a symptom rule of the detector (package detect): it fires
// when the error budget burns at Factor times the rate the SLO allows over
// both windows, or when the mean latency over both is at or over Latency;
// once the condition held for For, until it has not held for
// KeepFiringFor.
type AlertRule struct {
	Name string `json:"name"`
	// Long and Short are the windows; a zero Short means one window.
	Long  time.Duration `json:"long"`
	Short time.Duration `json:"short,omitempty"`
	// Factor is the burn rate (error ratio over the SLO's budget) both
	// windows must reach; zero for no error condition.
	Factor float64 `json:"factor,omitempty"`
	// Latency is the mean latency both windows must reach; zero for no
	// latency condition.
	Latency       time.Duration `json:"latency,omitempty"`
	For           time.Duration `json:"for,omitempty"`
	KeepFiringFor time.Duration `json:"keepFiringFor,omitempty"`
	Severity      Severity      `json:"severity"`
}
