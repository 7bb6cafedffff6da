package incident_test

import (
	"math"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// longAgo makes a component that existed before the 90 days.
func longAgo(now time.Time) incident.Component {
	return incident.Component{ID: "api", Name: "API", Status: incident.Operational, CreatedAt: now.AddDate(-1, 0, 0)}
}

func change(at time.Time, from, to incident.ComponentStatus) incident.StatusChange {
	return incident.StatusChange{ComponentID: "api", At: at, From: from, To: to}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestUptimeOf(t *testing.T) {
	now := time.Date(2021, 7, 7, 12, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	const (
		op = incident.Operational
		dp = incident.DegradedPerformance
		po = incident.PartialOutage
		mo = incident.MajorOutage
		um = incident.UnderMaintenance
	)
	const dayMinutes = 24 * 60
	for _, tc := range []struct {
		name    string
		comp    incident.Component
		history []incident.StatusChange
		// day (the date) → outage minutes and worst status; other days 0
		// and operational.
		days    map[time.Time]incident.DayUptime
		percent float64
	}{
		{
			name: "no history: 100%",
			comp: longAgo(now), percent: 100,
		},
		{
			name: "a 60-minute major outage on one day",
			comp: longAgo(now),
			history: []incident.StatusChange{
				change(day(2021, 6, 30, 17, 0), op, mo),
				change(day(2021, 6, 30, 18, 0), mo, op),
			},
			days:    map[time.Time]incident.DayUptime{day(2021, 6, 30, 0, 0): {OutageMinutes: 60, Worst: mo}},
			percent: 100 - 60.0/(90*dayMinutes)*100,
		},
		{
			name: "a partial outage counts 30% of its minutes",
			comp: longAgo(now),
			history: []incident.StatusChange{
				change(day(2021, 6, 30, 17, 16), op, po),
				change(day(2021, 6, 30, 18, 16), po, op),
			},
			days:    map[time.Time]incident.DayUptime{day(2021, 6, 30, 0, 0): {OutageMinutes: 18, Worst: po}},
			percent: 100 - 18.0/(90*dayMinutes)*100,
		},
		{
			name: "degraded and maintenance count as up, but show as the worst",
			comp: longAgo(now),
			history: []incident.StatusChange{
				change(day(2021, 7, 1, 9, 0), op, dp),
				change(day(2021, 7, 1, 10, 0), dp, op),
				change(day(2021, 7, 2, 9, 0), op, um),
				change(day(2021, 7, 2, 10, 0), um, op),
			},
			days: map[time.Time]incident.DayUptime{
				day(2021, 7, 1, 0, 0): {Worst: dp},
				day(2021, 7, 2, 0, 0): {Worst: um},
			},
			percent: 100,
		},
		{
			name: "an outage across midnight splits between the days",
			comp: longAgo(now),
			history: []incident.StatusChange{
				change(day(2021, 7, 3, 23, 30), op, mo),
				change(day(2021, 7, 4, 0, 45), mo, po),
				change(day(2021, 7, 4, 1, 45), po, op),
			},
			days: map[time.Time]incident.DayUptime{
				day(2021, 7, 3, 0, 0): {OutageMinutes: 30, Worst: mo},
				day(2021, 7, 4, 0, 0): {OutageMinutes: 45 + 18, Worst: mo},
			},
			percent: 100 - (30+45+18.0)/(90*dayMinutes)*100,
		},
		{
			name: "an outage going on now counts up to now",
			comp: incident.Component{ID: "api", Status: mo, CreatedAt: now.AddDate(-1, 0, 0)},
			history: []incident.StatusChange{
				change(day(2021, 7, 7, 11, 0), op, mo),
			},
			days:    map[time.Time]incident.DayUptime{day(2021, 7, 7, 0, 0): {OutageMinutes: 60, Worst: mo}},
			percent: 100 - 60.0/(90*dayMinutes)*100,
		},
		{
			name: "down since before the window: every day counts until now",
			comp: incident.Component{ID: "api", Status: mo, CreatedAt: now.AddDate(-1, 0, 0)},
			days: func() map[time.Time]incident.DayUptime {
				m := map[time.Time]incident.DayUptime{}
				for d := 0; d < 89; d++ {
					m[day(2021, 7, 7-89+d, 0, 0)] = incident.DayUptime{OutageMinutes: dayMinutes, Worst: mo}
				}
				m[day(2021, 7, 7, 0, 0)] = incident.DayUptime{OutageMinutes: 12 * 60, Worst: mo}
				return m
			}(),
			percent: 100 - (89*dayMinutes+12*60.0)/(90*dayMinutes)*100,
		},
		{
			name: "the status before the first change in the window is its From",
			comp: longAgo(now), // operational now
			history: []incident.StatusChange{
				change(day(2021, 7, 7, 0, 30), po, op),
			},
			days: func() map[time.Time]incident.DayUptime {
				m := map[time.Time]incident.DayUptime{}
				for d := 0; d < 89; d++ {
					m[day(2021, 7, 7-89+d, 0, 0)] = incident.DayUptime{OutageMinutes: dayMinutes * 3 / 10, Worst: po}
				}
				m[day(2021, 7, 7, 0, 0)] = incident.DayUptime{OutageMinutes: 9, Worst: po}
				return m
			}(),
			percent: 100 - (89*dayMinutes*0.3+9)/(90*dayMinutes)*100,
		},
		{
			name: "a component that just went down shows today's worst",
			comp: incident.Component{ID: "api", Status: mo, CreatedAt: now.AddDate(-1, 0, 0)},
			history: []incident.StatusChange{
				change(now, op, mo),
			},
			days:    map[time.Time]incident.DayUptime{day(2021, 7, 7, 0, 0): {Worst: mo}},
			percent: 100,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := incident.UptimeOf(tc.comp, tc.history, now)
			if len(u.Days) != incident.UptimeDays {
				t.Fatalf("%d days; want %d", len(u.Days), incident.UptimeDays)
			}
			if first, last := u.Days[0].Date, u.Days[89].Date; !first.Equal(day(2021, 4, 9, 0, 0)) || !last.Equal(day(2021, 7, 7, 0, 0)) {
				t.Errorf("days from %v to %v; want 2021-04-09 to 2021-07-07, UTC days ending today", first, last)
			}
			for _, d := range u.Days {
				want, ok := tc.days[d.Date]
				if !ok {
					want = incident.DayUptime{Worst: op}
				}
				if !near(d.OutageMinutes, want.OutageMinutes) || d.Worst != want.Worst || d.NoData {
					t.Errorf("%s: %.4f outage minutes, worst %s, no data %v; want %.4f, %s, false",
						d.Date.Format(time.DateOnly), d.OutageMinutes, d.Worst, d.NoData, want.OutageMinutes, want.Worst)
				}
			}
			if !near(u.Percent, tc.percent) {
				t.Errorf("Percent = %.10f; want %.10f", u.Percent, tc.percent)
			}
		})
	}
}

// Days before the component existed have no data and count neither way,
// as Statuspage computes uptime from the component's start date.
func TestUptimeOfNewComponent(t *testing.T) {
	now := time.Date(2021, 7, 7, 12, 0, 0, 0, time.UTC)
	created := time.Date(2021, 7, 5, 15, 0, 0, 0, time.UTC)
	c := incident.Component{ID: "api", Status: incident.Operational, CreatedAt: created}
	h := []incident.StatusChange{
		change(time.Date(2021, 7, 6, 10, 0, 0, 0, time.UTC), incident.Operational, incident.MajorOutage),
		change(time.Date(2021, 7, 6, 10, 36, 0, 0, time.UTC), incident.MajorOutage, incident.Operational),
	}
	u := incident.UptimeOf(c, h, now)
	for i, d := range u.Days {
		wantNoData := i < 87 // 07-05 is day 87
		if d.NoData != wantNoData {
			t.Errorf("%s: NoData = %v; want %v", d.Date.Format(time.DateOnly), d.NoData, wantNoData)
		}
		if d.NoData && d.Worst != "" {
			t.Errorf("%s: a day without data has worst %q; want none", d.Date.Format(time.DateOnly), d.Worst)
		}
	}
	// Three days with data: 07-05 (whole day: the start date is a date),
	// 07-06 and 07-07.
	if want := 100 - 36.0/(3*24*60)*100; !near(u.Percent, want) {
		t.Errorf("Percent = %.10f; want %.10f (36 minutes over the 3 days since the start date)", u.Percent, want)
	}
}
