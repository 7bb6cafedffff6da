package traffic_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/traffic"
)

// clf returns a Common Log Format line at the given bracketed time.
func clf(ts string) string {
	return `127.0.0.1 - frank [` + ts + `] "GET /apache_pb.gif HTTP/1.0" 200 2326`
}

func TestReadAccessLog(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		start    string
		counts   []float64
		warnings []wantWarning
	}{
		{
			name:   "common format counted per second in UTC, quiet seconds are 0",
			input:  lines(clf("10/Oct/2000:13:55:36 -0700"), clf("10/Oct/2000:13:55:36 -0700"), clf("10/Oct/2000:13:55:39 -0700")),
			start:  "2000-10-10T20:55:36Z",
			counts: []float64{2, 0, 0, 1},
		},
		{
			name:   "positive offset and a day boundary",
			input:  lines(clf("01/Jan/2021:01:59:59 +0200"), clf("01/Jan/2021:02:00:00 +0200")),
			start:  "2020-12-31T23:59:59Z",
			counts: []float64{1, 1},
		},
		{
			name: "combined format, quotes in the request and user agent",
			input: lines(
				`10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
				`10.1.2.3 - - [10/Oct/2000:13:55:37 -0700] "GET /search?q="a b" HTTP/1.1" 404 - "-" "curl/7.68.0 \"quoted\""`,
				`10.1.2.3 - - [10/Oct/2000:13:55:37 -0700] "-" 408 0 "-" "-"`,
			),
			start:  "2000-10-10T20:55:36Z",
			counts: []float64{1, 2},
		},
		{
			name:   "virtual host before the client",
			input:  lines(`www.example.com:443 10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/2.0" 200 512`),
			start:  "2000-10-10T20:55:36Z",
			counts: []float64{1},
		},
		{
			name: "lines out of order are counted with one warning",
			input: lines(clf("10/Oct/2000:13:55:36 -0700"), clf("10/Oct/2000:13:55:38 -0700"),
				clf("10/Oct/2000:13:55:37 -0700"), clf("10/Oct/2000:13:55:34 -0700"), clf("10/Oct/2000:13:55:38 -0700")),
			start:    "2000-10-10T20:55:34Z",
			counts:   []float64{1, 0, 1, 1, 2},
			warnings: []wantWarning{{3, "2 lines were out of order (earlier than a line before them), the first here; each was counted in its own second"}},
		},
		{
			name:     "one line out of order, hours earlier",
			input:    lines(clf("10/Oct/2000:13:55:36 -0700"), clf("10/Oct/2000:11:55:36 -0700")),
			start:    "2000-10-10T18:55:36Z",
			counts:   append(append([]float64{1}, make([]float64, 7199)...), 1),
			warnings: []wantWarning{{2, "1 line was out of order"}},
		},
		{
			name:   "blank lines and CRLF",
			input:  "\r\n" + clf("10/Oct/2000:13:55:36 -0700") + "\r\n   \r\n" + clf("10/Oct/2000:13:55:37 -0700"),
			start:  "2000-10-10T20:55:36Z",
			counts: []float64{1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings, err := traffic.Read(strings.NewReader(tt.input), "access.log", traffic.Options{Format: traffic.FormatAccessLog})
			if err != nil {
				t.Fatal(err)
			}
			checkSeriesValid(t, s)
			if got := s.Start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start: got %s, want %s", got, tt.start)
			}
			if s.Step != time.Second {
				t.Errorf("step: got %v, want 1s", s.Step)
			}
			if !slices.Equal(s.Counts, tt.counts) {
				t.Errorf("counts: got %v, want %v", s.Counts, tt.counts)
			}
			checkWarnings(t, warnings, "access.log", tt.warnings)
		})
	}
}

