package schedule

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// ParseAWS parses an Application Auto Scaling Schedule string ("cron(...)",
// "rate(...)", "at(...)") with the action's Timezone (nil is UTC), StartTime
// and EndTime (zero when unset).
//
//   - cron(fields): six fields, Minutes Hours Day-of-month Month Day-of-week
//     Year, read on loc's wall clock. With a StartTime the action also runs
//     at the StartTime itself (see Recurring).
//   - rate(value unit): every value minutes, hours or days of elapsed time,
//     from StartTime, or, without one, from anchor: when the action was
//     created, or the start of the replay when that is unknown. The first
//     activation is at StartTime or anchor itself, as EventBridge Scheduler
//     starts a rate with no start date at once
//     (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html);
//     the Application Auto Scaling guide does not say.
//   - at(yyyy-mm-ddThh:mm:ss): once, at that wall-clock time in loc.
//
// Activations before StartTime or after EndTime do not happen.
// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScheduledAction.html
//
// Errors name the part that is wrong: "day-of-week: 8 is out of 1-7
// (SUN=1)", "unsupported rate unit \"weeks\"".
func ParseAWS(expr string, loc *time.Location, start, end time.Time, anchor time.Time) (headroom.Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	if err := checkWindow(start, end); err != nil {
		return nil, err
	}
	expr = strings.TrimSpace(expr)
	kind, args, ok := strings.Cut(expr, "(")
	if !ok || !strings.HasSuffix(args, ")") {
		return nil, fmt.Errorf("%q: want cron(fields), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)", expr)
	}
	args = strings.TrimSuffix(args, ")")
	switch strings.TrimSpace(kind) {
	case "cron":
		c, err := parseAWSCron(args, loc)
		if err != nil {
			return nil, fmt.Errorf("cron: %w", err)
		}
		return Recurring(c, start, end), nil
	case "rate":
		every, err := parseRate(args)
		if err != nil {
			return nil, fmt.Errorf("rate: %w", err)
		}
		// A rate counts from the StartTime when there is one.
		// https://docs.aws.amazon.com/autoscaling/application/userguide/examples-scheduled-actions.html#recurrence-schedule-rate
		from := start
		if from.IsZero() {
			from = anchor
		}
		if from.IsZero() {
			return nil, errors.New("rate: needs a start time, or an anchor (when the action was created)")
		}
		return Bounded(&Rate{Every: every, From: from}, time.Time{}, end), nil
	case "at":
		at, err := parseAt(args, loc)
		if err != nil {
			return nil, fmt.Errorf("at: %w", err)
		}
		return Bounded(Once(at), start, end), nil
	}
	return nil, fmt.Errorf("%q: unknown schedule %q, want cron(fields), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)", expr, kind)
}

// ParseEC2 returns the schedule of an EC2 Auto Scaling scheduled action:
// Recurrence is a five-field Unix cron expression read in loc (nil is UTC),
// evaluated by Parse. Without a Recurrence the action runs once, at
// StartTime. With one, it runs at StartTime if set and then on the
// recurrence until EndTime (see Recurring).
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
//
// When no start time was given, describe-scheduled-actions reports the next
// run as StartTime: a caller replaying earlier traffic from that output
// should pass a zero start, or the recurrence begins only then.
func ParseEC2(recurrence string, loc *time.Location, start, end time.Time) (headroom.Schedule, error) {
	if err := checkWindow(start, end); err != nil {
		return nil, err
	}
	if strings.TrimSpace(recurrence) == "" {
		// "To automatically scale your Auto Scaling group one time only, at
		// a specified date and time, use the --start-time option."
		if start.IsZero() {
			return nil, errors.New("a one-time action (no recurrence) needs a start time")
		}
		return Once(start), nil
	}
	c, err := Parse(recurrence, loc)
	if err != nil {
		return nil, fmt.Errorf("recurrence: %w", err)
	}
	return Recurring(c, start, end), nil
}

func checkWindow(start, end time.Time) error {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return fmt.Errorf("end time %s is before start time %s", end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	return nil
}

// Rate activates every Every of elapsed time from From: at From, From +
// Every, From + 2×Every and so on. Days are 24 hours whatever the clocks do,
// as AWS says of EventBridge Scheduler's rates ("days represents a 24-hour
// duration on the clock").
// https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst
type Rate struct {
	Every time.Duration
	From  time.Time
}

var _ headroom.Schedule = (*Rate)(nil)

// Next returns the first activation strictly after t, in UTC.
func (r *Rate) Next(t time.Time) time.Time {
	if r.Every <= 0 || r.From.IsZero() {
		return time.Time{}
	}
	if t.Before(r.From) {
		return r.From.UTC()
	}
	var at time.Time
	if d := t.Sub(r.From); d < math.MaxInt64 {
		at = r.From.Add(d / r.Every * r.Every)
	} else {
		// Beyond time.Duration's 292 years (Sub saturates): count whole
		// seconds instead, which AWS's minute-based rates always are.
		period := int64(r.Every / time.Second)
		from, now := r.From.Unix(), t.Unix()
		if r.Every%time.Second != 0 || (from < 0 && now > math.MaxInt64+from) {
			return time.Time{}
		}
		at = time.Unix(from+(now-from)/period*period, int64(r.From.Nanosecond()))
	}
	for range 3 {
		if at.After(t) {
			return at.UTC()
		}
		at = at.Add(r.Every)
	}
	return time.Time{}
}

// rateUnits are the units of rate(value unit), singular for a value of 1
// and plural otherwise: rate(1 hour), rate(5 hours).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
var rateUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
}

