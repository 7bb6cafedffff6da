package postmortem_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/postmortem"
)

// at is a clock time on the record's day.
func at(h, m, s int) time.Time { return time.Date(2021, 6, 30, h, m, s, 0, time.UTC) }

// record is a synthetic 15 s loop record from 16:00 to 17:40: 1000 req/s
// needing 16 instances, 20 ready, 100 ms and no errors, with what change
// says changed in the loop ending at t.
func record(change func(t time.Time, s *postmortem.Sample)) []postmortem.Sample {
	var out []postmortem.Sample
	for t := at(16, 0, 15); !t.After(at(17, 40, 0)); t = t.Add(15 * time.Second) {
		s := postmortem.Sample{Time: t, Interval: 15 * time.Second, Demand: 1000, Latency: 100 * time.Millisecond,
			HasDemand: true, HasHealth: true, Ready: 20, Needed: 16}
		if change != nil {
			change(t, &s)
		}
		out = append(out, s)
	}
	return out
}

// outage is 60% errors in the loops ending in (17:00, 17:10] with 12
// instances ready.
func outage(t time.Time, s *postmortem.Sample) {
	if t.After(at(17, 0, 0)) && !t.After(at(17, 10, 0)) {
		s.ErrorRatio, s.Ready = 0.6, 12
	}
}

func input(samples []postmortem.Sample) postmortem.Input {
	return postmortem.Input{Title: "Errors", Service: "website", Budget: 0.001, MaxLatency: time.Second,
		From: at(16, 0, 0), To: at(17, 40, 0), Samples: samples}
}

// Finding 2: one noisy loop 40 minutes before the outage (0.2% errors
// against a 0.1% budget) is not the impact: the draft's window is the
// outage's, whether the incident opened during it, a little before it (a
// cause alert at the cut), after it, or there is no incident at all.
func TestImpactIsTheOutageNotEarlierNoise(t *testing.T) {
	noisy := func(t time.Time, s *postmortem.Sample) {
		if t.Equal(at(16, 20, 0)) {
			s.ErrorRatio = 0.002
		}
		outage(t, s)
	}
	// A later noisy loop too, for the record without an incident.
	noisyAfter := func(t time.Time, s *postmortem.Sample) {
		noisy(t, s)
		if t.Equal(at(17, 30, 0)) {
			s.ErrorRatio = 0.003
		}
	}
	for _, c := range []struct {
		name    string
		inc     *incident.Incident
		alerts  []headroom.Alert
		samples []postmortem.Sample
	}{
		{name: "opened during", inc: &incident.Incident{ID: "i", CreatedAt: at(17, 2, 0), StartedAt: at(17, 2, 0)}, samples: record(noisy)},
		{name: "opened at the cut", inc: &incident.Incident{ID: "i", CreatedAt: at(16, 59, 30), StartedAt: at(16, 59, 30), ResolvedAt: at(17, 30, 0)}, samples: record(noisy)},
		{name: "declared after", inc: &incident.Incident{ID: "i", CreatedAt: at(17, 15, 0), StartedAt: at(17, 15, 0)}, samples: record(noisy)},
		{name: "started before created", inc: &incident.Incident{ID: "i", CreatedAt: at(17, 20, 0), StartedAt: at(17, 1, 0)}, samples: record(noisyAfter)},
		{name: "symptom alert", alerts: []headroom.Alert{{Signal: headroom.SignalSymptom, Rule: "fast", StartsAt: at(17, 1, 30)}}, samples: record(noisyAfter)},
		{name: "no incident", samples: record(noisyAfter)},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := input(c.samples)
			in.Incident, in.Alerts = c.inc, c.alerts
			f := postmortem.Compute(in)
			if !f.ImpactStart.Equal(at(17, 0, 0)) || !f.ImpactEnd.Equal(at(17, 10, 0)) {
				t.Errorf("impact %s–%s, want 17:00:00–17:10:00", f.ImpactStart.Format(time.TimeOnly), f.ImpactEnd.Format(time.TimeOnly))
			}
			if want := 600 * 1000 * 0.6; math.Abs(f.FailedRequests-want) > 1 {
				t.Errorf("failed requests %.0f, want %.0f", f.FailedRequests, want)
			}
			if f.WorstErrorRatio != 0.6 {
				t.Errorf("worst error ratio %.4f, want 0.6", f.WorstErrorRatio)
			}
		})
	}
}

