package keda_test

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/policy/keda"
)

func kolkata(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func decide(p *headroom.Policy, st engine.State, now time.Time, current int) engine.Output {
	return engine.Decide(engine.Input{Now: now, Policy: p, Current: headroom.Capacity{Ready: current}, State: st})
}

// TestDocsCronExampleThroughTheEngine runs the translated example of KEDA's
// cron scaler page (0 6 * * * to 0 20 * * * in Asia/Kolkata,
// desiredReplicas 10; https://keda.sh/docs/latest/scalers/cron/) through
// the engine: what the page promises inside the window, and the cliff at
// its end, which lands after the HPA's 300 s scale-down window.
func TestDocsCronExampleThroughTheEngine(t *testing.T) {
	p, _, err := parseFile(t, "testdata/docs-cron-kolkata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ist := kolkata(t)
	at := func(h, m, s int) time.Time { return time.Date(2021, 6, 30, h, m, s, 0, ist) }
	lastInWindow := at(19, 59, 45) // the last sync that saw the window open

	t.Run("decisions", func(t *testing.T) {
		tests := []struct {
			name    string
			now     time.Time
			state   engine.State
			current int
			want    int
			code    headroom.ReasonCode
		}{
			{"05:59: the window is closed, the metric is 1", at(5, 59, 0), engine.NewState(p, at(5, 59, 0)), 1, 1, headroom.ReasonWithinTolerance},
			{"06:00 from 5 replicas: 10 (ceil(10 / 1), within the legacy limit max(2 × 5, 4))", at(6, 0, 0), engine.NewState(p, at(6, 0, 0)), 5, 10, headroom.ReasonScaleUp},
			{"13:00 at 10: held", at(13, 0, 0), engine.NewState(p, at(13, 0, 0)), 10, 10, headroom.ReasonWithinTolerance},
			{"20:00, the end: the metric is 1, the scale-down window still holds 10", at(20, 0, 0),
				engine.NewState(p, at(20, 0, 0)).Settled(lastInWindow, 10), 10, 10, headroom.ReasonStabilized},
			{"20:05, the window's last recommendation has left the scale-down window: 1 at once", at(20, 5, 0),
				engine.NewState(p, at(20, 5, 0)).Settled(lastInWindow, 10), 10, 1, headroom.ReasonScaleDown},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out := decide(p, tt.state, tt.now, tt.current)
				if out.Desired != tt.want || out.Reason.Code != tt.code {
					t.Errorf("got %d (%s: %s), want %d (%s)", out.Desired, out.Reason.Code, out.Reason.Message, tt.want, tt.code)
				}
			})
		}
	})

	t.Run("a day", func(t *testing.T) {
		// Every sync from 05:55 to 20:10, capacity following each decision.
		start := at(5, 55, 0)
		st := engine.NewState(p, start)
		current := 1
		got := map[time.Time]int{}
		for now := start; !now.After(at(20, 10, 0)); now = now.Add(15 * time.Second) {
			out := decide(p, st, now, current)
			st, current = out.State, out.Desired
			got[now] = current
		}
		for _, c := range []struct {
			now  time.Time
			want int
		}{
			{at(5, 59, 45), 1},
			// From 1 the legacy path allows max(2 × current, 4) per sync.
			{at(6, 0, 0), 4},
			{at(6, 0, 15), 8},
			{at(6, 0, 30), 10},
			{at(13, 0, 0), 10},
			{at(20, 0, 0), 10},
			// The recommendation of 10 at 19:59:45 leaves the 300 s window
			// (samples after now − 300 s count) at 20:04:45.
			{at(20, 4, 30), 10},
			{at(20, 4, 45), 1},
			{at(20, 10, 0), 1},
		} {
			if got[c.now] != c.want {
				t.Errorf("%s: got %d replicas, want %d", c.now.Format("15:04:05 MST"), got[c.now], c.want)
			}
		}
	})
}

// TestCronToleranceThroughTheEngine pins the "stuck at 88 when 89 was
// configured" reports: desiredReplicas is a metric against an AverageValue
// target of 1, and 89/88 is within the HPA's 10% tolerance.
func TestCronToleranceThroughTheEngine(t *testing.T) {
	p, _, err := keda.Parse("so.yaml", []byte(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: big}
spec:
  scaleTargetRef: {name: big}
  minReplicaCount: 1
  maxReplicaCount: 200
  triggers:
  - type: cron
    metadata: {timezone: Asia/Kolkata, start: 0 6 * * *, end: 0 20 * * *, desiredReplicas: "89"}
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2021, 6, 30, 12, 0, 0, 0, kolkata(t))
	out := decide(p, engine.NewState(p, now), now, 88)
	if out.Desired != 88 || out.Reason.Code != headroom.ReasonWithinTolerance || !strings.Contains(out.Reason.Message, "within tolerance") {
		t.Errorf("at 88 with 89 desired: got %d (%s: %s), want 88 held by the tolerance", out.Desired, out.Reason.Code, out.Reason.Message)
	}
}

// Regression test for a cron window's start in the hour clocks repeat:
// KEDA's scaler takes robfig/cron's next start as it is, so start
// "30 2 * * 0" in Europe/Berlin on 2026-10-25 opens the window at 02:30 CET,
// the second 02:30, not at 02:30 CEST (hack/kedadiff seed 53, against KEDA
// v2.20.2's pkg/scalers cron scaler).
func TestCronStartInTheRepeatedHour(t *testing.T) {
	p, _, err := keda.Parse("berlin.yaml", []byte(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
spec:
  scaleTargetRef:
    name: web
  minReplicaCount: 1
  maxReplicaCount: 100
  triggers:
    - type: cron
      metadata:
        timezone: Europe/Berlin
        start: "30 2 * * 0"
        end: "15 12 * * 1-5"
        desiredReplicas: "18"
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"02:30 CEST, the first 02:30: KEDA's next start is the second", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 1},
		{"02:59 CEST", time.Date(2026, 10, 25, 0, 59, 0, 0, time.UTC), 1},
		{"02:30 CET, the second 02:30: open", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// From 1 replica the legacy scale-up limit, max(2 × 1, 4), caps
			// the first step: 4 says the window is open.
			out := decide(p, engine.NewState(p, tt.now), tt.now, 1)
			if out.Desired != tt.want {
				t.Errorf("got %d (%s), want %d", out.Desired, out.Reason.Message, tt.want)
			}
		})
	}
}
