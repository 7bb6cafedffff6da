package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/incident"
)

// detect runs t's detector on this loop: the same detector check runs on
// replayed traffic, here on what the loop read and decided. Its memory and
// the incident automation's live in the journal, so a restart during an
// alert neither pages again nor opens a second incident. Failures are
// recorded in r and never stop the loop.
func (c *Controller) detect(ctx context.Context, j headroom.Journal, k *kept, t *Target, now time.Time, current headroom.Capacity, obs headroom.Observation, metricsFailed bool, r *Record, log *slog.Logger) {
	d := k.detector
	if d == nil {
		var st detect.State
		if err := c.loadJSON(ctx, j, t.Name, detectorSlot, &st); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("load detector state: %v", err))
			return
		}
		d = detect.New(*t.Detect, st)
		k.detector, k.detSaved = d, savedKey{}
	}
	in := detect.Input{Now: now, Interval: c.Interval, Ready: current.Ready, Desired: current.Total()}
	if !metricsFailed && obs.HasDemand {
		in.Demand, in.HasDemand = obs.Demand, true
		if t.Needed != nil {
			in.Needed = t.Needed(obs.Demand)
		}
	}
	if !metricsFailed && obs.HasHealth {
		in.ErrorRatio, in.Latency, in.HasHealth = obs.ErrorRatio, obs.Latency, true
	}
	if r.Decision.Time.Equal(now) && r.Decision.Reason.Code != "" {
		in.Desired = r.Decision.Desired
		// A cut names its decision only when it happened: an applied
		// scale-in, not a shadow's or a guard-mode floor.
		if r.Applied && r.Decision.Desired < r.Decision.Current && headroom.Mode(r.Mode) == headroom.ModeEnforce {
			dec := r.Decision
			in.Decision = &dec
		}
	}
	out := d.Step(in)
	r.Alerts = out.Firing
	for _, a := range out.Started {
		log.Warn("alert", "signal", a.Signal, "rule", a.Rule, "severity", a.Severity, "reason", a.Reason.Code, "message", a.Reason.Message)
	}
	for _, a := range out.Ended {
		log.Info("alert resolved", "signal", a.Signal, "rule", a.Rule, "firedFor", a.EndsAt.Sub(a.StartsAt))
	}
	c.Metrics.alerts(t.Name, out.Firing)
	// Saved before the alerts are logged or told: a refused save (a fenced
	// write after the lease was lost) drops the kept detector, and the next
	// loop resumes from the journal's state, starting or ending the alerts
	// anew; logged now, an alert that starts again under a new StartsAt
	// would stay firing in the log, its entry never ended.
	if err := c.saveDetector(ctx, j, k, t.Name, now, out.Changed()); err != nil {
		r.Error = join(r.Error, fmt.Sprintf("save detector state: %v", err))
		return
	}
	if out.Changed() {
		if err := c.logAlerts(ctx, j, t.Name, out); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("log alerts: %v", err))
		}
	}
	if c.Notifier != nil && (len(out.Firing) > 0 || len(out.Ended) > 0) {
		if err := c.Notifier.Notify(ctx, append(append([]headroom.Alert(nil), out.Firing...), out.Ended...)); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("notify: %v", err))
			log.Warn("notify alerts", "err", err)
		}
	}
	if t.Incident != nil && c.Automator != nil {
		c.tell(ctx, j, t, now, obs, out, r, log)
	}
}

// saveDetector writes the detector's memory when its rules, alerts or
// cause changed (or force), or when the journal's copy of its history is
// Refresh old. A failed write forgets the kept detector: the next loop
// resumes from the journal's, as before the write.
func (c *Controller) saveDetector(ctx context.Context, j headroom.Journal, k *kept, target string, now time.Time, force bool) error {
	st := k.detector.State()
	key, err := detectorKey(st)
	if err != nil {
		return fmt.Errorf("encode detector state: %w", err)
	}
	if !force && !k.detSaved.due(key, now, c.refresh()) {
		return nil
	}
	if err := c.saveJSON(ctx, j, target, detectorSlot, st); err != nil {
		k.detector, k.detSaved = nil, savedKey{}
		return err
	}
	k.detSaved = savedKey{key: key, at: now}
	return nil
}

