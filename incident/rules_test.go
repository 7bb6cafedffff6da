package incident_test

import (
	"strings"
	"testing"

	"github.com/headroomhq/headroom/incident"
)

func TestAllowed(t *testing.T) {
	const (
		inv = incident.Investigating
		idf = incident.Identified
		mon = incident.Monitoring
		res = incident.Resolved
		pm  = incident.Postmortem
		sch = incident.Scheduled
		inp = incident.InProgress
		ver = incident.Verifying
		cpl = incident.Completed
	)
	// Every pair of each kind's statuses: the allowed ones are listed, the
	// rest must be refused.
	allowed := map[incident.Kind]map[incident.Status][]incident.Status{
		incident.KindIncident: {
			inv: {inv, idf, mon, res},
			idf: {inv, idf, mon, res},
			mon: {inv, idf, mon, res}, // a fix can fail: back to identified
			res: {res},                // notes after the fact
			pm:  {pm},                 // nothing leaves postmortem
		},
		incident.KindMaintenance: {
			sch: {sch, inp, cpl}, // scheduled → completed cancels
			inp: {inp, ver, cpl}, // verifying may be skipped
			ver: {ver, cpl},
			cpl: {cpl},
		},
	}
	all := append(append([]incident.Status{}, incident.IncidentStatuses...), incident.MaintenanceStatuses...)
	for kind, table := range allowed {
		for _, from := range all {
			for _, to := range all {
				want := false
				for _, ok := range table[from] {
					want = want || ok == to
				}
				if got := incident.Allowed(kind, from, to); got != want {
					t.Errorf("Allowed(%s, %s → %s) = %v; want %v", kind, from, to, got, want)
				}
			}
		}
	}
	if incident.Allowed("outage", inv, res) {
		t.Error("Allowed(unknown kind) = true; want false")
	}
}

