package traffic

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// aheadFile writes n one-second rows from 2021-06-30, with edit changing
// row i's line ("" drops it) and tail appended.
func aheadFile(t *testing.T, n int, edit func(i int, line string) string, tail string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,requests\n")
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("%s,%d", start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), 1000+i%977)
		if edit != nil {
			line = edit(i, line)
		}
		if line != "" {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString(tail)
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// follow reads a's counts as a replay does, as they are handed over, up to
// the first error, and returns them.
func follow(a *Ahead) []float64 {
	var followed []float64
	if a.Series == nil {
		return nil
	}
	for i := 0; i < len(a.Series.Counts); {
		n, err := a.Wait(i + 1)
		if err != nil {
			break
		}
		followed = append(followed, a.Series.Counts[i:n]...)
		i = n
	}
	return followed
}

// ReadAhead must end as ReadFile and the transform do, whatever the file
// holds and wherever: the series, the warnings, and the first error (a
// parse error anywhere before a range error); and a reader following it
// with Wait sees the final counts.
func TestReadAheadIsReadFile(t *testing.T) {
	const n = 100_000
	at := func(k int, with string) func(int, string) string {
		return func(i int, line string) string {
			if i == k {
				return with
			}
			return line
		}
	}
	cases := []struct {
		name     string
		edit     func(int, string) string
		tail     string
		opt      Options
		tr       Transform
		handsOut bool // the series is handed out before the read ends
	}{
		{name: "clean", handsOut: true},
		{name: "comments and blank lines after the last row", tail: "\n# end\n\n", handsOut: true},
		{name: "scaled and shifted", tr: Transform{Scale: 1.3, Shift: -time.Hour, What: "(after --scale 1.3)"}, handsOut: true},
		{name: "a gap filled with zeros", edit: at(60_000, ""), opt: Options{Gaps: GapZero}, handsOut: true},
		{name: "a gap held", edit: at(60_000, ""), opt: Options{Gaps: GapHold}, handsOut: true},
		{name: "a gap refused", edit: at(60_000, ""), handsOut: true},
		{name: "a row out of order", edit: at(70_000, "2021-06-30T00:00:05Z,3"), handsOut: true},
		{name: "a count not a number", edit: at(90_000, "2021-06-30T01:00:00Z,many"), handsOut: true},
		{name: "a count past the rate", edit: at(30_000, "2021-06-30T08:20:00Z,1e13"), handsOut: true},
		{name: "a count past the rate and a parse error after it", edit: func(i int, line string) string {
			switch i {
			case 30_000:
				return "2021-06-30T08:20:00Z,1e13"
			case 80_000:
				return "2021-06-30T22:13:20Z,x"
			}
			return line
		}, handsOut: true},
		{name: "scaled past the rate", tr: Transform{Scale: 1e9, What: "(after --scale 1e9)"}, handsOut: true},
		{name: "shifted before 1970", tr: Transform{Shift: -60 * 365 * 24 * time.Hour, What: "(after --shift)"}, handsOut: true},
		{name: "a last row off the step", tail: "2021-07-02T00:00:00.5Z,4\n"},
		{name: "a last row before the first thousand", edit: at(n-1, "2021-06-30T00:00:00Z,1")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := aheadFile(t, n, c.edit, c.tail)
			want, wantWarn, wantErr := ReadFile(path, c.opt)
			if wantErr == nil {
				wantErr = c.tr.apply(want)
			}
			a, err := ReadAhead(path, c.opt, c.tr)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Series != nil; got != c.handsOut {
				t.Fatalf("handed out before the end: %v, want %v", got, c.handsOut)
			}
			followed := follow(a)
			got, gotWarn, diverged, gotErr := a.Result()
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if wantErr != nil {
				if a.Series == nil {
					return
				}
				if _, err := a.Wait(len(a.Series.Counts)); err == nil {
					t.Errorf("Wait of every count after %v: no error", wantErr)
				}
				return
			}
			if !reflect.DeepEqual(gotWarn, wantWarn) {
				t.Errorf("warnings %v, want %v", gotWarn, wantWarn)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("series %s %s %d counts, want %s %s %d", got.Start, got.Step, len(got.Counts), want.Start, want.Step, len(want.Counts))
			}
			if a.Series != nil && !diverged && !reflect.DeepEqual(followed, want.Counts) {
				t.Errorf("the counts followed (%d) are not the series'", len(followed))
			}
			if diverged {
				t.Errorf("diverged on a file whose last line is its last row")
			}
		})
	}
}

