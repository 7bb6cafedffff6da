package traffic

import (
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
)

// Trim keeps the intervals of s that start in [from, until); a zero bound
// is open. The series judged is then the one the user asked for (`check
// --from --until`).
//
// Errors: EINVALID naming the series when no interval is left.
func Trim(s *headroom.Series, from, until time.Time) error {
	lo, hi := 0, len(s.Counts)
	if !from.IsZero() && from.After(s.Start) {
		lo = min(int((from.Sub(s.Start)+s.Step-1)/s.Step), len(s.Counts))
	}
	if !until.IsZero() && until.Before(s.End()) {
		hi = max(int((until.Sub(s.Start)+s.Step-1)/s.Step), 0)
	}
	if hi <= lo {
		return headroom.Errorf(headroom.EINVALID, "%s: nothing left between %s and %s (the traffic covers %s to %s)",
			s.Name, bound(from, "its start"), bound(until, "its end"), s.Start.UTC().Format(time.RFC3339), s.End().UTC().Format(time.RFC3339))
	}
	s.Start = s.Start.Add(time.Duration(lo) * s.Step)
	s.Counts = s.Counts[lo:hi]
	return nil
}

func bound(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

// ParseTime reads a time as people write one on a command line: RFC 3339
// (2021-06-30T17:00:00Z), or in UTC a minute (2021-06-30T17:00) or a day
// (2021-06-30).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: expected a time such as 2021-06-30T17:00:00Z, 2021-06-30T17:00 (UTC) or 2021-06-30", s)
}
