package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/postmortem"
)

// PostmortemSource is what a live postmortem is drafted from beyond the
// journal: the target, its incident, and the words and queries the config
// gives.
type PostmortemSource struct {
	Target   *Target
	Incident *incident.Incident
	// Components are the names of the incident's components.
	Components []string
	// Store names the journal for the sources ("data/headroom.db");
	// Queries are the target's Prometheus queries.
	Store   string
	Queries postmortem.Queries
	// Budget and MaxLatency are the target's SLO.
	Budget     float64
	MaxLatency time.Duration
	// Check is the check command that fails on the change, when known.
	Check string
	// Interval is the loop's (DefaultInterval when zero): the first
	// record's span.
	Interval time.Duration
}

// PostmortemInput gathers a target's record for its incident's postmortem:
// its loops from an hour before the incident started to its resolution (or
// now), the changes of capacity it made in enforce mode, and its alert log.
//
// Errors: the journal's.
func PostmortemInput(ctx context.Context, j headroom.Journal, src PostmortemSource, now time.Time) (postmortem.Input, error) {
	t, inc := src.Target, src.Incident
	from := inc.StartedAt
	if from.IsZero() || (!inc.CreatedAt.IsZero() && inc.CreatedAt.Before(from)) {
		from = inc.CreatedAt
	}
	from = from.Add(-time.Hour)
	to := inc.ResolvedAt
	if to.IsZero() {
		to = now
	}
	in := postmortem.Input{
		Title: inc.Name, Components: src.Components, Target: t.Name,
		Budget: src.Budget, MaxLatency: src.MaxLatency, From: from, To: to, Incident: inc,
		Record:  fmt.Sprintf("the journal of target %s in %s", t.Name, src.Store),
		Queries: src.Queries, Check: src.Check,
	}
	if a := t.Incident; a != nil {
		in.Service = a.Service
	}
	if p := t.Policy; p != nil {
		in.PolicyFile, in.Zone = p.File, p.Zone()
	}
	recs, err := j.Records(ctx, t.Name, from, to.Add(time.Second), 0)
	if err != nil {
		return in, fmt.Errorf("read decisions of %s: %w", t.Name, err)
	}
	loop := src.Interval
	if loop <= 0 {
		loop = DefaultInterval
	}
	var prev time.Time
	for _, r := range recs {
		interval := loop
		if !prev.IsZero() && r.Time.Sub(prev) > 0 && r.Time.Sub(prev) < 10*loop {
			interval = r.Time.Sub(prev)
		}
		prev = r.Time
		o := r.Observation
		s := postmortem.Sample{Time: r.Time, Interval: interval, Ready: r.Current.Ready, HasDemand: o.HasDemand, HasHealth: o.HasHealth}
		if o.HasDemand {
			s.Demand = o.Demand
			if t.Needed != nil {
				s.Needed = t.Needed(o.Demand)
			}
		}
		if o.HasHealth {
			s.ErrorRatio, s.Latency = o.ErrorRatio, o.Latency
		}
		in.Samples = append(in.Samples, s)
		// Only enforce mode changes capacity: guard mode records the floor
		// it holds every loop (applied, below the count when the floor is
		// under it), shadow mode what it would have done.
		if r.Applied && r.Mode == string(headroom.ModeEnforce) && r.Decision.Changed() {
			in.Decisions = append(in.Decisions, r.Decision)
		}
	}
	if in.Alerts, err = AlertLog(ctx, j, t.Name, from, to.Add(time.Second)); err != nil {
		return in, err
	}
	return in, nil
}
