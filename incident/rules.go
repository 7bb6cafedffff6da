package incident

import (
	"slices"
	"strings"
)

// Allowed says whether an incident or maintenance in status from may be
// updated to status to:
//
//   - an incident moves freely among investigating, identified and
//     monitoring (a fix can fail: monitoring goes back to identified), and
//     to resolved from any of them; a resolved incident takes more resolved
//     updates (notes after the fact);
//   - postmortem is reached only through PublishPostmortem, so no update
//     goes to it, and nothing leaves it: an update after the postmortem is
//     a postmortem note;
//   - a maintenance goes forward only, scheduled → in_progress → verifying
//     → completed; verifying may be skipped, and scheduled → completed
//     cancels it; an update may keep the status (a note);
//   - an incident never takes a maintenance status, nor the reverse.
func Allowed(kind Kind, from, to Status) bool {
	switch kind {
	case KindIncident:
		switch from {
		case Investigating, Identified, Monitoring:
			return slices.Contains([]Status{Investigating, Identified, Monitoring, Resolved}, to)
		case Resolved:
			return to == Resolved
		case Postmortem:
			return to == Postmortem
		}
	case KindMaintenance:
		i, j := slices.Index(MaintenanceStatuses, from), slices.Index(MaintenanceStatuses, to)
		if i < 0 || j < 0 {
			return false
		}
		skipsInProgress := from == Scheduled && to == Verifying
		return j >= i && !skipsInProgress
	}
	return false
}

// next lists the statuses Allowed after from, for error messages.
func next(kind Kind, from Status) []Status {
	var out []Status
	for _, to := range statusesOf(kind) {
		if Allowed(kind, from, to) {
			out = append(out, to)
		}
	}
	return out
}

func statusesOf(kind Kind) []Status {
	if kind == KindMaintenance {
		return MaintenanceStatuses
	}
	return IncidentStatuses
}

// severity orders component statuses, operational (0) to major_outage
// (4): ComponentStatuses lists them best first. An unknown status is -1.
func severity(s ComponentStatus) int { return slices.Index(ComponentStatuses, s) }