// tell moves the target's incident on.
func (c *Controller) tell(ctx context.Context, j headroom.Journal, t *Target, now time.Time, obs headroom.Observation, out detect.Output, r *Record, log *slog.Logger) {
	var st incident.AutoState
	if err := c.loadJSON(ctx, j, t.Name, incidentSlot, &st); err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load incident state: %v", err))
		return
	}
	// Capacity is being added only when headroom acts: an applied
	// scale-out or a deferred cut in enforce mode, a floor held above the
	// platform's minimum in guard mode; never a shadow's recommendation.
	var mitigating bool
	switch headroom.Mode(r.Mode) {
	case headroom.ModeEnforce:
		mitigating = (r.Applied && r.Decision.Desired > r.Decision.Current) || r.Decision.Reason.Code == headroom.ReasonScaleInDeferred
	case headroom.ModeGuard:
		mitigating = r.Applied && r.Decision.Desired > r.Decision.Min
	}
	in := incident.AutoInput{Now: now, Alerts: out.Firing, ErrorRatio: obs.ErrorRatio, Latency: obs.Latency, HasHealth: obs.HasHealth, Mitigating: mitigating}
	if d := t.Detect; d != nil && obs.HasHealth {
		in.Unhealthy = obs.ErrorRatio > d.Budget || (d.MaxLatency > 0 && obs.Latency > d.MaxLatency)
	}
	next, err := c.Automator.Step(ctx, *t.Incident, st, in)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("incident: %v", err))
		log.Error("incident automation", "err", err)
	}
	if next != st {
		if err := c.saveJSON(ctx, j, t.Name, incidentSlot, next); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("save incident state: %v", err))
		}
	}
}

// Alert log bounds: what a postmortem looks back on.
const (
	alertLogSlot = "alerts"
	alertLogMax  = 500
	alertLogKeep = 30 * 24 * time.Hour
)

// logAlerts keeps the alerts that started or ended in the target's alert
// log (the journal slot "alerts"): the detector's state holds only the
// latest of each rule, a postmortem needs the incident's.
func (c *Controller) logAlerts(ctx context.Context, j headroom.Journal, target string, out detect.Output) error {
	var log []headroom.Alert
	if err := c.loadJSON(ctx, j, target, alertLogSlot, &log); err != nil {
		return err
	}
	for _, a := range out.Ended {
		for i := len(log) - 1; i >= 0; i-- {
			if log[i].Rule == a.Rule && log[i].StartsAt.Equal(a.StartsAt) {
				log[i] = a
				break
			}
		}
	}
	log = append(log, out.Started...)
	if len(log) > 0 {
		newest := log[len(log)-1].StartsAt
		keep := 0
		for keep < len(log)-1 && (len(log)-keep > alertLogMax || (!log[keep].Firing() && newest.Sub(log[keep].EndsAt) > alertLogKeep)) {
			keep++
		}
		log = log[keep:]
	}
	return c.saveJSON(ctx, j, target, alertLogSlot, log)
}

// AlertLog returns target's logged alerts that started in [from, to),
// oldest first (zero bounds are open).
func AlertLog(ctx context.Context, j headroom.Journal, target string, from, to time.Time) ([]headroom.Alert, error) {
	data, ok, err := j.State(ctx, target, alertLogSlot)
	if err != nil || !ok {
		return nil, err
	}
	var log []headroom.Alert
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, fmt.Errorf("decode alert log: %w", err)
	}
	var out []headroom.Alert
	for _, a := range log {
		if (from.IsZero() || !a.StartsAt.Before(from)) && (to.IsZero() || a.StartsAt.Before(to)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// loadJSON decodes the journal's state of target and slot into v; v is
// left as it is when there is none.
func (c *Controller) loadJSON(ctx context.Context, j headroom.Journal, target, slot string, v any) error {
	data, ok, err := j.State(ctx, target, slot)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s state: %w", slot, err)
	}
	return nil
}

// saveJSON keeps v as target's state in slot, even when the loop's context
// ended meanwhile (a shutdown).
func (c *Controller) saveJSON(ctx context.Context, j headroom.Journal, target, slot string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s state: %w", slot, err)
	}
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	return j.SaveState(rec, target, slot, data)
}

// Firing returns the alerts firing for target after its last loop, from
// its detector's state in the journal: what the decisions page shows.
func Firing(ctx context.Context, j headroom.Journal, target string) ([]headroom.Alert, error) {
	data, ok, err := j.State(ctx, target, detectorSlot)
	if err != nil || !ok {
		return nil, err
	}
	var st detect.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode detector state: %w", err)
	}
	return st.Firing(), nil
}
