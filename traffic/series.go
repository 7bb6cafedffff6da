package traffic

import (
	"fmt"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
)

// row says where a sample came from, for errors and warnings.
type row struct {
	line  int    // 1-based line, 0 when unknown
	field string // "timestamp" for CSV, the JSON path for Prometheus
	value string // the timestamp as written
	loc   string // how a message refers to the row: "line 6", "data.result[0].values[3]"
}

// builder assembles a series from samples in time order with a known step,
// applying the gap policy. CSV and Prometheus both feed it, so that order,
// duplicate, step and gap rules are the same for both.
type builder struct {
	file string
	gaps GapPolicy
	step int64 // milliseconds
	max  int
	// stepFrom says where the step was inferred, for messages.
	stepFrom string
	// where describes the sample with reference ref (a line number for CSV,
	// an index for Prometheus); it is only called to build errors and
	// warnings.
	where func(ref int) row

	start, last int64 // milliseconds since the Unix epoch
	lastRef     int
	counts      []float64
	warnings    []Warning
	// Gaps filled beyond MaxGapWarnings, summed into one warning.
	moreGaps, moreIntervals int64
}

// add appends a sample. The common case, the next interval, is checked
// first; everything else is left to addSlow.
func (b *builder) add(ts int64, count float64, ref int) error {
	if ts-b.last == b.step && len(b.counts) > 0 && len(b.counts) < b.max {
		b.counts = append(b.counts, count)
		b.last, b.lastRef = ts, ref
		return nil
	}
	return b.addSlow(ts, count, ref)
}

func (b *builder) addSlow(ts int64, count float64, ref int) error {
	if len(b.counts) == 0 {
		b.start, b.last, b.lastRef = ts, ts, ref
		b.counts = append(b.counts, count)
		return nil
	}
	d := ts - b.last
	switch {
	case d < 0:
		return b.errorf(ref, "a time after %s (%s): rows must be in time order",
			formatMillis(b.last), b.where(b.lastRef).loc)
	case d == 0:
		return b.errorf(ref, "a time after %s, not a duplicate of %s",
			formatMillis(b.last), b.where(b.lastRef).loc)
	case d%b.step != 0:
		return b.errorf(ref, "a whole number of %s steps after %s (%s), such as %s; the step was inferred from %s",
			formatStep(b.step), formatMillis(b.last), b.where(b.lastRef).loc, formatMillis(b.last+b.step), b.stepFrom)
	}
	missing := d/b.step - 1
	n := int64(len(b.counts)) + missing + 1
	if n > int64(b.max) {
		return b.errorf(ref, "a series of at most %d intervals (%s at a %s step); this row would make it %d intervals long",
			b.max, formatDuration(int64(b.max)*b.step), formatStep(b.step), n)
	}
	if n*b.step > maxSpan.Milliseconds() {
		return b.errorf(ref, "a series lasting at most %s; this row would make it %s long",
			formatDuration(maxSpan.Milliseconds()), formatDuration(n*b.step))
	}
	if missing > 0 {
		if err := b.fill(ts, missing, ref); err != nil {
			return err
		}
	}
	b.counts = append(b.counts, count)
	b.last, b.lastRef = ts, ref
	return nil
}

// fill applies the gap policy to the missing intervals before ts.
func (b *builder) fill(ts, missing int64, ref int) error {
	from := b.last + b.step
	prev := b.where(b.lastRef).loc
	span := fmt.Sprintf("%d missing %s (%s, from %s to %s)", missing, plural(missing, "interval"),
		formatDuration(missing*b.step), formatMillis(from), formatMillis(ts))
	var value float64
	var how string
	switch b.gaps {
	case GapZero:
		how = "filled with 0"
	case GapHold:
		value = b.counts[len(b.counts)-1]
		how = fmt.Sprintf("filled with %s, the count of %s", strconv.FormatFloat(value, 'f', -1, 64), prev)
	default:
		return b.errorf(ref, "%s (the interval after %s): %s; use --gaps zero or --gaps hold to fill it",
			formatMillis(from), prev, span)
	}
	for range missing {
		b.counts = append(b.counts, value)
	}
	if len(b.warnings) < MaxGapWarnings {
		r := b.where(ref)
		b.warnings = append(b.warnings, Warning{File: b.file, Line: r.line, Message: span + " after " + prev + ", " + how})
	} else {
		b.moreGaps++
		b.moreIntervals += missing
	}
	return nil
}

func (b *builder) errorf(ref int, format string, args ...any) error {
	r := b.where(ref)
	return &headroom.InputError{File: b.file, Line: r.line, Field: r.field, Value: r.value,
		Expected: fmt.Sprintf(format, args...)}
}

// series returns the result and the warnings.
func (b *builder) series(name string) (*headroom.Series, []Warning) {
	if b.moreGaps > 0 {
		how := "filled with 0"
		if b.gaps == GapHold {
			how = "filled with the count before each"
		}
		b.warnings = append(b.warnings, Warning{File: b.file, Message: fmt.Sprintf(
			"%d more %s (%d missing %s) %s; only the first %d are listed",
			b.moreGaps, plural(b.moreGaps, "gap"), b.moreIntervals, plural(b.moreIntervals, "interval"), how, MaxGapWarnings)})
	}
	return &headroom.Series{
		Name:   name,
		Start:  time.UnixMilli(b.start).UTC(),
		Step:   time.Duration(b.step) * time.Millisecond,
		Counts: b.counts,
	}, b.warnings
}

// formatMillis formats a time as RFC3339 in UTC, with a fraction only when
// there is one.
func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

// checkStep reports the problem with an inferred step, or "".
func checkStep(step int64) string {
	if step > MaxStep.Milliseconds() {
		return fmt.Sprintf("a time at most %s after the one before, not %s: the step, the smallest difference "+
			"between consecutive times, is too long to replay", formatDuration(MaxStep.Milliseconds()), formatDuration(step))
	}
	return ""
}

// formatStep formats a step in seconds ("60s"), which reads better than
// time.Duration's "1m0s" next to the file's own numbers.
func formatStep(ms int64) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) + "s"
}

func formatDuration(ms int64) string {
	const day = 24 * 60 * 60 * 1000
	if ms > 2*day {
		// In float: a long span in nanoseconds would overflow a Duration.
		return strconv.FormatFloat(float64(ms)/day, 'f', 1, 64) + "d"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
