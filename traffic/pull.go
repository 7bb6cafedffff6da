package traffic

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
)

// DefaultChunkPoints is how many evaluations one range query of Pull asks
// for: under Prometheus's limit of 11,000 points per series ("exceeded
// maximum resolution of 11,000 points per timeseries", web/api/v1/api.go),
// with room to spare.
const DefaultChunkPoints = 10_000

// MaxChunkPoints is Prometheus's limit itself; PullOptions.ChunkPoints may
// not exceed it.
const MaxChunkPoints = 11_000

// Sample is one value of a range query at its evaluation time.
type Sample struct {
	Time  time.Time
	Value float64
}

// RangeFunc runs one range query evaluated at start, start+step, ... up to
// and including end, and returns the values in time order, with the
// query's series summed at each time. A time at which the query has no
// value is left out. metrics/prom's Ranger is one.
type RangeFunc func(ctx context.Context, start, end time.Time, step time.Duration) ([]Sample, error)

// PullOptions say what Pull asks for.
type PullOptions struct {
	// From is the first evaluation time; the evaluations are From,
	// From+Step, ... before Until.
	From, Until time.Time
	// Step is the time between evaluations, and the interval of the
	// series: whole seconds, at least 1s.
	Step time.Duration
	// ChunkPoints is how many evaluations one query covers;
	// DefaultChunkPoints when zero, at most MaxChunkPoints.
	ChunkPoints int
	// Counts says the query already gives requests per step (such as
	// sum(increase(http_requests_total[15s])) at a 15s step); otherwise its
	// values are rates in requests/s, such as sum(rate(...[1m])), and each
	// becomes rate × step requests.
	Counts bool
	// Progress, when set, is called after each query with the evaluations
	// done and the total.
	Progress func(done, total int)
}

// Gap is a span of evaluation times at which the query had no value.
type Gap struct {
	// From is the first missing evaluation; Until the first one after the
	// gap with a value, or the end of the range.
	From, Until time.Time
	Intervals   int
}

// String says where the gap is and how long it lasts.
func (g Gap) String() string {
	return fmt.Sprintf("%d missing %s (%s, from %s to %s)", g.Intervals, plural(int64(g.Intervals), "interval"),
		formatDuration(g.Until.Sub(g.From).Milliseconds()), formatMillis(g.From.UnixMilli()), formatMillis(g.Until.UnixMilli()))
}

// Pulled is what Pull got: the requests of each interval that has a value,
// in time order, and the gaps between them.
type Pulled struct {
	Step time.Duration
	// Samples hold the number of requests in [Time, Time+Step).
	Samples []Sample
	Gaps    []Gap
	// Queries is the number of range queries made.
	Queries int
}

// Total returns the number of requests pulled.
func (p *Pulled) Total() float64 {
	var sum float64
	for _, s := range p.Samples {
		sum += s.Value
	}
	return sum
}

// Intervals returns how many evaluations [From, Until) at Step holds, or
// an error when the options are out of range.
func (opt PullOptions) Intervals() (int, error) {
	switch {
	case opt.Step < time.Second || opt.Step%time.Second != 0:
		return 0, headroom.Errorf(headroom.EINVALID, "step %s: expected whole seconds, at least 1s, such as 15s", opt.Step)
	case opt.Step > MaxStep:
		return 0, headroom.Errorf(headroom.EINVALID, "step %s: expected at most %s", opt.Step, MaxStep)
	case opt.ChunkPoints < 0 || opt.ChunkPoints > MaxChunkPoints:
		return 0, headroom.Errorf(headroom.EINVALID, "chunk of %d points: expected 1 to %d (Prometheus refuses more per series)", opt.ChunkPoints, MaxChunkPoints)
	case opt.From.Nanosecond() != 0:
		return 0, headroom.Errorf(headroom.EINVALID, "from %s: expected whole seconds", opt.From.UTC().Format(time.RFC3339Nano))
	case !opt.Until.After(opt.From):
		return 0, headroom.Errorf(headroom.EINVALID, "from %s until %s: expected a start before the end", opt.From.UTC().Format(time.RFC3339), opt.Until.UTC().Format(time.RFC3339))
	case opt.From.Unix() < MinUnix || opt.Until.Unix() > MaxUnix:
		return 0, headroom.Errorf(headroom.EINVALID, "from %s until %s: expected times from 1970 up to 2200", opt.From.UTC().Format(time.RFC3339), opt.Until.UTC().Format(time.RFC3339))
	}
	n := (opt.Until.Sub(opt.From) + opt.Step - 1) / opt.Step
	if n > DefaultMaxIntervals {
		return 0, headroom.Errorf(headroom.EINVALID, "%d intervals of %s: expected at most %d, a longer step or a shorter span", n, opt.Step, DefaultMaxIntervals)
	}
	return int(n), nil
}

