package controller_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/schedule"
	"github.com/headroomhq/headroom/store/memory"
)

// counting is a fleet in memory that remembers its scale calls, and who
// made them when several controllers share it (see hand); the real
// command actuator is exercised by the other tests of this package.
type counting struct {
	mu     sync.Mutex
	count  int
	scales []int
	by     []string
}

func (c *counting) Capacity(context.Context) (headroom.Capacity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return headroom.Capacity{Ready: c.count}, nil
}

func (c *counting) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	c.scale(desired, "")
	return nil
}

func (c *counting) scale(desired int, who string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count = desired
	c.scales = append(c.scales, desired)
	c.by = append(c.by, who)
}

// A clock that jumps: forward past the seed's scheduled cut, back an hour
// across it, forward again. The action fires once (on the first loop after
// its time, however late), never again when the clock passes 17:00 a
// second time, and with guards on capacity never drops below what demand
// needs, jump or not.
func TestClockJumps(t *testing.T) {
	svc, prop, _ := load(t)
	jumps := []time.Time{
		time.Date(2021, 6, 30, 16, 59, 30, 0, time.UTC),
		time.Date(2021, 6, 30, 16, 59, 45, 0, time.UTC),
		time.Date(2021, 6, 30, 17, 40, 0, 0, time.UTC), // forward 40 minutes, past the cut
		time.Date(2021, 6, 30, 16, 40, 0, 0, time.UTC), // back an hour, before it
		time.Date(2021, 6, 30, 16, 59, 45, 0, time.UTC),
		time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC), // 17:00 again
		time.Date(2021, 6, 30, 17, 0, 15, 0, time.UTC),
		time.Date(2021, 7, 2, 17, 0, 15, 0, time.UTC), // forward two days: the missed firings fire once
	}
	for _, guarded := range []bool{false, true} {
		t.Run(map[bool]string{false: "guards off", true: "guards on"}[guarded], func(t *testing.T) {
			act := &counting{count: 57}
			target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act}
			if guarded {
				target.Guards = headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)
			}
			c := controller.New(&memory.Journal{}, target)
			var r controller.Record
			for _, now := range jumps {
				r = c.Step(context.Background(), now)[0]
				if r.Error != "" {
					t.Fatalf("%s: %s", now, r.Error)
				}
				if guarded && act.count < 57 {
					t.Fatalf("%s: capacity %d; 3,400 req/s need 57 or more", now, act.count)
				}
			}
			if guarded {
				if len(act.scales) != 0 {
					t.Errorf("guards on: scaled %v, want nothing (the cut deferred)", act.scales)
				}
				return
			}
			// Guards off: the cut to 12 happens once, at the jump past
			// 17:00, and the two-day jump fires the daily action once more
			// (capacity is already 12, so nothing is actuated).
			if len(act.scales) != 1 || act.scales[0] != 12 {
				t.Errorf("guards off: scales %v, want one cut to 12", act.scales)
			}
			if r.Decision.Reason.Code != headroom.ReasonScheduled {
				t.Errorf("after two days: %s, want the daily action fired once more", r.Decision.Reason.Code)
			}
		})
	}
}

// A scheduled action at 01:30 New York time, run live through both 2021
// DST changes with a loop every 15 s: on 2021-11-07 01:30 happens twice
// (EDT, then EST) and the action fires once; on 2021-03-14 01:30 exists
// once and fires once, and 02:30, which does not exist, never fires.
func TestDSTDuringAScheduledAction(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	at := func(spec string, n int) headroom.ScheduledAction {
		s, err := schedule.Parse(spec, ny)
		if err != nil {
			t.Fatal(err)
		}
		return headroom.ScheduledAction{Name: spec, Spec: spec, TimeZone: ny, Schedule: s, Desired: &n}
	}
	// Each action sets its own count, so the count tells which fired.
	p := &headroom.Policy{Name: "dst", Min: 1, Max: 100, TimeZone: ny,
		Schedules: []headroom.ScheduledAction{at("30 1 * * *", 11), at("30 2 * * *", 22)}}
	for _, day := range []struct {
		name       string
		start, end time.Time
		want       []int
	}{
		// 2021-11-07: 01:30 EDT = 05:30 UTC, 01:30 EST = 06:30 UTC, 02:30
		// EST = 07:30 UTC.
		{"fall back", time.Date(2021, 11, 7, 4, 0, 0, 0, time.UTC), time.Date(2021, 11, 7, 8, 0, 0, 0, time.UTC), []int{11, 22}},
		// 2021-03-14: 01:30 EST = 06:30 UTC; 02:00 EST jumps to 03:00 EDT.
		{"spring forward", time.Date(2021, 3, 14, 5, 0, 0, 0, time.UTC), time.Date(2021, 3, 14, 9, 0, 0, 0, time.UTC), []int{11}},
	} {
		t.Run(day.name, func(t *testing.T) {
			act := &counting{count: 5}
			c := controller.New(&memory.Journal{}, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p,
				Source: steady{demand: 100, cpu: 50}, Actuator: act})
			var when []string
			for now := day.start; now.Before(day.end); now = now.Add(15 * time.Second) {
				before := len(act.scales)
				if r := c.Step(context.Background(), now)[0]; r.Error != "" {
					t.Fatalf("%s: %s", now, r.Error)
				}
				if len(act.scales) > before {
					when = append(when, now.In(ny).Format("15:04 MST"))
				}
			}
			if !slices.Equal(act.scales, day.want) {
				t.Errorf("scales %v at %v; want %v", act.scales, when, day.want)
			}
		})
	}
}