// A file that cannot be opened fails at once, as ReadFile does.
func TestReadAheadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.csv")
	_, _, want := ReadFile(path, Options{})
	if _, err := ReadAhead(path, Options{}, Transform{}); err == nil || err.Error() != want.Error() {
		t.Errorf("error %v, want %v", err, want)
	}
}

// Rows past the time the last line was read as (a tail read that disagrees
// with the reader): the counts grow out of the array handed out, a reader
// waiting on them is told, and Result is the series as read.
func TestReadAheadDiverged(t *testing.T) {
	path := aheadFile(t, 50_000, nil, "")
	want, _, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newAhead(Transform{})
	a.tail, a.ok = want.Start.Add(30_000*time.Second).UnixMilli(), true
	go a.read(f, path, Options{}, -1)
	<-a.begun
	if a.Series == nil || len(a.Series.Counts) != 30_001 {
		t.Fatalf("handed out %v", a.Series)
	}
	if _, err := a.Wait(30_001); err == nil {
		t.Error("Wait of every count handed out: no error")
	}
	got, _, diverged, err := a.Result()
	if err != nil || !diverged || !reflect.DeepEqual(got, want) {
		t.Errorf("Result: diverged %v, error %v, %d counts (want %d)", diverged, err, len(got.Counts), len(want.Counts))
	}
}

// FuzzReadAhead appends fuzzed lines to two thousand good rows (so the
// series is handed out before the read ends) and holds ReadAhead to
// ReadFile and the transform: the same series, warnings and error, the
// counts a follower saw included.
//
//	go test ./traffic -run XXX -fuzz FuzzReadAhead -fuzztime 60s
func FuzzReadAhead(f *testing.F) {
	f.Add([]byte("2021-06-30T00:33:20Z,5\n"), uint8(0), false)
	f.Add([]byte("2021-06-30T00:35:00Z,5\n# done\n"), uint8(1), true)
	f.Add([]byte("2021-06-30T00:33:20.5Z,5\n"), uint8(2), false)
	f.Add([]byte("2021-06-30T00:00:01Z,5\n"), uint8(0), false)
	f.Add([]byte("2021-06-30T00:33:20Z,1e300\n2021-06-30T00:33:21Z,x\n"), uint8(0), true)
	f.Add([]byte("2021-06-30T00:33:20Z,5\r\n   \n"), uint8(1), false)
	var prefix strings.Builder
	prefix.WriteString("timestamp,requests\n")
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&prefix, "%s,%d\n", start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%13)
	}
	f.Fuzz(func(t *testing.T, tail []byte, policy uint8, scaled bool) {
		opt := Options{Gaps: []GapPolicy{GapError, GapZero, GapHold}[int(policy)%3], MaxIntervals: 1 << 16}
		tr := Transform{}
		if scaled {
			tr = Transform{Scale: 1e3, Shift: time.Hour, What: "(after --scale 1000 --shift 1h)"}
		}
		path := filepath.Join(t.TempDir(), "t.csv")
		if err := os.WriteFile(path, append([]byte(prefix.String()), tail...), 0o644); err != nil {
			t.Fatal(err)
		}
		want, wantWarn, wantErr := ReadFile(path, opt)
		if wantErr == nil {
			wantErr = tr.apply(want)
		}
		a, err := ReadAhead(path, opt, tr)
		if err != nil {
			t.Fatal(err)
		}
		followed := follow(a)
		got, gotWarn, diverged, gotErr := a.Result()
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("error %v, want %v", gotErr, wantErr)
		}
		if wantErr != nil {
			return
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotWarn, wantWarn) {
			t.Fatalf("series or warnings differ: %d counts from %s, want %d from %s", len(got.Counts), got.Start, len(want.Counts), want.Start)
		}
		if a.Series != nil && !diverged && !reflect.DeepEqual(followed, want.Counts) {
			t.Fatalf("the counts followed (%d) are not the series' (%d)", len(followed), len(want.Counts))
		}
	})
}