// parseRate parses the inside of rate(value unit).
// "The value must be a positive integer. The unit can be minute, minutes,
// hour, hours, day, or days."
// https://docs.aws.amazon.com/autoscaling/application/userguide/examples-scheduled-actions.html#recurrence-schedule-rate
func parseRate(s string) (time.Duration, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, fmt.Errorf("%q: want a value and a unit, as in rate(5 minutes)", s)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 1 || strings.HasPrefix(f[0], "+") {
		return 0, fmt.Errorf("value %q: want a positive integer", f[0])
	}
	unit, ok := rateUnits[f[1]]
	if !ok {
		return 0, fmt.Errorf("unsupported rate unit %q: want minute(s), hour(s) or day(s)", f[1])
	}
	// "If the value is equal to 1, then the unit must be singular. If the
	// value is greater than 1, the unit must be plural."
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
	plural := strings.HasSuffix(f[1], "s")
	switch {
	case n == 1 && plural:
		return 0, fmt.Errorf("rate(1 %s): a value of 1 takes the singular unit %q", f[1], strings.TrimSuffix(f[1], "s"))
	case n > 1 && !plural:
		return 0, fmt.Errorf("rate(%d %s): a value above 1 takes the plural unit %q", n, f[1], f[1]+"s")
	}
	if n > int64(math.MaxInt64/unit) {
		return 0, fmt.Errorf("value %d %s is too long", n, f[1])
	}
	return time.Duration(n) * unit, nil
}

// parseAt parses the inside of at(yyyy-mm-ddThh:mm:ss), a wall-clock time
// in loc ("At and cron expressions use Universal Coordinated Time (UTC) by
// default").
// https://docs.aws.amazon.com/autoscaling/application/userguide/examples-scheduled-actions.html#one-time-schedule-set-time-zone
//
// A time that happens twice when clocks fall back means the first; one that
// clocks skip when they spring forward is an error, since it would never run.
func parseAt(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	w, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want a date and time yyyy-mm-ddThh:mm:ss", s)
	}
	at, ok := firstInstant(w, loc)
	if !ok {
		return time.Time{}, fmt.Errorf("%s does not exist in %s: clocks skip it", s, loc)
	}
	return at, nil
}

// Once is a single activation at t; the zero t never activates.
func Once(t time.Time) headroom.Schedule { return once{t} }

type once struct{ at time.Time }

var _ headroom.Schedule = once{}

func (o once) Next(t time.Time) time.Time {
	if o.at.IsZero() || !o.at.After(t) {
		return time.Time{}
	}
	return o.at.UTC()
}

// Bounded limits s to the activations in [start, end]; a zero start or end
// leaves that side open.
func Bounded(s headroom.Schedule, start, end time.Time) headroom.Schedule {
	return &window{s: s, start: start, end: end}
}

// Recurring is a recurring AWS scheduled action: it runs at start, when
// start is not zero, then at the activations of s after it, up to end.
//
// Both AWS guides say so: "If you specify a start time, [Application | EC2]
// Auto Scaling performs the action at this time, and then performs the
// action based on the specified recurrence. If you specify an end time, the
// action stops repeating after this time."
// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
func Recurring(s headroom.Schedule, start, end time.Time) headroom.Schedule {
	return &window{s: s, start: start, end: end, runAtStart: true}
}

// window bounds a schedule, optionally adding an activation at its start.
type window struct {
	s          headroom.Schedule
	start, end time.Time
	runAtStart bool
}

var _ headroom.Schedule = (*window)(nil)

func (w *window) Next(t time.Time) time.Time {
	var n time.Time
	switch {
	case !w.start.IsZero() && t.Before(w.start) && w.runAtStart:
		n = w.start.UTC()
	case !w.start.IsZero() && t.Before(w.start):
		// The first activation at or after start.
		n = w.s.Next(w.start.Add(-time.Nanosecond))
	default:
		n = w.s.Next(t)
	}
	if n.IsZero() || (!w.end.IsZero() && n.After(w.end)) {
		return time.Time{}
	}
	return n
}
