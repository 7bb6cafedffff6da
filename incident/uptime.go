package incident

import (
	"slices"
	"time"
)

// PartialOutageWeight is the share of a partial outage's minutes that count
// as downtime. Statuspage's uptime showcase counts major outage minutes in
// full and partial outage minutes at 30%; degraded performance and
// maintenance are up (https://help.statuspage.io/help/uptime-calendar).
const PartialOutageWeight = 0.3

// outageMinutes is the downtime d spent in status s counts for.
func outageMinutes(s ComponentStatus, d time.Duration) float64 {
	switch s {
	case MajorOutage:
		return d.Minutes()
	case PartialOutage:
		// ×3/10 rather than ×0.3: whole minutes stay whole (60 → 18).
		return d.Minutes() * 3 / 10
	}
	return 0
}

// uptimeOf computes a component's uptime bars: UptimeDays UTC days ending
// with now's, oldest first. The component's status over time comes from
// history — c's changes alone, in any order, at or after the first day's
// start; uptimeOf may reorder and overwrite them (a snapshot sorts the
// history out once for its components, not once for each) — and, before
// the first change or without any, from c.Status; now ends the last day.
//
// Days before the component's start date (the UTC date of c.CreatedAt)
// have no data and count neither way: Statuspage computes uptime "from the
// component's start_date or 90 days ago, whichever is more recent"
// (https://developer.statuspage.io/#operation/getPagesPageIdComponentsComponentIdUptime).
// Percent is 100 × (1 − outage minutes ÷ minutes of the days with data),
// whole days including today's.
func uptimeOf(c Component, history []StatusChange, now time.Time) Uptime {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(UptimeDays - 1))
	var start time.Time // the start date; zero: always existed
	if !c.CreatedAt.IsZero() {
		cu := c.CreatedAt.UTC()
		start = time.Date(cu.Year(), cu.Month(), cu.Day(), 0, 0, 0, 0, time.UTC)
	}

	changes := history[:0]
	for _, h := range history {
		if !h.At.After(now) {
			changes = append(changes, h)
		}
	}
	slices.SortStableFunc(changes, func(a, b StatusChange) int { return a.At.Compare(b.At) })

	// The status in effect from each change on; before the first change,
	// the status it changed from.
	status := c.Status
	if len(changes) > 0 {
		status = changes[0].From
	}
	u := Uptime{Days: make([]DayUptime, UptimeDays)}
	var outage float64
	var counted int
	k := 0 // next change to apply
	for d := range u.Days {
		// UTC days are 24 hours: no AddDate (a date normalized) per day.
		dayStart := first.Add(time.Duration(d) * 24 * time.Hour)
		dayEnd := dayStart.Add(24 * time.Hour)
		day := DayUptime{Date: dayStart}
		// Apply the changes before the day: they set its first status.
		for k < len(changes) && !changes[k].At.After(dayStart) {
			status = changes[k].To
			k++
		}
		if !start.IsZero() && dayStart.Before(start) {
			day.NoData = true
			u.Days[d] = day
			continue
		}
		counted++
		end := dayEnd
		if now.Before(end) {
			end = now
		}
		day.Worst = status
		t := dayStart
		last := d == len(u.Days)-1
		// Today's changes up to now count for Worst even at the instant
		// now: the bar shows a component that just went down.
		for k < len(changes) && (changes[k].At.Before(end) || last && !changes[k].At.After(end)) {
			day.OutageMinutes += outageMinutes(status, changes[k].At.Sub(t))
			t = changes[k].At
			status = changes[k].To
			day.Worst = worse(day.Worst, status)
			k++
		}
		if end.After(t) {
			day.OutageMinutes += outageMinutes(status, end.Sub(t))
		}
		outage += day.OutageMinutes
		u.Days[d] = day
	}
	u.Percent = 100
	if counted > 0 {
		u.Percent = 100 * (1 - outage/(float64(counted)*24*60))
	}
	return u
}