// Lines far out of order on both sides, more than the room kept ahead.
func TestReadAccessLogGrowsBothWays(t *testing.T) {
	start := time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)
	offsets := []int{0, -1, 5000, -7200, 3, -20000, 90000, -1}
	var b strings.Builder
	for _, o := range offsets {
		b.WriteString(clf(start.Add(time.Duration(o)*time.Second).Format("02/Jan/2006:15:04:05 -0700")) + "\n")
	}
	s, _, err := traffic.Read(strings.NewReader(b.String()), "access.log", traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(s.Counts), 90000+20000+1; got != want {
		t.Fatalf("got %d seconds, want %d", got, want)
	}
	if got, want := s.Start, start.Add(-20000*time.Second); !got.Equal(want) {
		t.Errorf("start: got %v, want %v", got, want)
	}
	for _, o := range offsets {
		want := 1.0
		if o == -1 {
			want = 2
		}
		if got := s.Counts[o+20000]; got != want {
			t.Errorf("second %+d: got %v, want %v", o, got, want)
		}
	}
	if got := s.Total(); got != float64(len(offsets)) {
		t.Errorf("total: got %v, want %d", got, len(offsets))
	}
}

func TestReadAccessLogErrors(t *testing.T) {
	ok := clf("10/Oct/2000:13:55:36 -0700")
	tests := []struct {
		name  string
		input string
		opt   traffic.Options
		want  wantError
	}{
		{
			name:  "no timestamp",
			input: lines(ok, "", "this is not a log line"),
			want:  wantError{line: 3, field: "timestamp", value: "this is not a log line", expected: []string{"[10/Oct/2000:13:55:36 -0700]"}},
		},
		{
			name:  "unknown month",
			input: lines(ok, clf("10/Okt/2000:13:55:36 -0700")),
			want:  wantError{line: 2, field: "timestamp", value: "[10/Okt/2000:13:55:36 -0700]", expected: []string{"a timestamp such as"}},
		},
		{
			name:  "31 September",
			input: lines(clf("31/Sep/2000:13:55:36 -0700")),
			want:  wantError{line: 1, field: "timestamp", value: "[31/Sep/2000:13:55:36 -0700]", expected: []string{"a timestamp such as"}},
		},
		{
			name:  "no time zone",
			input: lines(ok, clf("10/Oct/2000:13:55:36")),
			want:  wantError{line: 2, field: "timestamp", value: "[10/Oct/2000:13:55:36]", expected: []string{"a timestamp such as"}},
		},
		{
			name:  "ident or user missing",
			input: lines(ok, ok, `127.0.0.1 - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326`),
			want:  wantError{line: 3, field: "host", value: "127.0.0.1 - ", expected: []string{"host, ident and user"}},
		},
		{
			name:  "request not quoted",
			input: lines(`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.0 200 2326`),
			want:  wantError{line: 1, field: "request", value: "GET / HTTP/1.0 200 2326", expected: []string{"a quoted request"}},
		},
		{
			name:  "request not closed",
			input: lines(`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 2326`),
			want:  wantError{line: 1, field: "request", value: `"GET / HTTP/1.0 200 2326`, expected: []string{"a quoted request"}},
		},
		{
			name:  "status not a number",
			input: lines(ok, `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 2326`),
			want:  wantError{line: 2, field: "status", value: "OK 2326", expected: []string{"a 3-digit status and a size"}},
		},
		{
			name:  "size missing",
			input: lines(`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200`),
			want:  wantError{line: 1, field: "status", value: "200", expected: []string{"a 3-digit status and a size"}},
		},
		{
			name:  "no request at all",
			input: "\n\n",
			want:  wantError{expected: []string{"at least one request line"}},
		},
		{
			name:  "log longer than MaxIntervals",
			input: lines(ok, clf("10/Oct/2000:14:55:36 -0700")),
			opt:   traffic.Options{MaxIntervals: 3600},
			want: wantError{line: 2, field: "timestamp", value: "2000-10-10T21:55:36Z",
				expected: []string{"a log spanning at most 3600 seconds", "2000-10-10T20:55:36Z to 2000-10-10T20:55:36Z"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = traffic.FormatAccessLog
			s, _, err := traffic.Read(strings.NewReader(tt.input), "access.log", tt.opt)
			if err == nil {
				t.Fatalf("got a series of %d counts, want an error", len(s.Counts))
			}
			checkInputError(t, err, "access.log", tt.want)
		})
	}
}
