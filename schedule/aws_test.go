package schedule

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// upcoming formats the first n activations after from in UTC, "" standing
// for the zero time (no further activation), after which it stops.
func upcoming(s headroom.Schedule, from time.Time, n int) []string {
	var out []string
	for at := from; len(out) < n; {
		at = s.Next(at)
		if at.IsZero() {
			return append(out, "")
		}
		out = append(out, at.UTC().Format(time.RFC3339))
	}
	return out
}

// awsCase is one schedule and the activations that follow from.
type awsCase struct {
	name       string
	expr       string
	zone       string // "" is UTC
	start, end string // RFC 3339; "" is unset
	anchor     string
	from       string
	want       []string // "" is "no further activation"
}

func optionalTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad time %q in the test table: %v", s, err)
	}
	return v
}

func runAWSCases(t *testing.T, tests []awsCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := time.UTC
			if tt.zone != "" {
				loc = mustZone(t, tt.zone)
			}
			s, err := ParseAWS(tt.expr, loc, optionalTime(t, tt.start), optionalTime(t, tt.end), optionalTime(t, tt.anchor))
			if err != nil {
				t.Fatalf("ParseAWS(%q): %v", tt.expr, err)
			}
			got := upcoming(s, utc(tt.from), len(tt.want))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%s in %s after %s:\ngot  %q\nwant %q", tt.expr, loc, tt.from, got, tt.want)
			}
		})
	}
}

