package main

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// The page is rebuilt without a write when a day begins in its own zone or
// in UTC (the uptime bars), and each minute while a component is down.
func TestStatusPageStale(t *testing.T) {
	built := time.Date(2026, 11, 26, 7, 30, 0, 0, time.UTC) // 23:30 on the 25th in Los Angeles
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	svc, err := incident.NewService(t.Context(), incident.Config{Store: &incident.MemoryStore{},
		Page:       incident.Page{ID: "p", Name: "P", TimeZone: "America/Los_Angeles"},
		Components: []incident.Component{{ID: "api", Name: "API"}}, Now: func() time.Time { return built }})
	if err != nil {
		t.Fatal(err)
	}
	s := &StatusPage{Service: svc, zone: la}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{built.Add(15 * time.Minute), false}, // 23:45 in LA, 07:45 UTC
		{built.Add(45 * time.Minute), true},  // 00:15 on the 26th in LA
		{built.Add(-8 * time.Hour), true},    // 23:30 UTC the day before
		{built.Add(time.Minute + 1), false},  // all operational: no minute rebuilds
	} {
		if got := s.stale(tc.now); got != tc.want {
			t.Errorf("stale(%s) = %v, want %v", tc.now, got, tc.want)
		}
	}
	if err := svc.SetComponent(t.Context(), "api", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	if !s.stale(built.Add(time.Minute)) || s.stale(built.Add(30*time.Second)) {
		t.Errorf("with a component down: want a rebuild after a minute, not before")
	}
}
