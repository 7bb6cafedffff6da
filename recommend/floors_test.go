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
