package check

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
)

// series is a day at 1-minute steps from start, each minute's rate given
// by f(minute).
func series(start time.Time, minutes int, f func(int) float64) *headroom.Series {
	s := &headroom.Series{Name: "t", Start: start, Step: time.Minute, Counts: make([]float64, minutes)}
	for i := range s.Counts {
		s.Counts[i] = 60 * f(i)
	}
	return s
}

func TestAttachCauses(t *testing.T) {
	svc := &headroom.Service{Name: "s", CapacityPerInstance: 100, StartupDelay: 3 * time.Minute, BaseLatency: 80 * time.Millisecond,
		RequestTimeout: 10 * time.Second, SLO: headroom.SLO{MaxErrorRatio: 0.001, MaxLatency: 250 * time.Millisecond, Window: time.Minute}}
	day := time.Date(1998, 5, 12, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	dec := func(t time.Time, from, to int, code headroom.ReasonCode) headroom.Decision {
		return headroom.Decision{Time: t, Current: from, Desired: to, Min: 2, Max: 60, Reason: headroom.Reason{Code: code, Message: string(code) + " message"}}
	}
	for _, tc := range []struct {
		name      string
		demand    func(minute int) float64
		decisions []headroom.Decision
		violation time.Time
		// wantCause is the decision's code, or "" for none; wantSummary a
		// part of the sentence.
		wantCause   headroom.ReasonCode
		wantSummary string
	}{
		{"a cut that left capacity short is the cause",
			func(int) float64 { return 3000 },
			[]headroom.Decision{dec(at(16, 0), 20, 40, headroom.ReasonScaleUp), dec(at(17, 0), 40, 12, headroom.ReasonScheduled)},
			at(17, 0), headroom.ReasonScheduled, "cut capacity from 40 to 12 at 17:00:00 UTC while demand needed 3"},
		{"the response inside the first window does not take the blame",
			func(int) float64 { return 3000 },
			[]headroom.Decision{dec(at(17, 0), 40, 12, headroom.ReasonScheduled), dec(at(17, 0).Add(30*time.Second), 12, 17, headroom.ReasonScaleUp)},
			at(17, 0), headroom.ReasonScheduled, "cut capacity from 40 to 12"},
		{"an old scale-down is not blamed for a later rise",
			func(m int) float64 {
				if m >= 6*60+35 {
					return 4800
				}
				return 800
			},
			[]headroom.Decision{dec(at(1, 0), 40, 10, headroom.ReasonScaleDown)},
			at(6, 36), "", "demand rose 6x in 3m (from 800 to 4800 req/s), faster than the policy can add capacity (instances take 3m0s to start)"},
		{"a scale-out is never the cause",
			func(m int) float64 {
				if m >= 6*60+35 {
					return 4800
				}
				return 800
			},
			[]headroom.Decision{dec(at(1, 0), 40, 10, headroom.ReasonScaleDown), dec(at(6, 35), 10, 20, headroom.ReasonScaleUp)},
			at(6, 36), "", "demand rose 6x"},
		{"held at the maximum",
			func(int) float64 { return 7000 },
			[]headroom.Decision{dec(at(1, 0), 40, 60, headroom.ReasonScaleUp)},
			at(6, 36), "", "the policy held 60 instances, its maximum; demand needed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := series(day, 24*60, tc.demand)
			vs := []Violation{{Start: tc.violation, End: tc.violation.Add(5 * time.Minute), PeakDemand: tc.demand(int(tc.violation.Sub(day) / time.Minute))}}
			attachCauses(vs, tc.decisions, svc, tr, sim.NewModel(svc))
			v := vs[0]
			switch {
			case tc.wantCause == "" && v.Cause != nil:
				t.Errorf("cause: got %s at %s, want none", v.Cause.Reason.Code, v.Cause.Time)
			case tc.wantCause != "" && (v.Cause == nil || v.Cause.Reason.Code != tc.wantCause):
				t.Errorf("cause: got %+v, want %s", v.Cause, tc.wantCause)
			}
			if !strings.Contains(v.CauseSummary, tc.wantSummary) {
				t.Errorf("summary: got %q, want it to contain %q", v.CauseSummary, tc.wantSummary)
			}
		})
	}
}