// Finding 3: a cut is the cause only when it left capacity below need:
// a scale-in from 24 to 18 with 16 needed did not cause the outage, while
// the cut to 12 just before it did.
func TestCauseIsACutBelowNeed(t *testing.T) {
	harmless := headroom.Decision{Time: at(16, 50, 0), Current: 24, Desired: 18, Min: 2, Max: 40, Reason: headroom.Reason{Code: headroom.ReasonScaleDown, Message: "cpu low"}}
	cut := headroom.Decision{Time: at(17, 0, 0), Current: 20, Desired: 12, Min: 2, Max: 40, Reason: headroom.Reason{Code: headroom.ReasonScheduled, Message: "night-savings"}}
	// Demand outran capacity: the outage at 12 ready without the cut;
	// the last change was the harmless scale-in.
	samples := record(func(t time.Time, s *postmortem.Sample) {
		if t.After(at(16, 50, 0)) {
			s.Ready = 18
		}
		outage(t, s)
	})
	in := input(samples)
	in.Decisions = []headroom.Decision{harmless}
	if f := postmortem.Compute(in); f.Cause != nil {
		t.Errorf("cause: got %+v, want none (the scale-in left 18 ready for 16 needed)", f.Cause)
	}
	md := postmortem.Draft(in)
	if strings.Contains(md, "scale-in that reduced capacity below") || strings.Contains(md, "ScaleDown` at") {
		t.Errorf("the draft blames the harmless scale-in:\n%s", md)
	}
	if !strings.Contains(md, "demand outgrowing capacity") {
		t.Errorf("the draft does not say demand outran capacity:\n%s", md)
	}
	// With the cut to 12 after it, the cut is the cause.
	in.Decisions = []headroom.Decision{harmless, cut}
	if f := postmortem.Compute(in); f.Cause == nil || !f.Cause.Time.Equal(cut.Time) {
		t.Errorf("cause: got %+v, want the cut to 12 at 17:00", f.Cause)
	}
	// The last change before the impact was a scale-out that was not
	// enough: no cut is blamed, not even the earlier harmless one.
	out := headroom.Decision{Time: at(16, 55, 0), Current: 18, Desired: 19, Min: 2, Max: 40, Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "cpu high"}}
	in.Decisions = []headroom.Decision{harmless, out}
	if f := postmortem.Compute(in); f.Cause != nil {
		t.Errorf("cause: got %+v, want none (the last change added capacity)", f.Cause)
	}
}

// Finding 7: fast-failing 502s lower the mean latency; a fall is a figure
// the record gives, said as a fall, not "not recorded".
func TestLatencyFallIsReported(t *testing.T) {
	in := input(record(func(t time.Time, s *postmortem.Sample) {
		outage(t, s)
		if s.ErrorRatio > 0 {
			s.Latency = 20 * time.Millisecond
		}
	}))
	f := postmortem.Compute(in)
	if !f.HasLatency || math.Abs(f.LatencyIncrease-(-80)) > 0.01 {
		t.Errorf("latency: known %v, increase %.2f%%; want known, -80%%", f.HasLatency, f.LatencyIncrease)
	}
	md := postmortem.Draft(in)
	if !strings.Contains(md, "Average response times fell by 80% (20 ms against 100 ms in the hour before)") {
		t.Errorf("the draft does not say latency fell by 80%%:\n%s", md)
	}
	if strings.Contains(md, "the latency increase") || strings.Contains(md, "elevated by") {
		t.Errorf("the draft calls a fall unknown or a rise:\n%s", md)
	}
	// Unknown stays unknown: no latency before the impact.
	in = input(record(func(t time.Time, s *postmortem.Sample) {
		outage(t, s)
		if s.ErrorRatio == 0 {
			s.Latency = 0
		}
	}))
	if f := postmortem.Compute(in); f.HasLatency || f.LatencyIncrease >= 0 {
		t.Errorf("latency without a baseline: known %v, increase %.2f%%; want unknown", f.HasLatency, f.LatencyIncrease)
	}
	if md := postmortem.Draft(in); !strings.Contains(md, "the latency increase") {
		t.Errorf("the draft does not say the latency change is not recorded:\n%s", md)
	}
}

// Finding 8: the cause alert fires in the cut's loop, before any failure;
// capacity is back at need only once it was short or users failed, not in
// the good loop between the alert and the impact.
func TestMitigatedAfterTheImpactBegan(t *testing.T) {
	in := input(record(outage))
	in.Alerts = []headroom.Alert{{Signal: headroom.SignalCause, Rule: "capacity", StartsAt: at(16, 59, 45)}}
	f := postmortem.Compute(in)
	if !f.Mitigated.Equal(at(17, 10, 15)) {
		t.Errorf("mitigated at %s, want 17:10:15 (the first good loop after the outage)", f.Mitigated.Format(time.TimeOnly))
	}
	// An alert late in the outage: back at need from the loop after it.
	in.Alerts = []headroom.Alert{{Signal: headroom.SignalSymptom, Rule: "fast", StartsAt: at(17, 5, 0)}}
	if f := postmortem.Compute(in); !f.Mitigated.Equal(at(17, 10, 15)) {
		t.Errorf("mitigated at %s, want 17:10:15", f.Mitigated.Format(time.TimeOnly))
	}
}

// Without a service or component name the summary says "customers of the
// service", not "customers of the the service".
func TestDraftWithoutServiceName(t *testing.T) {
	in := input(record(outage))
	in.Service = ""
	md := postmortem.Draft(in)
	if strings.Contains(md, "the the") || !strings.Contains(md, "customers of the service experienced") {
		t.Errorf("the summary names no service right:\n%s", md)
	}
	in.Service = "website and API services"
	if md := postmortem.Draft(in); !strings.Contains(md, "customers of the website and API services experienced") {
		t.Errorf("the summary does not name the service:\n%s", md)
	}
}
