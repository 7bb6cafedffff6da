package incident

import "time"

// Indicator is the page's overall state, Statuspage's status.indicator.
type Indicator string

const (
	IndicatorNone        Indicator = "none"
	IndicatorMinor       Indicator = "minor"
	IndicatorMajor       Indicator = "major"
	IndicatorCritical    Indicator = "critical"
	IndicatorMaintenance Indicator = "maintenance"
)

// Snapshot is the whole public page at one write: immutable, shared by
// every reader until the next write replaces it.
type Snapshot struct {
	Page   Page
	Groups []Group
	// Components, in page order (groups' members after their group's
	// position, then by position).
	Components []Component
	// Indicator and Description are the page's overall state ("All
	// Systems Operational", ...).
	Indicator   Indicator
	Description string
	// Incidents holds the public incidents and maintenances, newest
	// first: everything the public side shows.
	Incidents []Incident
	// Drafts holds the incidents not published yet, newest first: for
	// the admin API and incident automation only. Nothing public reads
	// them, and they count in neither Indicator, UpdatedAt nor uptime.
	Drafts []Incident
	// Uptime holds, per component ID, the last UptimeDays days, oldest
	// first, and the percentage over them.
	Uptime map[string]Uptime
	// UpdatedAt is the time of the last write shown; Version the store's.
	UpdatedAt time.Time
	Version   int64
	// BuiltAt is when the snapshot was made: "today" for the uptime bars
	// and for which maintenance is upcoming or active.
	BuiltAt time.Time
}

// UptimeDays is how many days the uptime bars show.
const UptimeDays = 90

// Uptime is a component's uptime over the last days.
type Uptime struct {
	Days []DayUptime
	// Percent over all Days, e.g. 99.93.
	Percent float64
}

// DayUptime is one bar: a UTC day, the minutes of outage in it (a partial
// outage counts 30% of its minutes, as Statuspage counts it) and the worst
// status the component had that day.
type DayUptime struct {
	Date          time.Time
	OutageMinutes float64
	Worst         ComponentStatus
	// NoData marks a day before the component existed (its CreatedAt):
	// Statuspage shows "No data exists for this day" and leaves it out of
	// the percentage. Worst is "" then.
	NoData bool
}