func TestImpactOf(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []incident.ComponentStatus
		want     incident.Impact
	}{
		{"no components: none", nil, incident.ImpactNone},
		{"degraded: minor", []incident.ComponentStatus{incident.Operational, incident.DegradedPerformance}, incident.ImpactMinor},
		{"partial: major", []incident.ComponentStatus{incident.PartialOutage, incident.DegradedPerformance}, incident.ImpactMajor},
		{"major outage anywhere: critical", []incident.ComponentStatus{incident.DegradedPerformance, incident.MajorOutage}, incident.ImpactCritical},
		{"maintenance is no impact", []incident.ComponentStatus{incident.UnderMaintenance}, incident.ImpactNone},
	} {
		if got := incident.ImpactOf(tc.statuses...); got != tc.want {
			t.Errorf("%s: ImpactOf(%v) = %s; want %s", tc.name, tc.statuses, got, tc.want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	comps := func(statuses ...incident.ComponentStatus) []incident.Component {
		var out []incident.Component
		for i, s := range statuses {
			out = append(out, incident.Component{ID: string(rune('a' + i)), Status: s})
		}
		return out
	}
	open := func(impact incident.Impact) incident.Incident {
		return incident.Incident{Kind: incident.KindIncident, Status: incident.Investigating, Impact: impact}
	}
	const (
		op  = incident.Operational
		um  = incident.UnderMaintenance
		dp  = incident.DegradedPerformance
		po  = incident.PartialOutage
		mo  = incident.MajorOutage
		non = incident.IndicatorNone
	)
	for _, tc := range []struct {
		name       string
		components []incident.Component
		incidents  []incident.Incident
		indicator  incident.Indicator
		desc       string
	}{
		{"no components", nil, nil, non, "All Systems Operational"},
		{"all operational", comps(op, op), nil, non, "All Systems Operational"},
		{"one component degraded", comps(dp), nil, incident.IndicatorMinor, "Partially Degraded Service"},
		{"one component partial", comps(po), nil, incident.IndicatorMajor, "Partial System Outage"},
		{"one component down", comps(mo), nil, incident.IndicatorCritical, "Major System Outage"},
		{"one component in maintenance", comps(um), nil, incident.IndicatorMaintenance, "Service Under Maintenance"},
		{"all degraded", comps(dp, dp), nil, incident.IndicatorMinor, "Degraded System Service"},
		{"all partial", comps(po, po), nil, incident.IndicatorMajor, "Partial System Outage"},
		{"all down", comps(mo, mo, mo), nil, incident.IndicatorCritical, "Major System Outage"},
		{"one of several down: a partial system outage", comps(op, mo, op), nil, incident.IndicatorMajor, "Partial System Outage"},
		{"one of several partial: a minor service outage", comps(op, po), nil, incident.IndicatorMinor, "Minor Service Outage"},
		{"one of several degraded", comps(dp, op), nil, incident.IndicatorMinor, "Partially Degraded Service"},
		{"one of several in maintenance", comps(op, um), nil, incident.IndicatorMaintenance, "Service Under Maintenance"},
		{"open minor incident, components fine", comps(op, op), []incident.Incident{open(incident.ImpactMinor)}, incident.IndicatorMinor, "Minor Service Outage"},
		{"open major incident", comps(op, op), []incident.Incident{open(incident.ImpactMajor)}, incident.IndicatorMajor, "Partial System Outage"},
		{"open critical incident beats a partial outage", comps(op, mo), []incident.Incident{open(incident.ImpactCritical)}, incident.IndicatorCritical, "Major Service Outage"},
		{"on a tie the components' text stands", comps(dp, dp), []incident.Incident{open(incident.ImpactMinor)}, incident.IndicatorMinor, "Degraded System Service"},
		{"resolved incidents do not count", comps(op), []incident.Incident{{Kind: incident.KindIncident, Status: incident.Resolved, Impact: incident.ImpactCritical}}, non, "All Systems Operational"},
		{"postmortems do not count", comps(op), []incident.Incident{{Kind: incident.KindIncident, Status: incident.Postmortem, Impact: incident.ImpactCritical}}, non, "All Systems Operational"},
		{"open incident of no impact", comps(op), []incident.Incident{open(incident.ImpactNone)}, non, "All Systems Operational"},
		{"maintenance in progress when nothing is worse", comps(op), []incident.Incident{{Kind: incident.KindMaintenance, Status: incident.InProgress, Impact: incident.ImpactMaintenance}}, incident.IndicatorMaintenance, "Service Under Maintenance"},
		{"maintenance verifying still shows", comps(op), []incident.Incident{{Kind: incident.KindMaintenance, Status: incident.Verifying}}, incident.IndicatorMaintenance, "Service Under Maintenance"},
		{"scheduled maintenance does not show", comps(op), []incident.Incident{{Kind: incident.KindMaintenance, Status: incident.Scheduled}}, non, "All Systems Operational"},
		{"an outage beats a maintenance", comps(op, po), []incident.Incident{{Kind: incident.KindMaintenance, Status: incident.InProgress}}, incident.IndicatorMinor, "Minor Service Outage"},
	} {
		got := incident.StatusOf(tc.components, tc.incidents)
		if got.Indicator != tc.indicator || got.Description != tc.desc {
			t.Errorf("%s: StatusOf = %s %q; want %s %q", tc.name, got.Indicator, got.Description, tc.indicator, tc.desc)
		}
	}
}

func TestSentence(t *testing.T) {
	for names, want := range map[string]string{
		"":                        "",
		"Website":                 "Website",
		"Website|API":             "Website and API",
		"Website|API|Git via SSH": "Website, API, and Git via SSH",
	} {
		var list []string
		if names != "" {
			list = strings.Split(names, "|")
		}
		if got := incident.Sentence(list); got != want {
			t.Errorf("Sentence(%q) = %q; want %q", list, got, want)
		}
	}
}
