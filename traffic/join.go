package traffic

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
)

// Join makes one series of several recordings of one period (a week pulled
// day by day, the exports of two Prometheus servers one after the other),
// named name. The parts are taken in time order of their starts (in the
// order given when two start together) and must have the same step, on the
// same grid.
//
// Where parts overlap, the part that starts first keeps its counts, and a
// Warning says how long the overlap is and whether the counts there agree.
// A span between two parts is a gap, handled as within a file (see Gaps):
// refused with GapError, filled with 0 or with the count before it
// otherwise, with a Warning.
//
// Errors: *headroom.InputError naming the part whose step or grid differs,
// the part after a refused gap, or a result longer than
// DefaultMaxIntervals.
func Join(name string, parts []*headroom.Series, gaps GapPolicy) (*headroom.Series, []Warning, error) {
	if len(parts) == 0 {
		return nil, nil, &headroom.InputError{File: name, Expected: "at least one recording to join"}
	}
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b *headroom.Series) int { return a.Start.Compare(b.Start) })
	first := sorted[0]
	for _, p := range sorted[1:] {
		if p.Step != first.Step {
			return nil, nil, &headroom.InputError{File: p.Name, Field: "step", Value: p.Step.String(),
				Expected: fmt.Sprintf("the step of the recordings it joins: %s has %s", first.Name, first.Step)}
		}
		if off := p.Start.Sub(first.Start) % first.Step; off != 0 {
			return nil, nil, &headroom.InputError{File: p.Name, Field: "timestamp", Value: p.Start.UTC().Format(time.RFC3339),
				Expected: fmt.Sprintf("intervals on the grid of %s (every %s from %s), not %s off it",
					first.Name, first.Step, first.Start.UTC().Format(time.RFC3339), off)}
		}
	}
	step := first.Step
	out := &headroom.Series{Name: name, Start: first.Start, Step: step, Counts: slices.Clone(first.Counts)}
	var warnings []Warning
	end := first.End()
	prev := first
	for _, p := range sorted[1:] {
		switch {
		case p.Start.After(end):
			missing := int64(p.Start.Sub(end) / step)
			if n := int64(len(out.Counts)) + missing + int64(len(p.Counts)); n > DefaultMaxIntervals {
				return nil, nil, &headroom.InputError{File: p.Name, Field: "timestamp", Value: p.Start.UTC().Format(time.RFC3339),
					Expected: fmt.Sprintf("recordings that joined make at most %d intervals, not %d", DefaultMaxIntervals, n)}
			}
			span := fmt.Sprintf("%d missing %s (%s, from %s to %s) between %s and %s", missing, plural(missing, "interval"),
				formatDuration(missing*step.Milliseconds()), formatMillis(end.UnixMilli()), formatMillis(p.Start.UnixMilli()), prev.Name, p.Name)
			var value float64
			var how string
			switch gaps {
			case GapZero:
				how = "filled with 0"
			case GapHold:
				value = out.Counts[len(out.Counts)-1]
				how = "filled with " + strconv.FormatFloat(value, 'f', -1, 64) + ", the count before it"
			default:
				return nil, nil, &headroom.InputError{File: p.Name, Field: "timestamp", Value: p.Start.UTC().Format(time.RFC3339),
					Expected: "a recording that starts where the one before ends: " + span + "; use --gaps zero or --gaps hold to fill it"}
			}
			for range missing {
				out.Counts = append(out.Counts, value)
			}
			warnings = append(warnings, Warning{File: name, Message: span + ", " + how})
			out.Counts = append(out.Counts, p.Counts...)
		case p.Start.Before(end):
			skip := int(end.Sub(p.Start) / step) // p's intervals already covered
			shared := min(skip, len(p.Counts))
			at := len(out.Counts) - skip // the index of p's first interval in out
			differ, most := 0, 0.0
			for i := range shared {
				if d := math.Abs(out.Counts[at+i] - p.Counts[i]); d != 0 {
					differ++
					most = max(most, d)
				}
			}
			agree := "the counts agree"
			if differ > 0 {
				agree = fmt.Sprintf("%d of the counts differ, by up to %s", differ, strconv.FormatFloat(most, 'f', -1, 64))
			}
			warnings = append(warnings, Warning{File: name, Message: fmt.Sprintf("%s and %s overlap for %d %s (%s, from %s to %s): %s; the counts of the recording that starts first are kept",
				prev.Name, p.Name, shared, plural(int64(shared), "interval"), formatDuration(int64(shared)*step.Milliseconds()),
				formatMillis(p.Start.UnixMilli()), formatMillis(p.Start.Add(time.Duration(shared)*step).UnixMilli()), agree)})
			if skip < len(p.Counts) {
				if n := len(out.Counts) + len(p.Counts) - skip; n > DefaultMaxIntervals {
					return nil, nil, &headroom.InputError{File: p.Name, Expected: fmt.Sprintf("recordings that joined make at most %d intervals, not %d", DefaultMaxIntervals, n)}
				}
				out.Counts = append(out.Counts, p.Counts[skip:]...)
			}
		default:
			if n := len(out.Counts) + len(p.Counts); n > DefaultMaxIntervals {
				return nil, nil, &headroom.InputError{File: p.Name, Expected: fmt.Sprintf("recordings that joined make at most %d intervals, not %d", DefaultMaxIntervals, n)}
			}
			out.Counts = append(out.Counts, p.Counts...)
		}
		if p.End().After(end) {
			end, prev = p.End(), p
		}
	}
	return out, warnings, nil
}
