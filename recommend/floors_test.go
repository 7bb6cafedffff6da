package recommend

import (
	"testing"
	"time"
)

func TestWeekdays(t *testing.T) {
	tests := []struct {
		days []int
		want string
	}{
		{[]int{1, 2, 3, 4, 5}, "1-5"},
		{[]int{0, 1, 2, 3, 4, 5, 6}, "*"},
		{[]int{0, 6}, "0,6"},
		{[]int{0, 2, 3, 4, 6}, "0,2-4,6"},
		{[]int{3, 1}, "1,3"},
	}
	for _, tt := range tests {
		if got := weekdays(tt.days); got != tt.want {
			t.Errorf("weekdays(%v): got %q, want %q", tt.days, got, tt.want)
		}
	}
}

// TestDSTHours pins the hours a cron activation cannot rely on in Los
// Angeles: Sunday 02:00 (skipped in March) and Sunday 01:00 (repeated in
// November).
func TestDSTHours(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	got := dstHours(la, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))
	want := map[int]bool{0*24 + 2: true, 0*24 + 1: true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("weekday-hour %d (Sunday %02d:00) missing from %v", k, k%24, got)
		}
	}
}

// TestPlanMergesDSTHours: the action for 03:00 fires at 02:57, in the hour
// skipped in March; it is merged into the 01:57 action with the higher
// floor, so the floor for 03:00 never depends on it.
func TestPlanMergesDSTHours(t *testing.T) {
	var fl [Slots]Floor
	for i := range fl {
		fl[i].Instances = 5
	}
	fl[3].Instances = 9 // Sunday 03:00
	dst := map[int]bool{2: true}
	acts := plan(&fl, 3*time.Minute, dst)
	for _, a := range acts {
		if a.at/60 == 2 {
			t.Errorf("an action fires at %02d:%02d on Sunday, in the DST hour", a.at/60, a.at%60)
		}
	}
	if fl[2].Instances != 9 || fl[3].Instances != 9 {
		t.Errorf("Sunday 02:00 and 03:00: got floors %d and %d, want 9 and 9", fl[2].Instances, fl[3].Instances)
	}
	if fl[4].Instances != 5 {
		t.Errorf("Sunday 04:00: got %d, want 5", fl[4].Instances)
	}
}

// TestPooled: a pooled floor is the highest floor of its pool, with the
// interval that drove it, and the pools hold each other in order.
func TestPooled(t *testing.T) {
	var fl [Slots]Floor
	for i := range fl {
		fl[i].Instances = 2
	}
	// Monday 10:00 had a spike; Saturday 23:00 a bigger one.
	mon10, sat23 := int(time.Monday)*24+10, int(time.Saturday)*24+23
	driver := time.Date(1995, 7, 10, 14, 31, 0, 0, time.UTC)
	fl[mon10] = Floor{Instances: 9, Need: 8, Driver: driver, Demand: 790}
	fl[sat23].Instances = 12
	tue10, tue11, sun10, sun00 := int(time.Tuesday)*24+10, int(time.Tuesday)*24+11, int(time.Sunday)*24+10, 0
	tests := []struct {
		name string
		pool Pool
		want map[int]int // slot → instances
	}{
		{"own weekday-hour: unchanged", Pool{0, PoolWeekday}, map[int]int{mon10: 9, tue10: 2, sun10: 2, sat23: 12, sun00: 2}},
		{"days of its kind: weekdays share Monday's spike, the weekend does not", Pool{0, PoolDayType}, map[int]int{tue10: 9, tue11: 2, sun10: 2}},
		{"every day: Sunday takes it too", Pool{0, PoolAll}, map[int]int{tue10: 9, sun10: 9, tue11: 2}},
		{"every day ±1 h: the hour after, and across midnight into Sunday", Pool{1, PoolAll}, map[int]int{tue11: 9, sun00: 12, int(time.Wednesday)*24 + 22: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pooled(&fl, tt.pool)
			for slot, want := range tt.want {
				if got[slot].Instances != want {
					t.Errorf("%s %02d:00: got %d instances, want %d", time.Weekday(slot/24), slot%24, got[slot].Instances, want)
				}
			}
			if tt.pool.Days != PoolWeekday && !got[tue10].Driver.Equal(driver) {
				t.Errorf("Tuesday 10:00's driver: got %v, want Monday's spike %v", got[tue10].Driver, driver)
			}
		})
	}
	for i := 1; i < len(pools); i++ {
		a, b := pooled(&fl, pools[i-1]), pooled(&fl, pools[i])
		for s := range a {
			if b[s].Instances < a[s].Instances {
				t.Fatalf("pool %v is not wider than %v at slot %d", pools[i], pools[i-1], s)
			}
		}
	}
}
