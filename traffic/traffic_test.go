package traffic_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/traffic"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want traffic.Format
	}{
		{"Prometheus response", `{"status":"success","data":{}}`, traffic.FormatPrometheus},
		{"Prometheus response after whitespace and a byte order mark", "\ufeff\n  {\"status\"", traffic.FormatPrometheus},
		{"common log format", clf("10/Oct/2000:13:55:36 -0700") + "\n", traffic.FormatAccessLog},
		{"combined log format after a blank line", "\r\n" + clf("10/Oct/2000:13:55:36 -0700") + ` "-" "curl/8.0"`, traffic.FormatAccessLog},
		{"common log format cut short after the first line", clf("10/Oct/2000:13:55:36 -0700") + "\n127.0.0.1 - fr", traffic.FormatAccessLog},
		{"CSV with a header", "timestamp,requests\n2021-06-01T00:00:00Z,1\n", traffic.FormatCSV},
		{"CSV without a header", "1622505600,1\n", traffic.FormatCSV},
		{"CSV with a comment", "# from nginx\n2021-06-01T00:00:00Z,1\n", traffic.FormatCSV},
		{"empty", "", traffic.FormatCSV},
		{"anything else is CSV, whose reader says what it expected", "hello", traffic.FormatCSV},
		{"a JSON array is not a Prometheus response", "[1,2]", traffic.FormatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := traffic.Detect([]byte(tt.head)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Read detects the format when Options leaves it empty.
func TestReadDetects(t *testing.T) {
	tests := []struct {
		name  string
		input string
		step  time.Duration
		total float64
	}{
		{"CSV", lines("timestamp,requests", "2021-06-01T00:00:00Z,1", "2021-06-01T00:01:00Z,2"), time.Minute, 3},
		{"Prometheus", matrix(samples(0, 1, 60, 1)), time.Minute, 120},
		{"access log", lines(clf("10/Oct/2000:13:55:36 -0700"), clf("10/Oct/2000:13:55:38 -0700")), time.Second, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := traffic.Read(strings.NewReader(tt.input), "in", traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Step != tt.step || s.Total() != tt.total {
				t.Errorf("got step %v, total %v; want %v, %v", s.Step, s.Total(), tt.step, tt.total)
			}
		})
	}
}

func TestReadOptionsInvalid(t *testing.T) {
	tests := []struct {
		name string
		opt  traffic.Options
		want wantError
	}{
		{"unknown format", traffic.Options{Format: "xlsx"},
			wantError{field: "format", value: "xlsx", expected: []string{`"csv", "prometheus" or "accesslog"`}}},
		{"unknown gap policy", traffic.Options{Gaps: "interpolate"},
			wantError{field: "gaps", value: "interpolate", expected: []string{`"error", "zero" or "hold"`}}},
		{"negative limit", traffic.Options{MaxIntervals: -1},
			wantError{field: "max intervals", value: "-1", expected: []string{"positive"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := traffic.Read(strings.NewReader("1,1\n2,1\n"), "in.csv", tt.opt)
			checkInputError(t, err, "in.csv", tt.want)
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "traffic.csv")
	if err := os.WriteFile(path, []byte(lines("timestamp,requests", "1622505600,3", "1622505660,4")), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := traffic.ReadFile(path, traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != path || !slices.Equal(s.Counts, []float64{3, 4}) {
		t.Errorf("got name %q, counts %v; want %q, [3 4]", s.Name, s.Counts, path)
	}

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.csv")
		_, _, err := traffic.ReadFile(missing, traffic.Options{})
		checkInputError(t, err, missing, wantError{expected: []string{"a readable traffic file"}})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want an error matching fs.ErrNotExist", err)
		}
	})
	// Regression test for non-regular files being read: /dev/zero grew
	// without end, a FIFO blocked. Each is refused at once, naming it.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"directory": dir, "device": "/dev/zero", "FIFO": fifo} {
		t.Run(name, func(t *testing.T) {
			_, _, err := traffic.ReadFile(path, traffic.Options{})
			checkInputError(t, err, path, wantError{expected: []string{"a readable traffic file"}})
			if !errors.Is(err, inputfile.ErrNotRegular) {
				t.Errorf("got %v, want an error matching inputfile.ErrNotRegular", err)
			}
		})
	}
}

func TestWarningString(t *testing.T) {
	tests := []struct {
		w    traffic.Warning
		want string
	}{
		{traffic.Warning{File: "a.csv", Line: 7, Message: "gap filled"}, "a.csv:7: gap filled"},
		{traffic.Warning{File: "q.json", Message: "summed 2 series"}, "q.json: summed 2 series"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestScale(t *testing.T) {
	tests := []struct {
		name   string
		factor float64
		want   []float64
	}{
		{"growth", 1.5, []float64{0, 15, 3}},
		{"same", 1, []float64{0, 10, 2}},
		{"nothing", 0, []float64{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &headroom.Series{Step: time.Second, Counts: []float64{0, 10, 2}}
			traffic.Scale(s, tt.factor)
			if !slices.Equal(s.Counts, tt.want) {
				t.Errorf("got %v, want %v", s.Counts, tt.want)
			}
		})
	}
	t.Run("negative factor panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("got no panic")
			}
		}()
		traffic.Scale(&headroom.Series{}, -1)
	})
}

func TestShift(t *testing.T) {
	start := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    time.Duration
		want time.Time
	}{
		{"a day later", 24 * time.Hour, start.Add(24 * time.Hour)},
		{"seconds earlier", -90 * time.Second, start.Add(-90 * time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &headroom.Series{Start: start, Step: time.Minute, Counts: []float64{1, 2}}
			traffic.Shift(s, tt.d)
			if !s.Start.Equal(tt.want) || s.Step != time.Minute || !slices.Equal(s.Counts, []float64{1, 2}) {
				t.Errorf("got start %v step %v counts %v, want start %v and the rest unchanged", s.Start, s.Step, s.Counts, tt.want)
			}
		})
	}
	t.Run("fraction of a second panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("got no panic")
			}
		}()
		traffic.Shift(&headroom.Series{}, 1500*time.Millisecond)
	})
}