// worse returns the worse of two component statuses.
func worse(a, b ComponentStatus) ComponentStatus {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

// ImpactOf is the impact an incident gets from its components' statuses
// when its writer names none, as Statuspage calculates it: the worst
// status decides, major_outage → critical, partial_outage → major,
// degraded_performance → minor, anything else → none.
// https://support.atlassian.com/statuspage/docs/top-level-status-and-incident-impact-calculations/
func ImpactOf(statuses ...ComponentStatus) Impact {
	w := Operational
	for _, s := range statuses {
		w = worse(w, s)
	}
	switch w {
	case MajorOutage:
		return ImpactCritical
	case PartialOutage:
		return ImpactMajor
	case DegradedPerformance:
		return ImpactMinor
	}
	return ImpactNone
}

// indicatorRank orders indicators: none < maintenance < minor < major <
// critical (a maintenance shows only when nothing is worse).
func indicatorRank(i Indicator) int {
	return slices.Index([]Indicator{IndicatorNone, IndicatorMaintenance, IndicatorMinor, IndicatorMajor, IndicatorCritical}, i)
}

// The page's top-level status texts, Statuspage's (status.json
// "description"); the list is in
// https://support.atlassian.com/statuspage/docs/top-level-status-and-incident-impact-calculations/
const (
	DescriptionOperational        = "All Systems Operational"
	DescriptionMaintenance        = "Service Under Maintenance"
	DescriptionPartiallyDegraded  = "Partially Degraded Service"
	DescriptionDegraded           = "Degraded System Service"
	DescriptionMinorOutage        = "Minor Service Outage"
	DescriptionPartialOutage      = "Partial System Outage"
	DescriptionMajorSystemOutage  = "Major System Outage"
	DescriptionMajorServiceOutage = "Major Service Outage"
)

// PageStatus is the page's top-level status: the indicator and the text.
type PageStatus struct {
	Indicator   Indicator
	Description string
}

// componentStatus blends the components' statuses the way Statuspage
// does (https://support.atlassian.com/statuspage/docs/top-level-status-and-incident-impact-calculations/):
//
//   - no component, or all operational: All Systems Operational;
//   - one component, or all in the same status: under_maintenance →
//     Service Under Maintenance, degraded_performance → Partially Degraded
//     Service (one component) or Degraded System Service (all of several),
//     partial_outage → Partial System Outage, major_outage → Major System
//     Outage;
//   - several in mixed statuses, the worst decides one step down, since
//     not everything is broken: any major_outage → Partial System Outage,
//     else any partial_outage → Minor Service Outage, else any
//     degraded_performance → Partially Degraded Service, else Service
//     Under Maintenance.
//
// The indicator follows the text: Major System Outage is critical, Partial
// System Outage major, the outages and degradations below it minor, and
// maintenance maintenance.
func componentStatus(statuses []ComponentStatus) PageStatus {
	w := Operational
	same := true
	for i, s := range statuses {
		w = worse(w, s)
		if i > 0 && s != statuses[0] {
			same = false
		}
	}
	if same {
		switch w {
		case Operational:
			return PageStatus{IndicatorNone, DescriptionOperational}
		case UnderMaintenance:
			return PageStatus{IndicatorMaintenance, DescriptionMaintenance}
		case DegradedPerformance:
			if len(statuses) == 1 {
				return PageStatus{IndicatorMinor, DescriptionPartiallyDegraded}
			}
			return PageStatus{IndicatorMinor, DescriptionDegraded}
		case PartialOutage:
			return PageStatus{IndicatorMajor, DescriptionPartialOutage}
		case MajorOutage:
			return PageStatus{IndicatorCritical, DescriptionMajorSystemOutage}
		}
	}
	switch w {
	case MajorOutage:
		return PageStatus{IndicatorMajor, DescriptionPartialOutage}
	case PartialOutage:
		return PageStatus{IndicatorMinor, DescriptionMinorOutage}
	case DegradedPerformance:
		return PageStatus{IndicatorMinor, DescriptionPartiallyDegraded}
	case UnderMaintenance:
		return PageStatus{IndicatorMaintenance, DescriptionMaintenance}
	}
	return PageStatus{IndicatorNone, DescriptionOperational}
}

// impactStatus is the top-level status an unresolved incident of this
// impact gives the page: Statuspage's status.json reads minor → "Minor
// Service Outage", major → "Partial System Outage", critical → "Major
// Service Outage" (https://developer.statuspage.io/ status.json, whose
// texts are the ones listed at
// https://support.atlassian.com/statuspage/docs/top-level-status-and-incident-impact-calculations/).
func impactStatus(i Impact) PageStatus {
	switch i {
	case ImpactMinor:
		return PageStatus{IndicatorMinor, DescriptionMinorOutage}
	case ImpactMajor:
		return PageStatus{IndicatorMajor, DescriptionPartialOutage}
	case ImpactCritical:
		return PageStatus{IndicatorCritical, DescriptionMajorServiceOutage}
	}
	return PageStatus{IndicatorNone, DescriptionOperational}
}

// StatusOf is the page's top-level status: the worst of what its
// components' statuses blend to and of its unresolved incidents' impacts;
// a maintenance in progress (or verifying) shows when nothing is worse. On
// a tie the components' text stands: it says more.
func StatusOf(components []Component, incidents []Incident) PageStatus {
	statuses := make([]ComponentStatus, len(components))
	for i, c := range components {
		statuses[i] = c.Status
	}
	st := componentStatus(statuses)
	for i := range incidents {
		inc := &incidents[i]
		if !statusCounts(inc) {
			continue
		}
		candidate := PageStatus{IndicatorMaintenance, DescriptionMaintenance}
		if inc.Unresolved() {
			candidate = impactStatus(inc.Impact)
		}
		if indicatorRank(candidate.Indicator) > indicatorRank(st.Indicator) {
			st = candidate
		}
	}
	return st
}

// statusCounts says whether inc counts in the page's status (StatusOf):
// an unresolved incident by its impact, a maintenance in progress.
func statusCounts(inc *Incident) bool {
	return inc.Unresolved() || inc.Kind == KindMaintenance && (inc.Status == InProgress || inc.Status == Verifying)
}

// quoteList renders statuses as "a", "b" or "c" for error messages.
func quoteList[S ~string](items []S) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = `"` + string(s) + `"`
	}
	switch len(q) {
	case 0:
		return "nothing"
	case 1:
		return q[0]
	}
	return "one of " + strings.Join(q, ", ")
}

// Sentence joins names as Statuspage's "This incident affected: ..." line
// does: "A", "A and B", "A, B, and C".
func Sentence(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + ", and " + names[len(names)-1]
}
