package recommend

import (
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/sim"
)

// Tortoise's horizontal rule and defaults, from its documentation:
// https://github.com/mercari/tortoise/blob/main/docs/horizontal.md ("max{replica
// numbers at the same time on the same weekday} * 2" for maxReplicas, "* 1/2"
// for minReplicas, "only takes the num of replicas of the last 4 weeks into
// consideration") and
// https://github.com/mercari/tortoise/blob/main/docs/configuration.md
// (RangeOfMinMaxReplicasRecommendationHours 1, MinMaxReplicasRecommendationType
// weekly, MaxReplicasFactor 2.0, MinReplicasFactor 0.5, MinimumMinReplicas 3).
const (
	tortoiseHistory    = 4 * Week
	tortoiseMaxFactor  = 2.0
	tortoiseMinFactor  = 0.5
	tortoiseMinimumMin = 3
)

// AWS predictive scaling, as EC2 Auto Scaling documents it
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/predictive-scaling-policy-overview.html):
// "this metric must have at least 24 hours of data", it analyzes "metric data
// from up to the past 14 days" and generates "an hourly forecast of capacity
// requirements for the next 48 hours"; in forecast and scale mode it scales
// out ahead of a forecast increase and "will not scale in". SchedulingBufferTime
// "Defaults to 300 seconds" (API reference, PredictiveScalingConfiguration:
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingConfiguration.html).
const (
	awsHistory = 14 * 24 * time.Hour
	awsBuffer  = 300 * time.Second
)

// tortoise returns the Tortoise rule applied to the current policy: every
// weekday-hour (in the policy's zone) its min is ½× and its max 2× the
// highest replica count CURRENT had at that weekday-hour over the last 4
// weeks of training traffic. Its target utilization tuning (from VPA
// recommendations) is not modelled: CURRENT's targets are kept.
func (s *searcher) tortoise() (*headroom.Policy, error) {
	var highest [Slots]int
	for _, tr := range lastOf(s.opt.Train, tortoiseHistory) {
		sink := sim.SinkFunc(func(sec *headroom.Second) {
			i := slotOf(sec.Time, s.zone)
			highest[i] = max(highest[i], sec.Total())
		})
		if _, err := sim.Run(sim.Config{Service: s.svc, Policy: s.cur, Traffic: tr, Context: s.opt.Context}, sink); err != nil {
			return nil, err
		}
	}
	fillWeek(&highest)
	var acts []action
	for i, r := range highest {
		lo := min(max(tortoiseMinimumMin, int(math.Ceil(tortoiseMinFactor*float64(r)))), policyMax)
		hi := max(lo, int(math.Ceil(tortoiseMaxFactor*float64(r))))
		acts = append(acts, action{at: i * 60, instances: lo, max: hi, slot: i})
	}
	return s.withActions(compact(acts), s.zone, "tortoise", s.cur.Name+" (Tortoise rule)")
}

// policyMax bounds a baseline's counts: the limits of every reader.
const policyMax = 1_000_000

// awsPredictive returns CURRENT with an hourly forecast floor in UTC: the
// mean demand of the same weekday-hour over the last 14 days of training
// (the same hour of day when less than a week is known), divided by what
// one instance serves at CURRENT's target, set 300 s before the hour. The
// floor never goes under the min CURRENT's own schedules have in force then.
func (s *searcher) awsPredictive() (*headroom.Policy, error) {
	var sum [Slots]float64
	var count [Slots]float64
	days := 0.0
	for _, tr := range lastOf(s.opt.Train, awsHistory) {
		days += float64(tr.Seconds()) / 86400
		for i, c := range tr.Counts {
			start := tr.Start.Add(time.Duration(i) * tr.Step)
			if excluded(s.opt.Exclude, start, start.Add(tr.Step)) {
				continue
			}
			k := slotOf(start, time.UTC)
			sum[k] += c / tr.Step.Seconds()
			count[k]++
		}
	}
	weekly := days >= 7
	per := s.perInstance()
	// A representative week to read CURRENT's scheduled minimum from.
	from, _ := span(s.opt.Holdout, s.opt.Train)
	if len(s.opt.Holdout) > 0 {
		from, _ = span(s.opt.Holdout)
	}
	var acts []action
	for i := range Slots {
		var total, n float64
		if weekly {
			total, n = sum[i], count[i]
		} else {
			for d := range 7 {
				total += sum[d*24+i%24]
				n += count[d*24+i%24]
			}
		}
		forecast := 0
		if n > 0 {
			forecast = int(math.Ceil(total / n / per))
		}
		at := hourOfWeek(from, i)
		floor := max(forecast, engine.NewState(s.cur, at).Min)
		floor = min(floor, s.cur.Max)
		acts = append(acts, action{at: ((i*60-int(awsBuffer/time.Minute))%minutesPerWeek + minutesPerWeek) % minutesPerWeek, instances: floor, slot: i})
	}
	return s.withActions(compact(acts), time.UTC, "predictive", s.cur.Name+" (AWS-predictive style)")
}

// perInstance is the demand one instance carries at CURRENT's target: what
// AWS divides its load forecast by.
func (s *searcher) perInstance() float64 {
	if t := s.cur.Target; t != nil {
		for _, m := range t.Metrics {
			switch {
			case m.Kind == headroom.MetricCPU:
				return s.svc.CapacityPerInstance * m.Target / 100
			case m.Kind == headroom.MetricRPS && !m.Total:
				return m.Target
			}
		}
	}
	return s.svc.CapacityPerInstance
}

// withActions returns CURRENT with its schedules replaced by acts.
func (s *searcher) withActions(acts []action, zone *time.Location, prefix, name string) (*headroom.Policy, error) {
	sched, err := schedules(acts, zone, prefix, 0)
	if err != nil {
		return nil, err
	}
	p := *s.cur
	p.Name, p.Schedules, p.Initial = name, sched, 0
	if p.TimeZone == nil {
		p.TimeZone = s.zone
	}
	p.Min = 1
	return &p, nil
}

// lastOf returns the last d of the series, newest last.
func lastOf(list []*headroom.Series, d time.Duration) []*headroom.Series {
	var out []*headroom.Series
	left := d
	for i := len(list) - 1; i >= 0 && left > 0; i-- {
		s := list[i]
		n := min(len(s.Counts), int(left/s.Step))
		cut := *s
		cut.Start = s.Start.Add(time.Duration(len(s.Counts)-n) * s.Step)
		cut.Counts = s.Counts[len(s.Counts)-n:]
		left -= time.Duration(n) * s.Step
		if n > 0 {
			out = append([]*headroom.Series{&cut}, out...)
		}
	}
	return out
}

// fillWeek gives weekday-hours never seen the highest of the same hour on
// other days.
func fillWeek(v *[Slots]int) {
	for i := range v {
		if v[i] != 0 {
			continue
		}
		for d := range 7 {
			v[i] = max(v[i], v[d*24+i%24])
		}
	}
}

// hourOfWeek returns the start of weekday-hour slot (UTC) in the week of t.
func hourOfWeek(t time.Time, slot int) time.Time {
	t = t.UTC()
	sunday := time.Date(t.Year(), t.Month(), t.Day()-int(t.Weekday()), 0, 0, 0, 0, time.UTC)
	at := sunday.Add(time.Duration(slot) * time.Hour)
	if at.Before(t) {
		at = at.Add(Week)
	}
	return at
}
