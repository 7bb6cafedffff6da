package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/robfig/cron/v3"
)

// parser accepts the standard five fields (minute hour day-of-month month
// day-of-week) and descriptors such as @daily.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Cron is a recurring schedule in a time zone.
type Cron struct {
	spec *cron.SpecSchedule
}

var _ headroom.Schedule = (*Cron)(nil)

// Parse parses a five-field cron expression evaluated in loc. The wall clock
// of loc decides: "0 3 * * *" in Australia/Sydney is 17:00 UTC in June and
// 16:00 UTC in January.
func Parse(expr string, loc *time.Location) (*Cron, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@every") {
		return nil, fmt.Errorf("@every is relative to a process start; write a calendar expression such as \"*/5 * * * *\"")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("put the time zone in the timeZone field, not in the expression")
	}
	s, err := parser.Parse(expr)
	if err != nil {
		return nil, err
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("unsupported schedule %q", expr)
	}
	if loc == nil {
		loc = time.UTC
	}
	spec.Location = loc
	return &Cron{spec: spec}, nil
}

// Next returns the first activation strictly after t.
//
// DST: an activation whose wall-clock time does not exist on the day clocks
// spring forward is skipped that day; one whose time happens twice when they
// fall back runs once, at the first occurrence. Both are pinned by tests.
func (c *Cron) Next(t time.Time) time.Time {
	for {
		n := c.spec.Next(t)
		if n.IsZero() || !c.repeatedWallClock(n) {
			return n.UTC()
		}
		t = n
	}
}

// repeatedWallClock reports whether the wall-clock time of n already
// happened earlier that night, before clocks fell back. Cron means a wall
// clock time, once a day; the calendar walk of robfig/cron would fire twice.
func (c *Cron) repeatedWallClock(n time.Time) bool {
	local := n.In(c.spec.Location)
	_, offNow := local.Zone()
	_, offBefore := local.Add(-3 * time.Hour).Zone()
	if offBefore <= offNow {
		return false
	}
	earlier := local.Add(-time.Duration(offBefore-offNow) * time.Second)
	return earlier.Hour() == local.Hour() && earlier.Minute() == local.Minute() && earlier.Day() == local.Day()
}

// Location returns the zone the schedule runs in.
func (c *Cron) Location() *time.Location { return c.spec.Location }

// Previous returns the last activation at or before t, searching back at
// most lookback, and false when there is none in that span. A simulation uses
// it to know which min/max a schedule had set before the traffic starts.
func Previous(s headroom.Schedule, t time.Time, lookback time.Duration) (time.Time, bool) {
	var last time.Time
	found := false
	for at := s.Next(t.Add(-lookback)); !at.IsZero() && !at.After(t); at = s.Next(at) {
		last, found = at, true
	}
	return last, found
}

// Calendar is a Cron without the once-a-day rule: every activation
// robfig/cron's calendar walk finds, so a wall-clock time in the hour that
// clocks repeat when they fall back comes twice. KEDA's cron scaler asks
// robfig/cron for its windows' next start and end as it is
// (GetMetricsAndActivity in kedacore/keda pkg/scalers/cron_scaler.go), so
// an edge in the repeated hour takes effect at its second occurrence;
// policy/keda reads cron triggers with this (found by hack/kedadiff).
// https://keda.sh/docs/latest/scalers/cron/
type Calendar struct{ c *Cron }

var _ headroom.Schedule = (*Calendar)(nil)

// ParseCalendar parses expr as Parse does.
func ParseCalendar(expr string, loc *time.Location) (*Calendar, error) {
	c, err := Parse(expr, loc)
	if err != nil {
		return nil, err
	}
	return &Calendar{c: c}, nil
}

// Next returns the first activation strictly after t.
func (k *Calendar) Next(t time.Time) time.Time {
	n := k.c.spec.Next(t)
	if n.IsZero() {
		return n
	}
	return n.UTC()
}
