package keda_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/hpa"
	"github.com/headroomhq/headroom/policy/keda"
	"github.com/headroomhq/headroom/schedule"
)

// floorAt returns the floor p holds at t: its minimum raised by the last
// scheduled action before t, or by the cron windows open at t (the next
// end comes before the next start, as the engine reads them).
func floorAt(p *headroom.Policy, t time.Time) int {
	f := p.Min
	var last time.Time
	for _, a := range p.Schedules {
		for at := a.Schedule.Next(t.AddDate(0, 0, -8)); !at.After(t); at = a.Schedule.Next(at) {
			if !at.Before(last) {
				last, f = at, *a.Min
			}
		}
	}
	if p.Target != nil {
		for _, m := range p.Target.Metrics {
			if w := m.Window; w != nil && w.End.Next(t).Before(w.Start.Next(t)) {
				f = max(f, w.Desired)
			}
		}
	}
	return f
}

// sameFloors compares the floors of two policies every 15 minutes of a
// week (and of a week crossing a change of the clock).
func sameFloors(t *testing.T, got, want *headroom.Policy) {
	t.Helper()
	for _, from := range []time.Time{time.Date(2024, 6, 2, 0, 0, 30, 0, time.UTC), time.Date(2024, 3, 6, 0, 0, 30, 0, time.UTC)} {
		bad := 0
		for at := from; at.Before(from.AddDate(0, 0, 7)); at = at.Add(15 * time.Minute) {
			if g, w := floorAt(got, at), floorAt(want, at); g != w && bad < 5 {
				bad++
				t.Errorf("%s: floor %d read back, want %d", at.In(want.Zone()).Format("Mon 2006-01-02 15:04"), g, w)
			}
		}
	}
}

func weeklyFloors(t *testing.T, zone *time.Location, list ...any) []headroom.ScheduledAction {
	t.Helper()
	var out []headroom.ScheduledAction
	for i := 0; i+1 < len(list); i += 2 {
		spec, n := list[i].(string), list[i+1].(int)
		s, err := schedule.Parse(spec, zone)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, headroom.ScheduledAction{Name: "floor " + spec, Spec: spec, TimeZone: zone, Schedule: s, Min: &n})
	}
	return out
}

// TestRewriteRoundTrip: floors per weekday-hour written into the shipped
// example's ScaledObject become cron triggers that read back as the same
// floor at every minute of the week (a window across midnight, one of more
// than a day, weekdays sharing a trigger), with the bounds and the cpu
// target; the comments and the cpu trigger stay; writing the result again
// changes nothing.
func TestRewriteRoundTrip(t *testing.T) {
	const path = "testdata/example-keda.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cur, _, err := keda.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	zone := cur.Zone()
	p := *cur
	tt := *cur.Target
	tt.Metrics = nil
	for _, m := range cur.Target.Metrics {
		if m.Kind != headroom.MetricCron {
			m.Target = 72
			tt.Metrics = append(tt.Metrics, m)
		}
	}
	p.Target, p.Min, p.Max = &tt, 12, 110
	p.Schedules = weeklyFloors(t, zone,
		"56 4 * * 1-5", 30, // weekday mornings
		"56 8 * * 1-5", 45,
		"56 17 * * 1-4", 12, // Friday's 45 runs into the night
		"56 22 * * 5", 20, // across midnight, to Saturday 02:56
		"56 2 * * 6", 12,
		"56 9 * * 6", 18, // Saturday 09:56 to Monday 04:56: more than a day
	)
	out, err := keda.Rewrite(path, data, &p)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := keda.Parse(path, out)
	if err != nil {
		t.Fatalf("the written ScaledObject does not read back: %v\n%s", err, out)
	}
	if got.Min != 12 || got.Max != 110 {
		t.Errorf("bounds: got %d..%d, want 12..110", got.Min, got.Max)
	}
	cpu := 0.0
	for _, m := range got.Target.Metrics {
		if m.Kind == headroom.MetricCPU {
			cpu = m.Target
		}
	}
	if cpu != 72 {
		t.Errorf("cpu target: got %v, want 72", cpu)
	}
	sameFloors(t, got, &p)
	for _, keep := range []string{"# The shipped example's policy as a KEDA ScaledObject", "# the night floor", "# percent of the request",
		`start: "56 8 * * 1-4"`, `end: "56 17 * * 1-4"`, `desiredReplicas: "45"`, "name: floor-0856-mon-to-thu"} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("the written file lacks %q:\n%s", keep, out)
		}
	}
	if strings.Contains(string(out), "morning-floor") {
		t.Errorf("CURRENT's cron trigger was kept beside the floors:\n%s", out)
	}
	again, err := keda.Rewrite(path, out, got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("writing the read-back policy changed the file:\n%s\nwant\n%s", again, out)
	}
}

// TestRewriteRefusesAnEndlessFloor: a floor above the minimum all week
// has no window end; it is a minimum.
func TestRewriteRefusesAnEndlessFloor(t *testing.T) {
	const path = "testdata/example-keda.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cur, _, err := keda.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	p := *cur
	p.Schedules = weeklyFloors(t, cur.Zone(), "0 5 * * *", 30)
	if _, err := keda.Rewrite(path, data, &p); err == nil || !strings.Contains(err.Error(), "is a minimum") {
		t.Errorf("got %v, want a refusal naming the minimum", err)
	}
}

// TestFromHPA: the ScaledObject written for an HPA reads as the same
// policy (bounds, cpu target, behavior), and takes floors.
func TestFromHPA(t *testing.T) {
	for _, path := range []string{"../hpa/testdata/example-hpa.yaml", "../hpa/testdata/behavior-scaledown.yaml"} {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := hpa.Parse(path, data)
			if err != nil {
				t.Fatal(err)
			}
			so, err := keda.FromHPA(path, data)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := keda.Parse(path, so)
			if err != nil {
				t.Fatalf("%v\n%s", err, so)
			}
			if got.Min != want.Min || got.Max != want.Max || got.Initial != want.Initial || got.Target.Metrics[0].Target != want.Target.Metrics[0].Target ||
				got.Target.Legacy != want.Target.Legacy || got.Target.ScaleDown.StabilizationWindow != want.Target.ScaleDown.StabilizationWindow {
				t.Errorf("the ScaledObject reads as %+v, want the HPA's %+v", got, want)
			}
			if !strings.Contains(string(so), "delete the HorizontalPodAutoscaler") {
				t.Errorf("no word on deleting the HPA:\n%s", so)
			}
		})
	}
	if _, err := keda.FromHPA("../hpa/testdata/pods-metric.yaml", mustRead(t, "../hpa/testdata/pods-metric.yaml")); err == nil || !strings.Contains(err.Error(), "cpu Utilization metrics only") {
		t.Errorf("pods metric: got %v, want a refusal", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
