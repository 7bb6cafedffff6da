package detect

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// Defaults of the fields a Config leaves zero.
const (
	// DefaultResolution is the width of one bucket of history: the live
	// loop's interval, so each loop fills one bucket.
	DefaultResolution = 15 * time.Second
	// DefaultCauseAfter is how long ready capacity may stay below need
	// before the cause alert fires: "for more than one loop" — a single
	// short loop is a scale-out on its way.
	DefaultCauseAfter = 15 * time.Second
	// DefaultCauseReset is how long capacity must be back at need before
	// the cause alert resets.
	DefaultCauseReset = time.Minute
	// DefaultStaleAfter is how long the detector may go without a sample
	// before it says it is blind: the blind guard's default.
	DefaultStaleAfter = 2 * time.Minute
)

// Config is a detector of one target.
type Config struct {
	// Target names the target in every alert.
	Target string
	// Budget is the share of requests the SLO lets fail (maxErrorRatio):
	// a burn rate of 1 spends exactly it.
	Budget float64
	// MaxLatency is the SLO's mean latency, for latency rules and
	// messages; zero when the SLO has none.
	MaxLatency time.Duration
	// StartupDelay is the service's launch → ready time, named when demand
	// rose faster than capacity could follow.
	StartupDelay time.Duration
	// Rules are the symptom rules; DefaultRules when nil.
	Rules []Rule
	// Resolution is the width of a bucket of history; windows are whole
	// buckets. DefaultResolution when zero.
	Resolution time.Duration
	// CauseAfter, CauseReset, StaleAfter: DefaultCauseAfter,
	// DefaultCauseReset and DefaultStaleAfter when zero.
	CauseAfter, CauseReset, StaleAfter time.Duration
}

// ForService returns the detector of svc: its SLO's budget and latency,
// its start-up delay, and the rules of its `detection:` block (the
// defaults when it has none).
func ForService(svc *headroom.Service) Config {
	return Config{Target: svc.Name, Budget: svc.SLO.MaxErrorRatio, MaxLatency: svc.SLO.MaxLatency,
		StartupDelay: svc.StartupDelay, Rules: svc.Detection}
}