// The examples the AWS pages give, each with when the page says it runs.
func TestParseAWSDocumentationExamples(t *testing.T) {
	runAWSCases(t, []awsCase{
		// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
		// and the same table on
		// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
		{
			name: "0 10 * * ? *: 10:00 am (UTC) every day",
			expr: "cron(0 10 * * ? *)", from: "2021-06-30T12:00:00Z",
			want: []string{"2021-07-01T10:00:00Z", "2021-07-02T10:00:00Z"},
		},
		{
			name: "15 12 * * ? *: 12:15 pm (UTC) every day, strictly after an activation",
			expr: "cron(15 12 * * ? *)", from: "2021-06-30T12:15:00Z",
			want: []string{"2021-07-01T12:15:00Z", "2021-07-02T12:15:00Z"},
		},
		{
			name: "0 18 ? * MON-FRI *: 6:00 pm (UTC) every Monday through Friday",
			expr: "cron(0 18 ? * MON-FRI *)", from: "2021-07-02T18:00:00Z", // a Friday
			want: []string{"2021-07-05T18:00:00Z", "2021-07-06T18:00:00Z"},
		},
		{
			name: "0 8 1 * ? *: 8:00 am (UTC) the 1st day of every month",
			expr: "cron(0 8 1 * ? *)", from: "2021-06-15T00:00:00Z",
			want: []string{"2021-07-01T08:00:00Z", "2021-08-01T08:00:00Z"},
		},
		{
			name: "0/15 * * * ? *: every 15 minutes",
			expr: "cron(0/15 * * * ? *)", from: "2021-06-30T23:50:00Z",
			want: []string{"2021-07-01T00:00:00Z", "2021-07-01T00:15:00Z", "2021-07-01T00:30:00Z"},
		},
		{
			name: "0/10 * ? * MON-FRI *: every 10 minutes Monday through Friday",
			expr: "cron(0/10 * ? * MON-FRI *)", from: "2021-07-02T23:45:00Z",
			want: []string{"2021-07-02T23:50:00Z", "2021-07-05T00:00:00Z", "2021-07-05T00:10:00Z"},
		},
		{
			name: "0/5 8-17 ? * MON-FRI *: every 5 minutes Monday through Friday between 8:00 am and 5:55 pm",
			expr: "cron(0/5 8-17 ? * MON-FRI *)", from: "2021-07-02T17:50:00Z",
			want: []string{"2021-07-02T17:55:00Z", "2021-07-05T08:00:00Z", "2021-07-05T08:05:00Z"},
		},
		{
			name: "30 6 ? * MON *: every Monday at 6:30 AM",
			expr: "cron(30 6 ? * MON *)", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-05T06:30:00Z", "2021-07-12T06:30:00Z"},
		},
		// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
		{
			// The page says "between 10:00 pm on the starting day to 2:00 am on
			// the following day"; read as cron, the hours 0-2 belong to the
			// weekday itself: Friday night stops at midnight, Monday starts
			// at 00:00, and 0/30 runs at 2:30 too.
			name: "0/30 20-2 ? * MON-FRI *: a range that wraps past midnight",
			expr: "cron(0/30 20-2 ? * MON-FRI *)", from: "2021-07-02T23:15:00Z",
			want: []string{"2021-07-02T23:30:00Z", "2021-07-05T00:00:00Z", "2021-07-05T00:30:00Z", "2021-07-05T01:00:00Z", "2021-07-05T01:30:00Z", "2021-07-05T02:00:00Z", "2021-07-05T02:30:00Z", "2021-07-05T20:00:00Z"},
		},
		{
			name: "0 12 * * ? *: every day at 12:00pm UTC",
			expr: "cron(0 12 * * ? *)", from: "2021-07-01T12:00:00Z",
			want: []string{"2021-07-02T12:00:00Z"},
		},
		{
			name: "5,35 14 * * ? *: every day at 2:05pm and 2:35pm UTC",
			expr: "cron(5,35 14 * * ? *)", from: "2021-07-01T14:10:00Z",
			want: []string{"2021-07-01T14:35:00Z", "2021-07-02T14:05:00Z"},
		},
		{
			name: "15 10 ? * 6L 2019-2022: 10:15am on the last Friday of each month, 2019 to 2022",
			expr: "cron(15 10 ? * 6L 2019-2022)", from: "2018-06-01T00:00:00Z",
			want: []string{"2019-01-25T10:15:00Z", "2019-02-22T10:15:00Z", "2019-03-29T10:15:00Z"},
		},
		{
			name: "15 10 ? * 6L 2019-2022: none after the last Friday of 2022",
			expr: "cron(15 10 ? * 6L 2019-2022)", from: "2022-11-30T00:00:00Z",
			want: []string{"2022-12-30T10:15:00Z", ""},
		},
		{
			// "3#2 would be the second Tuesday of the month"; the example
			// cron(0 9 ? * 2#1 *) is "9:00 AM on the first Monday of each month".
			name: "0 9 ? * 2#1 *: 9:00 on the first Monday of each month",
			expr: "cron(0 9 ? * 2#1 *)", from: "2021-06-01T00:00:00Z",
			want: []string{"2021-06-07T09:00:00Z", "2021-07-05T09:00:00Z", "2021-08-02T09:00:00Z", "2021-09-06T09:00:00Z"},
		},
		{
			name: "3#5: a month without a fifth Tuesday is skipped",
			expr: "cron(0 9 ? * 3#5 *)", from: "2021-06-01T00:00:00Z",
			want: []string{"2021-06-29T09:00:00Z", "2021-08-31T09:00:00Z", "2021-11-30T09:00:00Z"},
		},
		{
			// "The L wildcard in the Day-of-month or Day-of-week fields
			// specifies the last day of the month or week."
			name: "0 0 L * ? *: midnight on the last day of each month, leap February included",
			expr: "cron(0 0 L * ? *)", from: "2024-01-15T00:00:00Z",
			want: []string{"2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "2024-04-30T00:00:00Z"},
		},
		{
			name: "0 0 ? * 6L *: midnight on the last Friday of each month",
			expr: "cron(0 0 ? * 6L *)", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-30T00:00:00Z", "2021-08-27T00:00:00Z", "2021-09-24T00:00:00Z", "2021-10-29T00:00:00Z"},
		},
		{
			name: "L alone in day-of-week is the last day of the week, Saturday",
			expr: "cron(0 0 ? * L *)", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-03T00:00:00Z", "2021-07-10T00:00:00Z"},
		},
		{
			// "3W specifies the weekday closest to the third day of the
			// month." 15 Aug 2021 is a Sunday (Monday 16th), 15 May 2021 a
			// Saturday (Friday 14th), 15 June a Tuesday.
			name: "0 12 15W * ? *: noon on the weekday nearest the 15th",
			expr: "cron(0 12 15W * ? *)", from: "2021-05-01T00:00:00Z",
			want: []string{"2021-05-14T12:00:00Z", "2021-06-15T12:00:00Z", "2021-07-15T12:00:00Z", "2021-08-16T12:00:00Z"},
		},
		{
			// 1 May 2021 is a Saturday: the nearest weekday in the month is
			// Monday the 3rd, not Friday 30 April.
			name: "1W does not leave the month",
			expr: "cron(0 12 1W * ? *)", from: "2021-04-15T00:00:00Z",
			want: []string{"2021-05-03T12:00:00Z", "2021-06-01T12:00:00Z"},
		},
		{
			// 31 Oct 2021 is a Sunday: Friday the 29th, not Monday 1 November.
			name: "31W on a Sunday month end goes back to Friday; months without a 31st are skipped",
			expr: "cron(0 12 31W * ? *)", from: "2021-09-01T00:00:00Z",
			want: []string{"2021-10-29T12:00:00Z", "2021-12-31T12:00:00Z"},
		},
		{
			name: "LW: the last weekday of the month",
			expr: "cron(0 18 LW * ? *)", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-30T18:00:00Z", "2021-08-31T18:00:00Z", "2021-09-30T18:00:00Z", "2021-10-29T18:00:00Z"},
		},
		{
			name: "a year list bounds the schedule",
			expr: "cron(0 0 1 JAN ? 2022,2024)", from: "2021-06-01T00:00:00Z",
			want: []string{"2022-01-01T00:00:00Z", "2024-01-01T00:00:00Z", ""},
		},
		{
			name: "30 February never happens: zero, not a hang",
			expr: "cron(0 0 30 2 ? *)", from: "2021-06-01T00:00:00Z",
			want: []string{""},
		},
		{
			name: "the year 2199 is the last",
			expr: "cron(0 0 1 1 ? *)", from: "2198-06-01T00:00:00Z",
			want: []string{"2199-01-01T00:00:00Z", ""},
		},
		{
			name: "weekday names are case-insensitive and ranges of names wrap",
			expr: "cron(0 12 ? * fri-mon *)", from: "2021-07-01T00:00:00Z", // a Thursday
			want: []string{"2021-07-02T12:00:00Z", "2021-07-03T12:00:00Z", "2021-07-04T12:00:00Z", "2021-07-05T12:00:00Z", "2021-07-09T12:00:00Z"},
		},
		{
			// "You can also create a cron expression with a string value that
			// contains seven fields ... [Seconds] [Minutes] [Hours] ..."
			// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
			name: "seven fields: seconds first",
			expr: "cron(30 0 9 * * ? *)", from: "2021-07-01T09:00:00Z",
			want: []string{"2021-07-01T09:00:30Z", "2021-07-02T09:00:30Z"},
		},

		// https://docs.aws.amazon.com/autoscaling/application/userguide/examples-scheduled-actions.html
		{
			name: "at(2021-03-31T22:00:00): 10:00 PM UTC on March 31, 2021, once",
			expr: "at(2021-03-31T22:00:00)", from: "2021-03-01T00:00:00Z",
			want: []string{"2021-03-31T22:00:00Z", ""},
		},
		{
			name: "at(2021-03-31T22:30:00): 10:30 PM UTC on March 31, 2021, once",
			expr: "at(2021-03-31T22:30:00)", from: "2021-03-01T00:00:00Z",
			want: []string{"2021-03-31T22:30:00Z", ""},
		},
		{
			name: "at() already past: never",
			expr: "at(2021-03-31T22:30:00)", from: "2021-03-31T22:30:00Z",
			want: []string{""},
		},
		{
			name: "at(2021-06-30T17:00:00) in UTC",
			expr: "at(2021-06-30T17:00:00)", from: "2021-06-01T00:00:00Z",
			want: []string{"2021-06-30T17:00:00Z", ""},
		},
		{
			name: "at(2021-01-31T17:00:00) with America/New_York: 5:00 PM local time",
			expr: "at(2021-01-31T17:00:00)", zone: "America/New_York", from: "2021-01-01T00:00:00Z",
			want: []string{"2021-01-31T22:00:00Z", ""},
		},
		{
			name: "rate(5 hours) from 2021-01-30 12:00 UTC until 2021-01-31 22:00 UTC",
			expr: "rate(5 hours)", start: "2021-01-30T12:00:00Z", end: "2021-01-31T22:00:00Z", from: "2021-01-30T00:00:00Z",
			want: []string{"2021-01-30T12:00:00Z", "2021-01-30T17:00:00Z", "2021-01-30T22:00:00Z", "2021-01-31T03:00:00Z", "2021-01-31T08:00:00Z", "2021-01-31T13:00:00Z", "2021-01-31T18:00:00Z", ""},
		},
		{
			name: "cron(0 9 * * ? *): every day at 9:00 AM UTC",
			expr: "cron(0 9 * * ? *)", from: "2021-06-30T09:30:00Z",
			want: []string{"2021-07-01T09:00:00Z", "2021-07-02T09:00:00Z"},
		},
		{
			// Etc/GMT+9 is UTC-9: 18:00 there is 03:00 UTC the next day.
			name: "cron(0 18 ? * MON-FRI *) with Etc/GMT+9: Monday through Friday at 6:00 PM local time",
			expr: "cron(0 18 ? * MON-FRI *)", zone: "Etc/GMT+9", from: "2021-07-02T00:00:00Z",
			want: []string{"2021-07-02T03:00:00Z", "2021-07-03T03:00:00Z", "2021-07-06T03:00:00Z"},
		},

		// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
		// rate() examples, counted from the anchor (creation time).
		{
			name: "rate(1 minute)",
			expr: "rate(1 minute)", anchor: "2021-07-01T12:00:30Z", from: "2021-07-01T12:00:30Z",
			want: []string{"2021-07-01T12:01:30Z", "2021-07-01T12:02:30Z"},
		},
		{
			name: "rate(5 minutes): the anchor is the first activation",
			expr: "rate(5 minutes)", anchor: "2021-07-01T12:03:00Z", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-01T12:03:00Z", "2021-07-01T12:08:00Z", "2021-07-01T12:13:00Z"},
		},
		{
			name: "rate(5 minutes): from long after the anchor",
			expr: "rate(5 minutes)", anchor: "2021-07-01T12:03:00Z", from: "2021-07-09T07:59:59Z",
			want: []string{"2021-07-09T08:03:00Z", "2021-07-09T08:08:00Z"},
		},
		{
			name: "rate(1 hour)",
			expr: "rate(1 hour)", anchor: "2021-07-01T12:00:00Z", from: "2021-07-01T12:00:00Z",
			want: []string{"2021-07-01T13:00:00Z", "2021-07-01T14:00:00Z"},
		},
		{
			name: "rate(1 day)",
			expr: "rate(1 day)", anchor: "2021-07-01T12:00:00Z", from: "2021-07-01T12:00:00Z",
			want: []string{"2021-07-02T12:00:00Z", "2021-07-03T12:00:00Z"},
		},
		{
			name: "rate() counts from StartTime rather than the anchor",
			expr: "rate(7 days)", start: "2021-07-05T09:00:00Z", anchor: "2021-07-01T00:00:00Z", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-05T09:00:00Z", "2021-07-12T09:00:00Z"},
		},
	})
}

// DST: a wall-clock time skipped when clocks spring forward does not run
// that day; one repeated when they fall back runs once, at the first
// occurrence, as Parse's five-field Cron (TestNextInZone). Rates count
// elapsed time.
func TestParseAWSDaylightSaving(t *testing.T) {
	runAWSCases(t, []awsCase{
		{
			name: "London, BST starts 28 Mar 2021: 01:30 does not exist that day",
			expr: "cron(30 1 * * ? *)", zone: "Europe/London", from: "2021-03-27T00:00:00Z",
			want: []string{"2021-03-27T01:30:00Z", "2021-03-29T00:30:00Z"},
		},
		{
			name: "London, BST starts 28 Mar 2021: 08:00 local moves from 08:00Z to 07:00Z",
			expr: "cron(0 8 * * ? *)", zone: "Europe/London", from: "2021-03-27T00:00:00Z",
			want: []string{"2021-03-27T08:00:00Z", "2021-03-28T07:00:00Z", "2021-03-29T07:00:00Z"},
		},
		{
			name: "London, BST starts 28 Mar 2021: every 30 minutes runs on through the jump",
			expr: "cron(0/30 * * * ? *)", zone: "Europe/London", from: "2021-03-28T00:15:00Z",
			want: []string{"2021-03-28T00:30:00Z", "2021-03-28T01:00:00Z", "2021-03-28T01:30:00Z"},
		},
		{
			name: "London, BST ends 31 Oct 2021: 01:15 runs once, in BST",
			expr: "cron(15 1 * * ? *)", zone: "Europe/London", from: "2021-10-30T12:00:00Z",
			want: []string{"2021-10-31T00:15:00Z", "2021-11-01T01:15:00Z"},
		},
		{
			name: "New York, EDT starts 14 Mar 2021: 02:30 is skipped that day",
			expr: "cron(30 2 * * ? *)", zone: "America/New_York", from: "2021-03-13T00:00:00Z",
			want: []string{"2021-03-13T07:30:00Z", "2021-03-15T06:30:00Z"},
		},
		{
			name: "New York, EDT starts 14 Mar 2021: hourly goes from 01:00 EST to 03:00 EDT",
			expr: "cron(0 * * * ? *)", zone: "America/New_York", from: "2021-03-14T05:30:00Z",
			want: []string{"2021-03-14T06:00:00Z", "2021-03-14T07:00:00Z", "2021-03-14T08:00:00Z"},
		},
		{
			name: "New York, EDT starts 14 Mar 2021: every minute of 02:xx is skipped in one step",
			expr: "cron(* 2 * * ? *)", zone: "America/New_York", from: "2021-03-14T06:58:00Z",
			want: []string{"2021-03-15T06:00:00Z", "2021-03-15T06:01:00Z"},
		},
		{
			name: "New York, EDT ends 7 Nov 2021: 01:30 runs once, at the first (EDT)",
			expr: "cron(30 1 * * ? *)", zone: "America/New_York", from: "2021-11-06T00:00:00Z",
			want: []string{"2021-11-06T05:30:00Z", "2021-11-07T05:30:00Z", "2021-11-08T06:30:00Z"},
		},
		{
			name: "New York, EDT ends 7 Nov 2021: every 30 minutes keeps each wall-clock time once",
			expr: "cron(0/30 * * * ? *)", zone: "America/New_York", from: "2021-11-07T05:15:00Z",
			want: []string{"2021-11-07T05:30:00Z", "2021-11-07T07:00:00Z", "2021-11-07T07:30:00Z"},
		},
		{
			name: "New York, EDT ends 7 Nov 2021: from inside the repeated hour, the next is 02:00 EST",
			expr: "cron(0/30 * * * ? *)", zone: "America/New_York", from: "2021-11-07T06:10:00Z",
			want: []string{"2021-11-07T07:00:00Z"},
		},
		{
			name: "New York, EDT ends 7 Nov 2021: 6:00 pm Monday-Friday moves from 22:00Z to 23:00Z",
			expr: "cron(0 18 ? * MON-FRI *)", zone: "America/New_York", from: "2021-11-05T00:00:00Z",
			want: []string{"2021-11-05T22:00:00Z", "2021-11-08T23:00:00Z"},
		},
		{
			name: "New York: the first Monday of November 2021 is after the change",
			expr: "cron(0 9 ? * 2#1 *)", zone: "America/New_York", from: "2021-10-01T00:00:00Z",
			want: []string{"2021-10-04T13:00:00Z", "2021-11-01T13:00:00Z", "2021-12-06T14:00:00Z"},
		},
		{
			name: "New York, EDT ends 7 Nov 2021: at() in the repeated hour is the first 01:30",
			expr: "at(2021-11-07T01:30:00)", zone: "America/New_York", from: "2021-11-01T00:00:00Z",
			want: []string{"2021-11-07T05:30:00Z", ""},
		},
		{
			name: "New York, EDT starts 14 Mar 2021: rate(1 day) is 24 hours, so 07:00 EST becomes 08:00 EDT",
			expr: "rate(1 day)", zone: "America/New_York", anchor: "2021-03-13T12:00:00Z", from: "2021-03-13T12:00:00Z",
			want: []string{"2021-03-14T12:00:00Z", "2021-03-15T12:00:00Z"},
		},
		{
			// Lord Howe Island moves its clocks by 30 minutes (3 Oct 2021,
			// 02:00 -> 02:30 local).
			name: "Lord Howe: a 30-minute jump skips 02:15 only",
			expr: "cron(15 2 * * ? *)", zone: "Australia/Lord_Howe", from: "2021-10-01T00:00:00Z",
			want: []string{"2021-10-01T15:45:00Z", "2021-10-03T15:15:00Z"},
		},
		{
			// The five-field Cron (robfig/cron) gets both Lord Howe cases
			// below wrong: it runs "*/30 1 * * *" at 02:30 on 1 Oct 2017 and
			// drops 15 Oct 2017 from "0 0 1,15 * *".
			name: "Lord Howe, 1 Oct 2017: hour 1 stays in hour 1 on the day of the jump",
			expr: "cron(0/30 1 * * ? *)", zone: "Australia/Lord_Howe", from: "2017-09-30T14:00:00Z",
			want: []string{"2017-09-30T14:30:00Z", "2017-09-30T15:00:00Z", "2017-10-01T14:00:00Z"},
		},
		{
			name: "Lord Howe, Oct 2017: midnight on the 1st and 15th keeps the 15th",
			expr: "cron(0 0 1,15 * ? *)", zone: "Australia/Lord_Howe", from: "2017-09-30T13:00:00Z",
			want: []string{"2017-09-30T13:30:00Z", "2017-10-14T13:00:00Z", "2017-10-31T13:00:00Z"},
		},
	})
}

// The AWS evaluator and the five-field Cron (robfig/cron plus the
// fall-back rule) must agree wherever both dialects can say the same thing,
// DST days included.
func TestAWSCronAgreesWithCron(t *testing.T) {
	pairs := []struct{ unix, aws string }{
		{"30 2 * * *", "30 2 * * ? *"},
		{"*/30 1 * * *", "0/30 1 * * ? *"},
		{"0 * * * *", "0 * * * ? *"},
		{"15 0-3 * * *", "15 0-3 * * ? *"},
		{"0 9 * * 1-5", "0 9 ? * MON-FRI *"},
		{"0 0 1,15 * *", "0 0 1,15 * ? *"},
		{"*/20 * * * 0", "0/20 * ? * SUN *"},
	}
	// Not Australia/Lord_Howe: robfig/cron mishandles its 30-minute shift
	// (see the Lord Howe cases in TestParseAWSDaylightSaving).
	zones := []string{"UTC", "America/New_York", "Europe/London", "Australia/Sydney", "America/Sao_Paulo"}
	for _, p := range pairs {
		for _, zone := range zones {
			t.Run(p.aws+" in "+zone, func(t *testing.T) {
				loc := mustZone(t, zone)
				unix, err := Parse(p.unix, loc)
				if err != nil {
					t.Fatal(err)
				}
				aws, err := parseAWSCron(p.aws, loc)
				if err != nil {
					t.Fatal(err)
				}
				from, until := utc("2020-01-01T00:00:00Z"), utc("2022-01-01T00:00:00Z")
				for want := unix.Next(from); want.Before(until); want = unix.Next(want) {
					got := aws.Next(from)
					if !got.Equal(want) {
						t.Fatalf("after %s: got %s, want %s", from.Format(time.RFC3339), got.Format(time.RFC3339), want.Format(time.RFC3339))
					}
					from = want
				}
			})
		}
	}
}

// StartTime and EndTime: "If you specify a start time, Application Auto
// Scaling performs the action at this time, and then performs the action
// based on the specified recurrence. If you specify an end time, the action
// stops repeating after this time."
// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
func TestParseAWSStartAndEnd(t *testing.T) {
	runAWSCases(t, []awsCase{
		{
			name: "cron runs at the start time, then on the recurrence, up to and including the end time",
			expr: "cron(0 10 * * ? *)", start: "2021-07-01T12:00:00Z", end: "2021-07-03T10:00:00Z", from: "2021-06-29T00:00:00Z",
			want: []string{"2021-07-01T12:00:00Z", "2021-07-02T10:00:00Z", "2021-07-03T10:00:00Z", ""},
		},
		{
			name: "a start time on an activation runs once",
			expr: "cron(0 10 * * ? *)", start: "2021-07-01T10:00:00Z", from: "2021-06-29T00:00:00Z",
			want: []string{"2021-07-01T10:00:00Z", "2021-07-02T10:00:00Z"},
		},
		{
			name: "after the start time, only the recurrence",
			expr: "cron(0 10 * * ? *)", start: "2021-07-01T12:00:00Z", from: "2021-07-01T12:00:00Z",
			want: []string{"2021-07-02T10:00:00Z"},
		},
		{
			name: "an end time alone stops the recurrence",
			expr: "cron(0 10 * * ? *)", end: "2021-07-02T09:59:59Z", from: "2021-06-30T12:00:00Z",
			want: []string{"2021-07-01T10:00:00Z", ""},
		},
		{
			name: "rate() counts from the start time and stops after the end time",
			expr: "rate(1 hour)", start: "2021-07-01T10:30:00Z", end: "2021-07-01T12:30:00Z", from: "2021-07-01T11:00:00Z",
			want: []string{"2021-07-01T11:30:00Z", "2021-07-01T12:30:00Z", ""},
		},
		{
			name: "at() before the start time does not happen",
			expr: "at(2021-06-30T17:00:00)", start: "2021-07-01T00:00:00Z", from: "2021-06-01T00:00:00Z",
			want: []string{""},
		},
		{
			name: "at() after the end time does not happen",
			expr: "at(2021-06-30T17:00:00)", end: "2021-06-30T16:59:59Z", from: "2021-06-01T00:00:00Z",
			want: []string{""},
		},
		{
			name: "at() inside the window happens",
			expr: "at(2021-06-30T17:00:00)", start: "2021-06-30T00:00:00Z", end: "2021-06-30T17:00:00Z", from: "2021-06-01T00:00:00Z",
			want: []string{"2021-06-30T17:00:00Z", ""},
		},
	})
}

func TestBounded(t *testing.T) {
	c, err := parseAWSCron("0 10 * * ? *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		start, end string
		from       string
		want       []string
	}{
		{"unbounded", "", "", "2021-06-30T12:00:00Z", []string{"2021-07-01T10:00:00Z", "2021-07-02T10:00:00Z"}},
		{"no activation at the start time itself", "2021-07-01T12:00:00Z", "", "2021-06-29T00:00:00Z", []string{"2021-07-02T10:00:00Z"}},
		{"an activation exactly at the start is kept", "2021-07-01T10:00:00Z", "", "2021-06-29T00:00:00Z", []string{"2021-07-01T10:00:00Z"}},
		{"an activation exactly at the end is kept", "", "2021-07-02T10:00:00Z", "2021-06-30T12:00:00Z", []string{"2021-07-01T10:00:00Z", "2021-07-02T10:00:00Z", ""}},
		{"an empty window", "2021-07-01T10:30:00Z", "2021-07-02T09:30:00Z", "2021-06-29T00:00:00Z", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Bounded(c, optionalTime(t, tt.start), optionalTime(t, tt.end))
			got := upcoming(s, utc(tt.from), len(tt.want))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// EC2 Auto Scaling: five-field Recurrence and TimeZone, or a one-time
// action at StartTime.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
func TestParseEC2(t *testing.T) {
	tests := []struct {
		name       string
		recurrence string
		zone       string
		start, end string
		from       string
		want       []string
	}{
		{
			name:  "--start-time 2021-03-31T08:00:00Z, no recurrence: once at 8:00 AM UTC on March 31, 2021",
			start: "2021-03-31T08:00:00Z", from: "2021-03-01T00:00:00Z",
			want: []string{"2021-03-31T08:00:00Z", ""},
		},
		{
			name:       "--recurrence \"0 9 * * *\": every day at 9:00 AM UTC",
			recurrence: "0 9 * * *", from: "2021-07-01T09:00:00Z",
			want: []string{"2021-07-02T09:00:00Z", "2021-07-03T09:00:00Z"},
		},
		{
			name:       "--recurrence \"0 18 * * 1-5\" --time-zone America/New_York: Monday through Friday at 6:00 PM local time",
			recurrence: "0 18 * * 1-5", zone: "America/New_York", from: "2021-11-05T00:00:00Z",
			want: []string{"2021-11-05T22:00:00Z", "2021-11-08T23:00:00Z"},
		},
		{
			// describe-scheduled-actions: Recurrence "30 0 1 1,6,12 *" with
			// StartTime 2020-12-01T00:30:00Z.
			name:       "recurrence 30 0 1 1,6,12 * from its start time 2020-12-01T00:30:00Z",
			recurrence: "30 0 1 1,6,12 *", start: "2020-12-01T00:30:00Z", from: "2020-11-01T00:00:00Z",
			want: []string{"2020-12-01T00:30:00Z", "2021-01-01T00:30:00Z", "2021-06-01T00:30:00Z", "2021-12-01T00:30:00Z"},
		},
		{
			name:       "a start time between activations runs at the start, and the end time stops the recurrence",
			recurrence: "0 9 * * *", start: "2021-07-01T12:00:00Z", end: "2021-07-03T08:00:00Z", from: "2021-07-01T00:00:00Z",
			want: []string{"2021-07-01T12:00:00Z", "2021-07-02T09:00:00Z", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := time.UTC
			if tt.zone != "" {
				loc = mustZone(t, tt.zone)
			}
			s, err := ParseEC2(tt.recurrence, loc, optionalTime(t, tt.start), optionalTime(t, tt.end))
			if err != nil {
				t.Fatalf("ParseEC2(%q): %v", tt.recurrence, err)
			}
			got := upcoming(s, utc(tt.from), len(tt.want))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseEC2Errors(t *testing.T) {
	tests := []struct {
		name, recurrence string
		start, end       string
		want             string
	}{
		{"one-time without a start time", "", "", "", "needs a start time"},
		{"not five-field cron", "0 9 * * ? *", "", "", "recurrence:"},
		{"end before start", "0 9 * * *", "2021-07-02T00:00:00Z", "2021-07-01T00:00:00Z", "is before start time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEC2(tt.recurrence, time.UTC, optionalTime(t, tt.start), optionalTime(t, tt.end))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// Errors say which field is wrong and what it takes.
func TestParseAWSErrors(t *testing.T) {
	anchor := utc("2021-07-01T00:00:00Z")
	tests := []struct {
		name, expr string
		zone       string
		start, end string
		noAnchor   bool
		want       string
	}{
		{name: "Unix weekday 0", expr: "cron(0 10 ? * 0 *)", want: "day-of-week: 0 is out of 1-7 (SUN=1)"},
		{name: "weekday 8", expr: "cron(0 10 ? * 8 *)", want: "day-of-week: 8 is out of 1-7 (SUN=1)"},
		{name: "weekday 8 in a range", expr: "cron(0 10 ? * 2-8 *)", want: "day-of-week: 8 is out of 1-7 (SUN=1)"},
		{name: "weekday 8 with L", expr: "cron(0 12 ? * 8L *)", want: "day-of-week: 8 is out of 1-7 (SUN=1)"},
		{name: "both day fields set", expr: "cron(0 10 * * * *)", want: "both day-of-month (*) and day-of-week (*) are set: one must be ?"},
		{name: "a day and a weekday", expr: "cron(30 6 * * 2 *)", want: "both day-of-month (*) and day-of-week (2) are set: one must be ?"},
		{name: "both day fields ?", expr: "cron(0 10 ? * ? *)", want: "both day-of-month and day-of-week are ?"},
		{name: "five fields", expr: "cron(0 10 * * ?)", want: "got 5 fields, want 6"},
		{name: "eight fields", expr: "cron(0 0 10 * * ? * *)", want: "got 8 fields, want 6"},
		{name: "empty", expr: "cron()", want: "got 0 fields"},
		{name: "minute 60", expr: "cron(60 10 * * ? *)", want: "minutes: 60 is out of 0-59"},
		{name: "hour 24", expr: "cron(0 24 * * ? *)", want: "hours: 24 is out of 0-23"},
		{name: "day 32", expr: "cron(0 10 32 * ? *)", want: "day-of-month: 32 is out of 1-31"},
		{name: "day 32W", expr: "cron(0 12 32W * ? *)", want: "day-of-month: 32 is out of 1-31"},
		{name: "month 13", expr: "cron(0 10 1 13 ? *)", want: "month: 13 is out of 1-12 or JAN-DEC"},
		{name: "unknown month name", expr: "cron(0 10 1 FOO ? *)", want: "month: \"FOO\" is not a number or name (1-12 or JAN-DEC)"},
		{name: "year 1969", expr: "cron(0 10 1 1 ? 1969)", want: "year: 1969 is out of 1970-2199"},
		{name: "year 2200", expr: "cron(0 10 1 1 ? 2200)", want: "year: 2200 is out of 1970-2199"},
		{name: "backwards year range", expr: "cron(0 10 1 1 ? 2022-2019)", want: "year: 2022-2019: the range runs backwards"},
		{name: "? outside the day fields", expr: "cron(0 ? * * ? *)", want: "hours: ? is only for day-of-month or day-of-week"},
		{name: "two # expressions", expr: "cron(0 10 ? * 3#1,6#3 *)", want: "# and L must stand alone"},
		{name: "sixth Monday", expr: "cron(0 10 ? * 2#6 *)", want: "the occurrence after # must be 1-5"},
		{name: "increment in day-of-week", expr: "cron(0 10 ? * 1/2 *)", want: "day-of-week: 1/2: / is not allowed here"},
		{name: "offset from the last day", expr: "cron(0 10 L-3 * ? *)", want: "day-of-month: L-3"},
		{name: "W in a list", expr: "cron(0 10 1,15W * ? *)", want: "L and W must stand alone"},
		{name: "increment 0", expr: "cron(0/0 * * * ? *)", want: "minutes: 0/0: the increment after / must be 1-60"},
		{name: "empty list item", expr: "cron(0,,5 * * * ? *)", want: "minutes: \"0,,5\" has an empty list item"},
		{name: "negative number", expr: "cron(-1 * * * ? *)", want: "minutes: \"\" is not a number"},
		{name: "weeks", expr: "rate(2 weeks)", want: "unsupported rate unit \"weeks\""},
		{name: "seconds", expr: "rate(30 seconds)", want: "unsupported rate unit \"seconds\""},
		{name: "plural for 1", expr: "rate(1 hours)", want: "a value of 1 takes the singular unit \"hour\""},
		{name: "singular for 5", expr: "rate(5 hour)", want: "a value above 1 takes the plural unit \"hours\""},
		{name: "zero", expr: "rate(0 minutes)", want: "value \"0\": want a positive integer"},
		{name: "negative", expr: "rate(-5 minutes)", want: "value \"-5\": want a positive integer"},
		{name: "no unit", expr: "rate(5)", want: "want a value and a unit"},
		{name: "too long", expr: "rate(9999999999999 days)", want: "too long"},
		{name: "rate without start or anchor", expr: "rate(5 minutes)", noAnchor: true, want: "rate: needs a start time, or an anchor"},
		{name: "30 February", expr: "at(2021-02-30T10:00:00)", want: "want a date and time yyyy-mm-ddThh:mm:ss"},
		{name: "a space for T", expr: "at(2021-06-30 17:00:00)", want: "want a date and time yyyy-mm-ddThh:mm:ss"},
		{name: "at a time clocks skip", expr: "at(2021-03-14T02:30:00)", zone: "America/New_York", want: "2021-03-14T02:30:00 does not exist in America/New_York"},
		{name: "bare fields", expr: "0 10 * * ? *", want: "want cron(fields), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)"},
		{name: "unknown kind", expr: "every(5 minutes)", want: "unknown schedule \"every\""},
		{name: "end before start", expr: "cron(0 10 * * ? *)", start: "2021-07-02T00:00:00Z", end: "2021-07-01T00:00:00Z", want: "end time 2021-07-01T00:00:00Z is before start time 2021-07-02T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := time.UTC
			if tt.zone != "" {
				loc = mustZone(t, tt.zone)
			}
			a := anchor
			if tt.noAnchor {
				a = time.Time{}
			}
			_, err := ParseAWS(tt.expr, loc, optionalTime(t, tt.start), optionalTime(t, tt.end), a)
			if err == nil {
				t.Fatalf("ParseAWS(%q): got no error, want %q", tt.expr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseAWS(%q): got %q, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

// Previous, which the engine uses to find the bounds in force at the start
// of a replay, works on AWS schedules.
func TestPreviousAWS(t *testing.T) {
	s, err := ParseAWS("cron(0 9 ? * 2#1 *)", mustZone(t, "America/New_York"), time.Time{}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := Previous(s, utc("2021-11-20T00:00:00Z"), 30*24*time.Hour)
	if want := utc("2021-11-01T13:00:00Z"); !ok || !got.Equal(want) {
		t.Errorf("Previous: got %s %v, want %s", got, ok, want)
	}
}

// seeds reads the schedule expressions in testdata/aws-schedules.txt.
func seeds(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("testdata/aws-schedules.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "//") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestSeedsParse(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	for _, expr := range seeds(t) {
		loc := time.UTC
		if strings.HasPrefix(expr, "at(2021-11-07") {
			loc = ny
		}
		if _, err := ParseAWS(expr, loc, time.Time{}, time.Time{}, utc("2021-07-01T00:00:00Z")); err != nil {
			t.Errorf("ParseAWS(%q): %v", expr, err)
		}
	}
}

// FuzzParseAWS: no panics, no hangs, and activations strictly increase and
// stay within the year field's range.
func FuzzParseAWS(f *testing.F) {
	for _, expr := range seeds(f) {
		f.Add(expr, int64(1625097600)) // 2021-07-01
		f.Add(expr, int64(1636261200)) // 2021-11-07 05:00 UTC, New York's repeated hour is next
	}
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"America/New_York", "Europe/London", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	anchor := time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)
	limit := time.Date(maxYear+1, 1, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string, from int64) {
		for _, loc := range zones {
			s, err := ParseAWS(expr, loc, time.Time{}, time.Time{}, anchor)
			if err != nil {
				continue
			}
			recurring := strings.HasPrefix(strings.TrimSpace(expr), "cron")
			at := time.Unix(from, 0)
			for range 5 {
				began := time.Now()
				n := s.Next(at)
				if took := time.Since(began); took > 2*time.Second {
					t.Fatalf("%s in %s: Next(%s) took %s", expr, loc, at, took)
				}
				if n.IsZero() {
					break
				}
				if !n.After(at) {
					t.Fatalf("%s in %s: Next(%s) = %s, not after", expr, loc, at, n)
				}
				if recurring && n.After(limit) {
					t.Fatalf("%s in %s: Next(%s) = %s, after the year field's range", expr, loc, at, n)
				}
				at = n
			}
		}
	})
}
