package schedule

import (
	"testing"
	"time"
)

// Regression test for KEDA's cron windows on the night clocks fall back:
// KEDA's scaler takes robfig/cron's next activation as it is, so 02:30 on
// a Sunday in Europe/Berlin on 2026-10-25 comes again at 02:30 CET after
// 02:30 CEST (hack/kedadiff seed 53); Cron keeps the first only.
func TestCalendarRepeatedHour(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	firstPass := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	k, err := ParseCalendar("30 2 * * 0", berlin)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("30 2 * * 0", berlin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		next func(time.Time) time.Time
		want time.Time
	}{
		{"Calendar: the second 02:30, CET", k.Next, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"Cron: next Sunday's 02:30", c.Next, time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.next(firstPass); !got.Equal(tc.want) {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