// withDefaults returns c with every zero field at its default.
func (c Config) withDefaults() Config {
	if c.Rules == nil {
		c.Rules = DefaultRules(c.MaxLatency)
	}
	if c.Resolution <= 0 {
		c.Resolution = DefaultResolution
	}
	if c.CauseAfter <= 0 {
		c.CauseAfter = DefaultCauseAfter
	}
	if c.CauseReset <= 0 {
		c.CauseReset = DefaultCauseReset
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	return c
}

// Input is one evaluation: what happened since the previous one.
type Input struct {
	Now time.Time
	// Interval is how long the sample describes, ending at Now: the time
	// since the previous evaluation in a simulation, the loop interval
	// live.
	Interval time.Duration
	// Demand is the request rate in requests/s; ErrorRatio the share of
	// them that failed; Latency the mean response time. HasDemand and
	// HasHealth are false when the metrics are missing.
	Demand     float64
	ErrorRatio float64
	Latency    time.Duration
	HasDemand  bool
	HasHealth  bool
	// Ready and Desired are the capacity now and the count last asked for.
	Ready, Desired int
	// Needed is how many ready instances Demand needs to keep the SLO,
	// from the service model; zero when unknown (no cause alert then).
	// Only its comparisons with Ready and a cut's Desired count while
	// capacity is enough: any count from the need up to the smaller of
	// the two does the same (the simulator passes that count when the
	// model says it is enough, sparing a search).
	Needed int
	// Decision is the decision made at Now, if any: a cut that leaves
	// capacity below need fires the cause alert at once, naming it.
	Decision *headroom.Decision
}

// Output is what an evaluation found.
type Output struct {
	// Firing is every alert firing after this evaluation.
	Firing []headroom.Alert
	// Started and Ended are the alerts that began and reset at this
	// evaluation (Ended ones have EndsAt set): what a notifier or an
	// incident acts on.
	Started, Ended []headroom.Alert
}

// Changed reports whether an alert began or reset.
func (o Output) Changed() bool { return len(o.Started)+len(o.Ended) > 0 }

// Detector evaluates one target's signals. It is not safe for concurrent
// use; a controller keeps one per target.
type Detector struct {
	cfg Config
	st  State
	// pruned is set once the states of removed rules were dropped: only
	// the state given to New can hold them.
	pruned bool
	// at is the history's view at the step being evaluated; reaches the
	// rules' long and short windows, in rule order.
	at      view
	reaches [][2]reach
	// A healthy stretch needs no rule evaluated (see quiet): watching is
	// this detector's first step, latest the newest step's time (or the
	// end of a resumed history's newest bucket, if later), lastBad
	// that of the newest sample that could make a rule hold (at least
	// latest's start: a resumed history may hold some), horizon how
	// far back a rule's short window reaches, minLatency the lowest latency
	// rule's bound (0: none).
	watching, latest, lastBad time.Time
	horizon, minLatency       time.Duration
	// alwaysEvaluate turns quiet off: the tests' reference.
	alwaysEvaluate bool
	// changed is set by the step's first alert that fires or resets, and
	// before holds the alerts firing until then: most steps change none,
	// and need no copy of them to compare with (see change).
	changed bool
	before  []headroom.Alert
}

// New returns a detector with cfg's defaults filled in, resuming from st
// (the zero State for a new one).
func New(cfg Config, st State) *Detector {
	cfg = cfg.withDefaults()
	d := &Detector{cfg: cfg, st: st.clone()}
	d.st.History.setResolution(cfg.Resolution, cfg.longest())
	for _, r := range cfg.Rules {
		d.reaches = append(d.reaches, [2]reach{d.st.History.reach(r.Long), d.st.History.reach(r.Short)})
		if r.Latency > 0 && (d.minLatency == 0 || r.Latency < d.minLatency) {
			d.minLatency = r.Latency
		}
	}
	// A rule holds only if its short window (its long one when it has
	// none) holds, and a window is whole buckets up to the one holding
	// now: it reaches a bucket further back than its length.
	for _, r := range cfg.Rules {
		w := r.Short
		if w <= 0 {
			w = r.Long
		}
		d.horizon = max(d.horizon, w)
	}
	d.horizon += CoarseResolution + 2*cfg.Resolution
	// A resumed history may hold failures up to its newest bucket, and a
	// clock behind it counts every sample there: date them from its end.
	d.latest = d.st.History.newestEnd()
	d.lastBad = d.latest
	return d
}

// Config returns the configuration in force, defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// State returns a copy of the detector's memory, to keep.
func (d *Detector) State() State { return d.st.clone() }

// Firing returns the alerts firing now.
func (d *Detector) Firing() []headroom.Alert { return d.st.firing() }

// Step evaluates the signals at in.Now. Inputs come in time order; a
// sample older than the newest bucket (a clock stepping back) is counted in
// the newest bucket, and the rules are evaluated as usual.
func (d *Detector) Step(in Input) Output {
	out := d.Advance(&in)
	out.Firing = d.st.firing()
	return out
}

// Advance is Step without Output.Firing, for a caller that keeps the
// alerts from those that began and reset (the simulator, at every
// simulated loop): the alerts firing are not copied out, nor the input,
// which it reads where the caller built it.
func (d *Detector) Advance(in *Input) Output {
	d.changed, d.before = false, nil
	var gone []headroom.Alert
	if !d.pruned {
		d.change()
		gone, d.pruned = d.dropRemoved(in.Now), true
	}
	if d.watching.IsZero() {
		d.watching = in.Now
	}
	if in.Now.After(d.latest) {
		d.latest = in.Now
	}
	if in.HasDemand && finite(in.Demand) {
		d.st.LastSample = in.Now
		s := sample(in)
		if d.couldHold(&s, in) {
			// Counted in the newest bucket, whatever its time.
			d.lastBad = d.latest
		}
		d.st.History.add(in.Now, &s)
	}
	d.at = d.st.History.at(in.Now)
	blind := d.blind(in.Now)
	if !blind {
		d.cause(in)
		if !d.quiet(in.Now) {
			for i, r := range d.cfg.Rules {
				d.symptom(r, d.reaches[i], in.Now)
			}
		}
	}
	if !d.changed {
		return Output{}
	}
	return Output{Started: diff(d.st.firing(), d.before), Ended: append(gone, ended(d.st.Alerts, d.before, in.Now)...)}
}

// change is called before an alert fires or resets: the step's first
// keeps the alerts firing until then, to tell what began and reset.
func (d *Detector) change() {
	if !d.changed {
		d.changed, d.before = true, d.st.firing()
	}
}

// couldHold says whether sample s could make a rule hold while it is in
// a window: a burn rate needs a failed request, a mean latency at a
// latency rule's bound needs one sample at it (less a millionth for the
// running sums' rounding), or one so small beside the running sums that
// a window of such samples rounds by more (see roundingShare).
func (d *Detector) couldHold(s *Totals, in *Input) bool {
	if s.Failed > 0 {
		return true
	}
	if d.minLatency == 0 || s.Healthy <= 0 {
		return false
	}
	if float64(in.Latency) >= float64(d.minLatency)*(1-1e-6) {
		return true
	}
	for _, r := range [2]*Ring{&d.st.History.Fine, &d.st.History.Coarse} {
		if s.Healthy < roundingShare*r.Sum.Healthy || s.LatencySum > 0 && s.LatencySum < roundingShare*r.Sum.LatencySum {
			return true
		}
	}
	return false
}

// roundingShare is the smallest share of a running sum a sample may be
// and still leave a window's mean latency within a millionth: each
// addition rounds by up to float64's 1.1e-16 of the sum, a ten-millionth of
// a sample of a billionth of it, and a window's sums are whole samples.
// Two days at 10 million req/s then 0.001 req/s rounded a trickle 0.01% under
// the bound to 301 ms over 300 (TestQuietBesideLargeRunningSums).
const roundingShare = 1e-9

// quiet says whether no rule can hold at now and none is pending or
// firing, so evaluating them would change nothing: no sample that could
// make one hold is in any window (nor, for a detector resumed from a saved
// state, could be: its first horizon is evaluated in full). It saves most
// of a healthy step's work: check runs one every 15 simulated seconds.
func (d *Detector) quiet(now time.Time) bool {
	since := d.watching
	if d.lastBad.After(since) {
		since = d.lastBad
	}
	if d.alwaysEvaluate || now.Sub(since) <= d.horizon {
		return false
	}
	for _, r := range d.cfg.Rules {
		rs := d.st.find(r.Name)
		if rs == nil || rs.Active != nil || !rs.PendingSince.IsZero() {
			return false
		}
	}
	return true
}

// dropRemoved resolves at now the alerts of rules no longer configured (a
// detector resumed after its rules were removed or renamed), returning
// them, and forgets those rules' states: Step evaluates only the
// configured rules, so nothing else would ever end such an alert.
func (d *Detector) dropRemoved(now time.Time) []headroom.Alert {
	var gone []headroom.Alert
	d.st.Alerts = slices.DeleteFunc(d.st.Alerts, func(rs RuleState) bool {
		if d.configured(rs.Name) {
			return false
		}
		if rs.Active != nil {
			a := *rs.Active
			a.EndsAt = now
			gone = append(gone, a)
		}
		return true
	})
	return gone
}

// configured reports whether rule state name is a configured rule's or a
// built-in signal's.
func (d *Detector) configured(name string) bool {
	if name == ruleCause || name == ruleBlind {
		return true
	}
	for _, r := range d.cfg.Rules {
		if r.Name == name {
			return true
		}
	}
	return false
}

// sample turns an input into the request counts it stands for.
func sample(in *Input) Totals {
	secs := in.Interval.Seconds()
	req := max(in.Demand, 0) * secs
	t := Totals{Requests: req, Seconds: secs}
	if in.HasHealth {
		// Only requests with health data say anything of errors and
		// latency: the others count in the demand rate alone.
		t.Healthy = req
		if finite(in.ErrorRatio) {
			t.Failed = req * min(max(in.ErrorRatio, 0), 1)
		}
		t.LatencySum = req * max(in.Latency.Seconds(), 0)
	}
	return t
}

// blind fires the blind alert when no sample came for StaleAfter (since
// the detector started, when none ever came), and resets it at the next
// sample. It reports whether the signals cannot be evaluated.
func (d *Detector) blind(now time.Time) bool {
	if d.st.Started.IsZero() {
		d.st.Started = now
	}
	last := d.st.LastSample
	ref := last
	if ref.IsZero() {
		ref = d.st.Started
	}
	rs := d.st.rule(ruleBlind)
	if now.Sub(ref) >= d.cfg.StaleAfter {
		if rs.Active == nil {
			since := fmt.Sprintf("since the detector started at %s", utc(ref))
			if !last.IsZero() {
				since = fmt.Sprintf("for %s (the last at %s)", now.Sub(last).Round(time.Second), utc(last))
			}
			d.fire(rs, headroom.SignalBlind, headroom.SeverityTicket, now, headroom.Reason{Code: headroom.ReasonBlind,
				Message: fmt.Sprintf("no demand sample %s: the detector cannot see this target; blindness never opens a customer incident", since)})
		}
		return true
	}
	d.resolve(rs, now)
	return last.IsZero()
}

// fire starts an alert for rule state rs.
func (d *Detector) fire(rs *RuleState, signal headroom.Signal, sev headroom.Severity, now time.Time, why headroom.Reason) {
	d.change()
	rs.Active = &headroom.Alert{Target: d.cfg.Target, Signal: signal, Rule: rs.Name, Severity: sev, StartsAt: now, Reason: why}
}

// resolve ends rs's alert at now.
func (d *Detector) resolve(rs *RuleState, now time.Time) {
	if rs.Active == nil {
		return
	}
	d.change()
	a := *rs.Active
	a.EndsAt = now
	rs.Active = nil
	rs.Last = &a
}

// diff returns the alerts of after that are not in before (by rule).
func diff(after, before []headroom.Alert) []headroom.Alert {
	var out []headroom.Alert
	for _, a := range after {
		found := false
		for _, b := range before {
			if a.Rule == b.Rule && a.StartsAt.Equal(b.StartsAt) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// ended returns the alerts of before that reset at now.
func ended(rules []RuleState, before []headroom.Alert, now time.Time) []headroom.Alert {
	var out []headroom.Alert
	for _, b := range before {
		for _, rs := range rules {
			if rs.Name == b.Rule && rs.Active == nil && rs.Last != nil && rs.Last.StartsAt.Equal(b.StartsAt) && rs.Last.EndsAt.Equal(now) {
				out = append(out, *rs.Last)
			}
		}
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// utc formats t as the reports do: "17:00:15 UTC".
func utc(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }
