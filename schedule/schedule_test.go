package schedule

import (
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// activations lists the first n activations after from.
func activations(c *Cron, from time.Time, n int) []time.Time {
	var out []time.Time
	for at := from; len(out) < n; {
		at = c.Next(at)
		out = append(out, at)
	}
	return out
}

func TestNextInZone(t *testing.T) {
	tests := []struct {
		name string
		expr string
		zone string
		from string
		want []string
	}{
		{
			// The seed example: 03:00 in Sydney is 17:00 UTC during AEST (UTC+10).
			name: "Sydney night is the European afternoon in June",
			expr: "0 3 * * *", zone: "Australia/Sydney", from: "2021-06-30T00:00:00Z",
			want: []string{"2021-06-30T17:00:00Z", "2021-07-01T17:00:00Z"},
		},
		{
			name: "Sydney summer time moves it an hour earlier in UTC",
			expr: "0 3 * * *", zone: "Australia/Sydney", from: "2021-01-10T00:00:00Z",
			want: []string{"2021-01-10T16:00:00Z"},
		},
		{
			name: "London crosses BST start (28 Mar 2021): 08:00 local moves from 08:00Z to 07:00Z",
			expr: "0 8 * * *", zone: "Europe/London", from: "2021-03-27T00:00:00Z",
			want: []string{"2021-03-27T08:00:00Z", "2021-03-28T07:00:00Z", "2021-03-29T07:00:00Z"},
		},
		{
			name: "New York crosses EDT end (7 Nov 2021): 09:00 local moves from 13:00Z to 14:00Z",
			expr: "0 9 * * 1-5", zone: "America/New_York", from: "2021-11-04T00:00:00Z",
			want: []string{"2021-11-04T13:00:00Z", "2021-11-05T13:00:00Z", "2021-11-08T14:00:00Z"},
		},
		{
			name: "spring forward: 02:30 does not exist in New York on 14 Mar 2021 and is skipped that day",
			expr: "30 2 * * *", zone: "America/New_York", from: "2021-03-13T00:00:00Z",
			want: []string{"2021-03-13T07:30:00Z", "2021-03-15T06:30:00Z"},
		},
		{
			name: "fall back: 01:30 happens twice in New York on 7 Nov 2021 and runs once, at the first",
			expr: "30 1 * * *", zone: "America/New_York", from: "2021-11-06T00:00:00Z",
			want: []string{"2021-11-06T05:30:00Z", "2021-11-07T05:30:00Z", "2021-11-08T06:30:00Z"},
		},
		{
			name: "fall back in London (31 Oct 2021): 01:15 runs once, in BST",
			expr: "15 1 * * *", zone: "Europe/London", from: "2021-10-30T12:00:00Z",
			want: []string{"2021-10-31T00:15:00Z", "2021-11-01T01:15:00Z"},
		},
		{
			name: "every 30 minutes through the repeated hour keeps each instant once",
			expr: "*/30 1 * * *", zone: "Europe/London", from: "2021-10-31T00:00:00Z",
			want: []string{"2021-10-31T00:30:00Z", "2021-11-01T01:00:00Z"},
		},
		{
			name: "descriptor @daily in UTC",
			expr: "@daily", zone: "UTC", from: "2021-06-30T12:00:00Z",
			want: []string{"2021-07-01T00:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.expr, mustZone(t, tt.zone))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			got := activations(c, utc(tt.from), len(tt.want))
			for i := range tt.want {
				if !got[i].Equal(utc(tt.want[i])) {
					t.Errorf("activation %d: got %s, want %s", i, got[i].Format(time.RFC3339), tt.want[i])
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, expr := range []string{"", "0 3 * *", "61 3 * * *", "0 3 * * * *", "@every 5m", "CRON_TZ=UTC 0 3 * * *", "0 25 * * *"} {
		if _, err := Parse(expr, time.UTC); err == nil {
			t.Errorf("Parse(%q): got no error, want one", expr)
		}
	}
}

func TestPrevious(t *testing.T) {
	c, err := Parse("0 3 * * *", mustZone(t, "Australia/Sydney"))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := Previous(c, utc("2021-06-30T12:00:00Z"), 48*time.Hour)
	if !ok || !got.Equal(utc("2021-06-29T17:00:00Z")) {
		t.Errorf("Previous: got %s %v, want 2021-06-29T17:00:00Z", got, ok)
	}
	got, ok = Previous(c, utc("2021-06-30T17:00:00Z"), 48*time.Hour)
	if !ok || !got.Equal(utc("2021-06-30T17:00:00Z")) {
		t.Errorf("Previous at an activation: got %s, want the activation itself", got)
	}
	if _, ok := Previous(c, utc("2021-06-30T12:00:00Z"), time.Hour); ok {
		t.Errorf("Previous with a short lookback: found one, want none")
	}
}