// Pull runs a range query over [From, Until) at Step in chunks of at most
// ChunkPoints evaluations, one after the other in time order (a week at
// 15 s is 40,320 evaluations, beyond what Prometheus answers in one query),
// and joins the answers. An evaluation time without a value is missing:
// consecutive missing times are one Gap, including at the start and the
// end of the range. The caller decides what a gap means (WriteCSV leaves
// its rows out, as a file with gaps has them; the readers' --gaps fill or
// refuse them).
//
// Errors: EINVALID for options out of range, a value that is not a finite
// non-negative number, or a time off the query's grid; the error of query
// as it returned it (retrying is query's business).
func Pull(ctx context.Context, query RangeFunc, opt PullOptions) (*Pulled, error) {
	total, err := opt.Intervals()
	if err != nil {
		return nil, err
	}
	chunk := opt.ChunkPoints
	if chunk == 0 {
		chunk = DefaultChunkPoints
	}
	out := &Pulled{Step: opt.Step}
	perStep := opt.Step.Seconds()
	if opt.Counts {
		perStep = 1
	}
	next := 0 // the index of the next evaluation expected
	missing := func(upTo int) {
		if upTo > next {
			out.Gaps = append(out.Gaps, Gap{From: opt.From.Add(time.Duration(next) * opt.Step),
				Until: opt.From.Add(time.Duration(upTo) * opt.Step), Intervals: upTo - next})
		}
	}
	for lo := 0; lo < total; lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+chunk, total) // evaluations lo..hi-1
		start := opt.From.Add(time.Duration(lo) * opt.Step)
		end := opt.From.Add(time.Duration(hi-1) * opt.Step)
		samples, err := query(ctx, start, end, opt.Step)
		out.Queries++
		if err != nil {
			return nil, err
		}
		for _, s := range samples {
			d := s.Time.Sub(opt.From)
			i := int(d / opt.Step)
			switch {
			case d%opt.Step != 0 || i < lo || i >= hi:
				return nil, headroom.Errorf(headroom.EINVALID, "the query answered for %s, which is not one of its evaluation times (%s to %s every %s)",
					s.Time.UTC().Format(time.RFC3339Nano), start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), opt.Step)
			case i < next:
				return nil, headroom.Errorf(headroom.EINVALID, "the query answered for %s twice or out of order", s.Time.UTC().Format(time.RFC3339))
			case math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.Value < 0:
				return nil, headroom.Errorf(headroom.EINVALID, "the query gave %v at %s: expected a finite, non-negative request rate (a sum(rate(...)) of a counter)",
					s.Value, s.Time.UTC().Format(time.RFC3339))
			}
			missing(i)
			out.Samples = append(out.Samples, Sample{Time: s.Time.UTC(), Value: s.Value * perStep})
			next = i + 1
		}
		if opt.Progress != nil {
			opt.Progress(hi, total)
		}
	}
	missing(total)
	if len(out.Samples) == 0 {
		return nil, headroom.Errorf(headroom.EINVALID, "the query has no value from %s to %s: check the query and the range in Prometheus's graph page",
			opt.From.UTC().Format(time.RFC3339), opt.Until.UTC().Format(time.RFC3339))
	}
	return out, nil
}

// WriteCSV writes samples (requests per interval) as the CSV the readers
// take: the header "timestamp,requests", then one row per sample with its
// time in RFC 3339 UTC and its count in the shortest decimal that reads
// back to the same float64. A missing interval has no row: the readers see
// it as a gap.
func WriteCSV(w io.Writer, samples []Sample) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(csvHeader + "\n")
	var buf []byte
	for _, s := range samples {
		buf = s.Time.UTC().AppendFormat(buf[:0], time.RFC3339)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, s.Value, 'f', -1, 64)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}
