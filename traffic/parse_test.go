package traffic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The hand-written timestamp parser must agree with time.Parse wherever it
// accepts a timestamp: same instant, and never accepting what time.Parse
// refuses.
func TestParseTimeAgreesWithTimeParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	offsets := []string{"Z", "+00:00", "-00:00", "+02:00", "-04:00", "+05:30", "+23:59", "-12:45", "+24:00", "+01:60", "z"}
	check := func(s string) {
		t.Helper()
		got, problem := parseTime([]byte(s))
		ref, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil && problem == "":
			t.Errorf("%q: got %d, want an error like time.Parse's %v", s, got, err)
		case err == nil && ref.Nanosecond() == 0 && problem != "":
			t.Errorf("%q: got %q, want %d", s, problem, ref.Unix())
		case err == nil && problem == "" && got != ref.Unix():
			t.Errorf("%q: got %d, want %d", s, got, ref.Unix())
		}
	}
	for range 200000 {
		y := rng.IntN(10000)
		mo, d := rng.IntN(14), rng.IntN(33)
		h, mi, sec := rng.IntN(26), rng.IntN(62), rng.IntN(62)
		check(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, sec, offsets[rng.IntN(len(offsets))]))
	}
	for _, s := range []string{
		"2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2400-02-29T12:00:00Z",
		"0000-01-01T00:00:00Z", "0000-03-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59",
		"2021-06-01T00:00:00.000Z", "2021-06-01T00:00:00.5+02:00", "2021-06-01t00:00:00Z", "2021-06-01T00:00:00",
		"2021-06-01T00:00:60Z", "2021-6-01T00:00:00Z", "2021-06-01T0a:00:00Z", "-021-06-01T00:00:00Z",
	} {
		check(s)
	}
}

func TestParseUnix(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		problem string
	}{
		{"0", 0, ""},
		{"1622505600", 1622505600, ""},
		{"253402300799", 253402300799, ""},
		{"253402300800", 0, expectUnixRange},
		{"99999999999999999999999", 0, expectUnixRange},
		{"16225056x0", 0, expectTime},
	}
	for _, tt := range tests {
		got, problem := parseTime([]byte(tt.in))
		if got != tt.want || problem != tt.problem {
			t.Errorf("%q: got %d %q, want %d %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

// The fast count parser must give exactly strconv.ParseFloat's result.
func TestParseCountAgreesWithParseFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(s string) {
		t.Helper()
		got, problem := parseCount([]byte(s))
		ref, err := strconv.ParseFloat(s, 64)
		if problem != "" {
			if err == nil && ref >= 0 && !math.IsInf(ref, 0) && !math.IsNaN(ref) {
				t.Errorf("%q: got %q, want %v", s, problem, ref)
			}
			return
		}
		if err != nil || got != ref {
			t.Errorf("%q: got %v, want %v (%v)", s, got, ref, err)
		}
	}
	for range 200000 {
		digits := 1 + rng.IntN(17)
		n := rng.Uint64N(uint64(math.Pow10(min(digits, 19))))
		s := strconv.FormatUint(n, 10)
		if dot := rng.IntN(len(s) + 1); dot > 0 && dot < len(s) && rng.IntN(2) == 0 {
			s = s[:dot] + "." + s[dot:]
		}
		check(s)
	}
	for _, s := range []string{"0.1", "0.3", "1.7976931348623157", "123456789012345", "1234567890123456",
		"9007199254740993", "0.000000000000001", "99999999999999.9", "1e3", "1E-3", "+5", "5.", ".5", "00012"} {
		check(s)
	}
}
