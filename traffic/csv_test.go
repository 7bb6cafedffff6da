package traffic_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/traffic"
)

// secondRows returns n CSV rows one second apart from 2021-06-01T00:00:00Z,
// each with count 1, after a header.
func secondRows(n int) string {
	var b strings.Builder
	b.WriteString("timestamp,requests\n")
	start := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%s,1\n", start.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	return b.String()
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		opt    traffic.Options
		start  string
		step   time.Duration
		counts []float64
	}{
		{
			name:  "header and a 60s step",
			input: lines("timestamp,requests", "2021-06-01T00:00:00Z,10", "2021-06-01T00:01:00Z,20", "2021-06-01T00:02:00Z,30"),
			start: "2021-06-01T00:00:00Z", step: time.Minute, counts: []float64{10, 20, 30},
		},
		{
			name:  "no header and a 1s step",
			input: lines("2021-06-01T00:00:00Z,1", "2021-06-01T00:00:01Z,0", "2021-06-01T00:00:02Z,2"),
			start: "2021-06-01T00:00:00Z", step: time.Second, counts: []float64{1, 0, 2},
		},
		{
			name:  "Unix seconds and a 3600s step",
			input: lines("timestamp,requests", "1622505600,8580221", "1622509200,8496640", "1622512800,8400000"),
			start: "2021-06-01T00:00:00Z", step: time.Hour, counts: []float64{8580221, 8496640, 8400000},
		},
		{
			name: "RFC3339 offsets are converted to UTC",
			input: lines("2021-06-01T02:00:00+02:00,1", "2021-05-31T20:01:00-04:00,2", "2021-06-01T05:32:00+05:30,3",
				"2021-06-01T00:03:00.000Z,4", "2021-06-01T00:04:00+00:00,5"),
			start: "2021-06-01T00:00:00Z", step: time.Minute, counts: []float64{1, 2, 3, 4, 5},
		},
		{
			name:  "Unix seconds and RFC3339 mixed",
			input: lines("1622505600,1", "2021-06-01T00:01:00Z,2", "1622505720,3"),
			start: "2021-06-01T00:00:00Z", step: time.Minute, counts: []float64{1, 2, 3},
		},
		{
			name: "comments, blank lines, CRLF, byte order mark and spaces",
			input: "\ufefftimestamp,requests\r\n# exported from nginx\r\n\r\n   \r\n" +
				"2021-06-01T00:00:00Z, 5 \r\n\t2021-06-01T00:00:10Z ,6\r\n# the end\r\n",
			start: "2021-06-01T00:00:00Z", step: 10 * time.Second, counts: []float64{5, 6},
		},
		{
			name: "decimal and exponent counts",
			input: lines("2021-06-01T00:00:00Z,12.5", "2021-06-01T00:00:01Z,1e3", "2021-06-01T00:00:02Z,+7",
				"2021-06-01T00:00:03Z,0.125", "2021-06-01T00:00:04Z,123456789012345678", "2021-06-01T00:00:05Z,-0",
				"2021-06-01T00:00:06Z,0.1", "2021-06-01T00:00:07Z,.5", "2021-06-01T00:00:08Z,007"),
			start: "2021-06-01T00:00:00Z", step: time.Second,
			counts: []float64{12.5, 1000, 7, 0.125, 123456789012345678, 0, 0.1, 0.5, 7},
		},
		{
			name:  "no newline at the end",
			input: "2021-06-01T00:00:00Z,1\n2021-06-01T00:00:05Z,2",
			start: "2021-06-01T00:00:00Z", step: 5 * time.Second, counts: []float64{1, 2},
		},
		{
			name:  "step is the smallest difference: a gap in the first rows stays a gap",
			input: lines("2021-06-01T00:00:00Z,1", "2021-06-01T00:02:00Z,2", "2021-06-01T00:03:00Z,3"),
			opt:   traffic.Options{Gaps: traffic.GapZero},
			start: "2021-06-01T00:00:00Z", step: time.Minute, counts: []float64{1, 0, 2, 3},
		},
		{
			name:  "leap day",
			input: lines("2024-02-28T23:00:00Z,1", "2024-02-29T00:00:00Z,2", "2024-02-29T01:00:00Z,3", "1709172000,4"),
			start: "2024-02-28T23:00:00Z", step: time.Hour, counts: []float64{1, 2, 3, 4},
		},
		{
			name:  "before 1970",
			input: lines("1969-12-31T23:59:58Z,1", "1969-12-31T23:59:59Z,2", "1970-01-01T00:00:00Z,3", "1,4"),
			start: "1969-12-31T23:59:58Z", step: time.Second, counts: []float64{1, 2, 3, 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = traffic.FormatCSV
			s, _, err := traffic.Read(strings.NewReader(tt.input), "in.csv", tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkSeriesValid(t, s)
			if got := s.Start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start: got %s, want %s", got, tt.start)
			}
			if s.Step != tt.step {
				t.Errorf("step: got %v, want %v", s.Step, tt.step)
			}
			if !slices.Equal(s.Counts, tt.counts) {
				t.Errorf("counts: got %v, want %v", s.Counts, tt.counts)
			}
			if s.Name != "in.csv" {
				t.Errorf("name: got %q, want in.csv", s.Name)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	const ok = "2021-06-01T00:00:00Z,1"
	tests := []struct {
		name  string
		input string
		opt   traffic.Options
		want  wantError
	}{
		{
			name:  "header other than timestamp,requests",
			input: lines("time,requests", ok),
			want:  wantError{line: 1, field: "header", value: "time,requests", expected: []string{"the header timestamp,requests"}},
		},
		{
			name:  "header is case-sensitive, after a comment",
			input: lines("# from Grafana", "Timestamp,Requests", ok),
			want:  wantError{line: 2, field: "header", value: "Timestamp,Requests", expected: []string{"timestamp,requests"}},
		},
		{
			name:  "one column",
			input: lines(ok, "2021-06-01T00:01:00Z"),
			want:  wantError{line: 2, field: "requests", value: "2021-06-01T00:01:00Z", expected: []string{"two columns"}},
		},
		{
			name:  "third column",
			input: lines("timestamp,requests", ok, "2021-06-01T00:01:00Z,1,2"),
			want:  wantError{line: 3, field: "requests", value: "1,2", expected: []string{"no third column"}},
		},
		{
			name:  "timestamp with a space instead of T",
			input: lines(ok, "2021-06-01 00:01:00,1"),
			want:  wantError{line: 2, field: "timestamp", value: "2021-06-01 00:01:00", expected: []string{"RFC3339", "Unix seconds"}},
		},
		{
			name:  "month 13",
			input: lines("timestamp,requests", "", ok, "2021-13-01T00:00:00Z,1"),
			want:  wantError{line: 4, field: "timestamp", value: "2021-13-01T00:00:00Z", expected: []string{"RFC3339"}},
		},
		{
			name:  "31 June",
			input: lines(ok, "2021-06-31T00:00:00Z,1"),
			want:  wantError{line: 2, field: "timestamp", value: "2021-06-31T00:00:00Z", expected: []string{"RFC3339"}},
		},
		{
			name:  "fraction of a second",
			input: lines(ok, "2021-06-01T00:00:00.5Z,1"),
			want:  wantError{line: 2, field: "timestamp", value: "2021-06-01T00:00:00.5Z", expected: []string{"whole second"}},
		},
		{
			name:  "Unix seconds past year 9999",
			input: lines("9999999999999,1", ok),
			want:  wantError{line: 1, field: "timestamp", value: "9999999999999", expected: []string{"year 9999"}},
		},
		{
			name:  "Unix milliseconds",
			input: lines("1622505600000,1", ok),
			want:  wantError{line: 1, field: "timestamp", value: "1622505600000", expected: []string{"Unix seconds between"}},
		},
		{
			name:  "negative requests",
			input: lines(ok, "2021-06-01T00:01:00Z,-1"),
			want:  wantError{line: 2, field: "requests", value: "-1", expected: []string{"non-negative"}},
		},
		{
			name:  "NaN requests",
			input: lines(ok, "2021-06-01T00:01:00Z,NaN"),
			want:  wantError{line: 2, field: "requests", value: "NaN", expected: []string{"non-negative number"}},
		},
		{
			name:  "infinite requests",
			input: lines(ok, "2021-06-01T00:01:00Z,Inf"),
			want:  wantError{line: 2, field: "requests", value: "Inf", expected: []string{"non-negative number"}},
		},
		{
			name:  "requests overflowing a float",
			input: lines(ok, "2021-06-01T00:01:00Z,1e400"),
			want:  wantError{line: 2, field: "requests", value: "1e400", expected: []string{"finite"}},
		},
		{
			name:  "hexadecimal requests",
			input: lines(ok, "2021-06-01T00:01:00Z,0x10"),
			want:  wantError{line: 2, field: "requests", value: "0x10", expected: []string{"non-negative number"}},
		},
		{
			name:  "empty requests",
			input: lines(ok, "2021-06-01T00:01:00Z,"),
			want:  wantError{line: 2, field: "requests", value: "", expected: []string{"non-negative number"}},
		},
		{
			name: "row out of order names both times",
			input: lines("timestamp,requests", ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:02:00Z,1",
				"2021-06-01T00:01:00Z,1"),
			want: wantError{line: 5, field: "timestamp", value: "2021-06-01T00:01:00Z",
				expected: []string{"a time after 2021-06-01T00:02:00Z (line 4)", "time order"}},
		},
		{
			name:  "duplicate timestamp names both lines",
			input: lines("timestamp,requests", ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:01:00Z,1"),
			want: wantError{line: 4, field: "timestamp", value: "2021-06-01T00:01:00Z",
				expected: []string{"not a duplicate of line 3"}},
		},
		{
			name:  "duplicate in another notation",
			input: lines(ok, "2021-06-01T02:00:00+02:00,1"),
			want: wantError{line: 2, field: "timestamp", value: "2021-06-01T02:00:00+02:00",
				expected: []string{"not a duplicate of line 1"}},
		},
		{
			name: "jump that is not a whole number of steps",
			input: lines("timestamp,requests", ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:02:00Z,1",
				"2021-06-01T00:03:30Z,1"),
			want: wantError{line: 5, field: "timestamp", value: "2021-06-01T00:03:30Z",
				expected: []string{"a whole number of 60s steps after 2021-06-01T00:02:00Z (line 4)",
					"such as 2021-06-01T00:03:00Z", "inferred from lines 2 and 3"}},
		},
		{
			name:  "gap refused by default",
			input: lines("timestamp,requests", ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:04:00Z,1"),
			want: wantError{line: 4, field: "timestamp", value: "2021-06-01T00:04:00Z",
				expected: []string{"2021-06-01T00:02:00Z (the interval after line 3)",
					"2 missing intervals (2m0s, from 2021-06-01T00:02:00Z to 2021-06-01T00:04:00Z)",
					"use --gaps zero or --gaps hold to fill it"}},
		},
		{
			name:  "gap refused by the error policy",
			input: lines(ok, "2021-06-01T00:00:01Z,1", "2021-06-01T00:00:03Z,1"),
			opt:   traffic.Options{Gaps: traffic.GapError},
			want: wantError{line: 3, field: "timestamp", value: "2021-06-01T00:00:03Z",
				expected: []string{"1 missing interval (1s,", "use --gaps zero or --gaps hold to fill it"}},
		},
		{
			name:  "errors come in file order: a gap before a bad count",
			input: lines(ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:05:00Z,1", "2021-06-01T00:06:00Z,lots"),
			want: wantError{line: 3, field: "timestamp", value: "2021-06-01T00:05:00Z",
				expected: []string{"3 missing intervals"}},
		},
		{
			name:  "errors come in file order: a row out of order before a bad line",
			input: lines(ok, "2021-06-01T00:01:00Z,1", "2021-06-01T00:00:30Z,1", "garbage"),
			want: wantError{line: 3, field: "timestamp", value: "2021-06-01T00:00:30Z",
				expected: []string{"a time after 2021-06-01T00:01:00Z (line 2)"}},
		},
		{
			name:  "duplicate second row",
			input: lines(ok, ok, "2021-06-01T00:01:00Z,1"),
			want: wantError{line: 2, field: "timestamp", value: "2021-06-01T00:00:00Z",
				expected: []string{"not a duplicate of line 1"}},
		},
		{
			// Regression test for a step that overflowed time.Duration (found by FuzzReadCSV).
			name:  "rows thousands of years apart",
			input: lines("0000-01-01T00:00:00Z,0", "0,0"),
			want: wantError{line: 2, field: "timestamp", value: "0",
				expected: []string{"a time at most 7.0d after the one before, not 719528.0d"}},
		},
		{
			name:  "rows a month apart",
			input: lines("2021-06-01T00:00:00Z,1", "2021-07-01T00:00:00Z,1"),
			want: wantError{line: 2, field: "timestamp", value: "2021-07-01T00:00:00Z",
				expected: []string{"a time at most 7.0d after the one before, not 30.0d"}},
		},
		{
			name:  "gap making the series last more than a century",
			input: lines("1622505600,1", "1623110400,1", "5251910400,1"), // weekly, then 6000 weeks later
			opt:   traffic.Options{Gaps: traffic.GapZero},
			want: wantError{line: 3, field: "timestamp", value: "5251910400",
				expected: []string{"a series lasting at most 36500.0d"}},
		},
		{
			name:  "no data rows",
			input: lines("timestamp,requests", "# nothing yet"),
			want:  wantError{line: 0, expected: []string{"at least 2 data rows", "found none"}},
		},
		{
			name:  "empty file",
			input: "",
			want:  wantError{line: 0, expected: []string{"found none"}},
		},
		{
			name:  "one data row cannot give the interval",
			input: lines("timestamp,requests", ok),
			want:  wantError{line: 2, expected: []string{"at least 2 data rows to infer the interval", "found 1"}},
		},
		{
			name:  "gap longer than MaxIntervals",
			input: lines(ok, "2021-06-01T00:00:01Z,1", "2021-06-01T01:00:00Z,1"),
			opt:   traffic.Options{Gaps: traffic.GapZero, MaxIntervals: 1000},
			want: wantError{line: 3, field: "timestamp", value: "2021-06-01T01:00:00Z",
				expected: []string{"at most 1000 intervals", "3601 intervals long"}},
		},
		{
			name:  "typo in the year is caught by the default limit",
			input: lines(ok, "2021-06-01T00:00:01Z,1", "2091-06-01T00:00:00Z,1"),
			opt:   traffic.Options{Gaps: traffic.GapZero},
			want: wantError{line: 3, field: "timestamp", value: "2091-06-01T00:00:00Z",
				expected: []string{"at most 50000000 intervals (578.7d at a 1s step)"}},
		},
		{
			name:  "error after the rows the step is inferred from",
			input: secondRows(1500) + lines("2021-06-01T00:24:59Z,1"),
			want: wantError{line: 1502, field: "timestamp", value: "2021-06-01T00:24:59Z",
				expected: []string{"not a duplicate of line 1501"}},
		},
		{
			name:  "gap after the rows the step is inferred from",
			input: secondRows(1500) + lines("2021-06-01T00:25:03Z,1"),
			want: wantError{line: 1502, field: "timestamp", value: "2021-06-01T00:25:03Z",
				expected: []string{"3 missing intervals", "after line 1501"}},
		},
		{
			name:  "line longer than the buffer",
			input: lines(ok, "2021-06-01T00:00:01Z,"+strings.Repeat("1", 1<<20)),
			want:  wantError{line: 2, expected: []string{"a line shorter than 1048576 bytes"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = traffic.FormatCSV
			s, _, err := traffic.Read(strings.NewReader(tt.input), "in.csv", tt.opt)
			if err == nil {
				t.Fatalf("got a series of %d counts, want an error", len(s.Counts))
			}
			checkInputError(t, err, "in.csv", tt.want)
		})
	}
}

func TestReadCSVGaps(t *testing.T) {
	input := lines("timestamp,requests",
		"2021-06-01T00:00:00Z,5",
		"2021-06-01T00:01:00Z,7",
		"2021-06-01T00:04:00Z,9", // line 4: 00:02 and 00:03 missing
		"2021-06-01T00:05:00Z,1",
		"2021-06-01T00:07:00Z,3", // line 6: 00:06 missing
	)
	tests := []struct {
		name     string
		gaps     traffic.GapPolicy
		counts   []float64
		warnings []wantWarning
	}{
		{
			name:   "zero fills with 0 and warns per gap",
			gaps:   traffic.GapZero,
			counts: []float64{5, 7, 0, 0, 9, 1, 0, 3},
			warnings: []wantWarning{
				{4, "2 missing intervals (2m0s, from 2021-06-01T00:02:00Z to 2021-06-01T00:04:00Z) after line 3, filled with 0"},
				{6, "1 missing interval (1m0s, from 2021-06-01T00:06:00Z to 2021-06-01T00:07:00Z) after line 5, filled with 0"},
			},
		},
		{
			name:   "hold repeats the count before the gap and warns per gap",
			gaps:   traffic.GapHold,
			counts: []float64{5, 7, 7, 7, 9, 1, 1, 3},
			warnings: []wantWarning{
				{4, "after line 3, filled with 7, the count of line 3"},
				{6, "after line 5, filled with 1, the count of line 5"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings, err := traffic.Read(strings.NewReader(input), "in.csv", traffic.Options{Gaps: tt.gaps})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Counts, tt.counts) {
				t.Errorf("counts: got %v, want %v", s.Counts, tt.counts)
			}
			if s.Step != time.Minute {
				t.Errorf("step: got %v, want 1m", s.Step)
			}
			checkWarnings(t, warnings, "in.csv", tt.warnings)
		})
	}
}

// A file missing every other second gets MaxGapWarnings warnings and one
// that sums up the rest, not one per gap.
func TestReadCSVManyGaps(t *testing.T) {
	var b strings.Builder
	for i := range 302 {
		// Rows at 0, 1, 3, 5, ...: the step is 1s, then a gap before each row.
		sec := 0
		if i > 0 {
			sec = 2*i - 1
		}
		fmt.Fprintf(&b, "%d,1\n", 1622505600+sec)
	}
	s, warnings, err := traffic.Read(strings.NewReader(b.String()), "sparse.csv", traffic.Options{Gaps: traffic.GapZero})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(s.Counts), 2*301; got != want {
		t.Errorf("counts: got %d, want %d", got, want)
	}
	if got, want := s.Total(), 302.0; got != want {
		t.Errorf("total: got %v, want %v", got, want)
	}
	if got, want := len(warnings), traffic.MaxGapWarnings+1; got != want {
		t.Fatalf("got %d warnings, want %d", got, want)
	}
	if got := warnings[0]; got.Line != 3 {
		t.Errorf("first warning: got line %d, want 3", got.Line)
	}
	last := warnings[len(warnings)-1]
	if want := "200 more gaps (200 missing intervals) filled with 0; only the first 100 are listed"; last.Message != want || last.Line != 0 {
		t.Errorf("last warning: got %q, want %q with no line", last.String(), want)
	}
}

// More rows than the step is inferred from: the rest streams.
func TestReadCSVLargeFile(t *testing.T) {
	const rows = 5000
	s, warnings, err := traffic.Read(strings.NewReader(secondRows(rows)), "big.csv", traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("got warnings %v", warnings)
	}
	if len(s.Counts) != rows || s.Total() != rows || s.Step != time.Second {
		t.Errorf("got %d counts, total %v, step %v; want %d, %d, 1s", len(s.Counts), s.Total(), s.Step, rows, rows)
	}
}
