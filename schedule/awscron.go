package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// This file evaluates the cron dialect of Application Auto Scaling, which is
// EventBridge's: six fields (Minutes Hours Day-of-month Month Day-of-week
// Year), weekdays numbered 1-7 from Sunday, and the Quartz-style L, W and #.
// robfig/cron knows none of those, so the calendar search is our own.
// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html

// The year field takes 1970-2199, which also bounds every search: an
// expression that never matches (30 February) returns the zero time after at
// most 230 years × 12 months of day masks, never minute by minute.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
const (
	minYear = 1970
	maxYear = 2199
)

// awsCron is a parsed cron(...) expression evaluated in a time zone.
type awsCron struct {
	second, minute, hour, month, year bitset
	day                               dayRule
	loc                               *time.Location
}

var _ headroom.Schedule = (*awsCron)(nil)

// bitset holds small non-negative integers: seconds, minutes, hours, days,
// months, weekdays, and years as an offset from minYear.
type bitset [4]uint64

func (b *bitset) set(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i>>6]&(1<<(i&63)) != 0 }

// next returns the smallest member at or above i, or -1.
func (b *bitset) next(i int) int {
	if i < 0 {
		i = 0
	}
	for w := i >> 6; w < len(b); w++ {
		word := b[w]
		if w == i>>6 {
			word &= ^uint64(0) << (i & 63)
		}
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

// dayKind is how a day is chosen: by day-of-month or by day-of-week, one of
// them being "?".
type dayKind int

const (
	// domSet: days of the month in a set ("1,15", "*", "1-7").
	domSet dayKind = iota
	// domLast: "L", the last day of the month.
	domLast
	// domLastWeekday: "LW", the last Monday-to-Friday of the month.
	domLastWeekday
	// domNearestWeekday: "15W", the weekday nearest the 15th, never
	// crossing into another month.
	domNearestWeekday
	// dowSet: weekdays in a set ("MON-FRI", "2,4").
	dowSet
	// dowLast: "6L", the last Friday of the month.
	dowLast
	// dowNth: "2#1", the first Monday of the month.
	dowNth
)

// dayRule selects the days of a month.
type dayRule struct {
	kind dayKind
	// set holds days of the month (domSet) or weekdays 1-7, SUN=1 (dowSet).
	set bitset
	// weekday is 1-7 (SUN=1) for dowLast and dowNth; n is the day for
	// domNearestWeekday and the occurrence for dowNth.
	weekday, n int
}

// mask returns the matching days of a month as bits 1-31.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
func (r *dayRule) mask(year int, month time.Month) uint64 {
	dim := daysIn(year, month)
	first := int(time.Date(year, month, 1, 0, 0, 0, 0, time.UTC).Weekday()) // 0 = Sunday
	weekday := func(day int) int { return (first+day-1)%7 + 1 }             // 1 = Sunday, as AWS counts
	var m uint64
	switch r.kind {
	case domSet:
		for d := 1; d <= dim; d++ {
			if r.set.has(d) {
				m |= 1 << d
			}
		}
	case domLast:
		m = 1 << dim
	case domLastWeekday:
		d := dim
		for weekday(d) == 1 || weekday(d) == 7 {
			d--
		}
		m = 1 << d
	case domNearestWeekday:
		// "3W specifies the weekday closest to the third day of the month";
		// as in Quartz, the search stays inside the month: 1W on a Saturday
		// is Monday the 3rd, the last day on a Sunday is the Friday before.
		// A day the month does not have (30W in February) never matches.
		d := r.n
		if d > dim {
			return 0
		}
		switch weekday(d) {
		case 7: // Saturday
			if d == 1 {
				d += 2
			} else {
				d--
			}
		case 1: // Sunday
			if d == dim {
				d -= 2
			} else {
				d++
			}
		}
		m = 1 << d
	case dowSet:
		for d := 1; d <= dim; d++ {
			if r.set.has(weekday(d)) {
				m |= 1 << d
			}
		}
	case dowLast:
		d := dim
		for weekday(d) != r.weekday {
			d--
		}
		m = 1 << d
	case dowNth:
		// "3#2 would be the second Tuesday of the month"; a month without a
		// fifth Tuesday has no 3#5.
		d := 1 + (r.weekday-weekday(1)+7)%7 + 7*(r.n-1)
		if d <= dim {
			m = 1 << d
		}
	}
	return m
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Next returns the first activation strictly after t, in UTC, or the zero
// time when there is none up to the end of 2199.
//
// DST, as the five-field Cron: a wall-clock time that does not exist on the
// day clocks spring forward is skipped that day; one that happens twice when
// they fall back runs once, at the first occurrence. AWS says the same of
// EventBridge Scheduler ("your schedule invocation gets skipped if the cron
// expression falls on a non-existent date and time ... your schedule runs
// only once"); the Application Auto Scaling guide says nothing on it.
// https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst
func (c *awsCron) Next(t time.Time) time.Time {
	// The search runs on the wall clock. An instant's wall clock only ever
	// moves back when clocks fall back, and the times it repeats then are
	// the ones that must not run twice: so searching strictly after the
	// latest wall-clock time already reached finds the first activation.
	floor := latestWallClock(t, c.loc)
	for {
		w, ok := c.nextWallClock(floor)
		if !ok {
			return time.Time{}
		}
		at, exists := firstInstant(w, c.loc)
		if exists {
			return at.UTC()
		}
		// w falls in the hour skipped by spring forward: carry on after it.
		floor = w
		if end := gapEnd(w, c.loc); end.After(floor) {
			floor = end.Add(-time.Nanosecond)
		}
	}
}

// nextWallClock returns the first wall-clock time (a naive time in UTC, whole
// seconds) strictly after floor that matches every field.
func (c *awsCron) nextWallClock(floor time.Time) (time.Time, bool) {
	from := floor.Truncate(time.Second).Add(time.Second)
	if from.Year() > maxYear {
		return time.Time{}, false
	}
	if from.Year() < minYear {
		from = time.Date(minYear, time.January, 1, 0, 0, 0, 0, time.UTC)
	}
	y, mo, d := from.Date()
	h, mi, s := from.Clock()
	// Each level starts from the bound while every level above it is still
	// on the bound, and from its smallest value once one has moved on.
	for year := c.year.next(y - minYear); year >= 0 && year+minYear <= maxYear; year = c.year.next(year + 1) {
		onYear := year+minYear == y
		firstMonth := 1
		if onYear {
			firstMonth = int(mo)
		}
		for month := c.month.next(firstMonth); month >= 0 && month <= 12; month = c.month.next(month + 1) {
			onMonth := onYear && month == int(mo)
			days := c.day.mask(year+minYear, time.Month(month))
			firstDay := 1
			if onMonth {
				firstDay = d
			}
			for day := firstDay; day <= 31; day++ {
				if days&(1<<day) == 0 {
					continue
				}
				var hh, mm, ss int
				var ok bool
				if onMonth && day == d {
					hh, mm, ss, ok = c.timeOfDay(h, mi, s)
				} else {
					hh, mm, ss, ok = c.timeOfDay(0, 0, 0)
				}
				if ok {
					return time.Date(year+minYear, time.Month(month), day, hh, mm, ss, 0, time.UTC), true
				}
			}
		}
	}
	return time.Time{}, false
}

// timeOfDay returns the first matching time of day at or after h:m:s.
func (c *awsCron) timeOfDay(h, m, s int) (int, int, int, bool) {
	for hh := c.hour.next(h); hh >= 0 && hh < 24; hh = c.hour.next(hh + 1) {
		firstMinute := 0
		if hh == h {
			firstMinute = m
		}
		for mm := c.minute.next(firstMinute); mm >= 0 && mm < 60; mm = c.minute.next(mm + 1) {
			firstSecond := 0
			if hh == h && mm == m {
				firstSecond = s
			}
			if ss := c.second.next(firstSecond); ss >= 0 && ss < 60 {
				return hh, mm, ss, true
			}
		}
	}
	return 0, 0, 0, false
}

// wallClock returns the wall-clock reading of t in loc as a naive UTC time.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, l.Nanosecond(), time.UTC)
}

// latestWallClock returns the latest wall-clock reading in loc at or before
// t: the reading of t itself, except during the hour repeated after clocks
// fall back, when it is the reading just before they did.
func latestWallClock(t time.Time, loc *time.Location) time.Time {
	w := wallClock(t, loc)
	start, _ := t.In(loc).ZoneBounds()
	if start.IsZero() {
		return w
	}
	before := start.Add(-time.Nanosecond)
	_, offBefore := before.In(loc).Zone()
	_, offNow := t.In(loc).Zone()
	if offBefore > offNow {
		if b := wallClock(before, loc); b.After(w) {
			return b
		}
	}
	return w
}

// firstInstant returns the first instant whose wall clock in loc reads w,
// and false when clocks skip w.
func firstInstant(w time.Time, loc *time.Location) (time.Time, bool) {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	t := time.Date(y, mo, d, h, mi, s, 0, loc)
	if !wallClock(t, loc).Equal(w) {
		return time.Time{}, false
	}
	// time.Date picks either instant of a repeated wall-clock time; the
	// earlier one is in the zone period before this one.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t, true
	}
	_, offBefore := start.Add(-time.Nanosecond).In(loc).Zone()
	_, offNow := t.Zone()
	if offBefore > offNow {
		earlier := t.Add(-time.Duration(offBefore-offNow) * time.Second)
		if earlier.Before(start) && wallClock(earlier, loc).Equal(w) {
			return earlier, true
		}
	}
	return t, true
}

// gapEnd returns the first wall-clock time after the gap that w, a skipped
// wall-clock time, falls in; the zero time if it cannot tell.
func gapEnd(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	g := time.Date(y, mo, d, h, mi, s, 0, loc)
	start, end := g.ZoneBounds()
	// time.Date resolves a skipped time with the offset of one side of
	// the transition; the transition is the bound of g's zone period on
	// the other side.
	transition := end
	if wallClock(g, loc).After(w) {
		transition = start
	}
	if transition.IsZero() {
		return time.Time{}
	}
	return wallClock(transition, loc)
}

// cronField describes one field of the expression.
type cronField struct {
	name     string
	min, max int
	// valid is what the error messages say a value must be.
	valid string
	names map[string]int
	// offset is subtracted from a value to store it: the years 1970-2199
	// are kept as 0-229.
	offset int
}

var (
	secondsField = cronField{name: "seconds", min: 0, max: 59, valid: "0-59"}
	minutesField = cronField{name: "minutes", min: 0, max: 59, valid: "0-59"}
	hoursField   = cronField{name: "hours", min: 0, max: 23, valid: "0-23"}
	domField     = cronField{name: "day-of-month", min: 1, max: 31, valid: "1-31"}
	monthField   = cronField{name: "month", min: 1, max: 12, valid: "1-12 or JAN-DEC", names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}}
	// Day-of-week counts from Sunday = 1, not Unix cron's Sunday = 0.
	dowField = cronField{name: "day-of-week", min: 1, max: 7, valid: "1-7 (SUN=1)", names: map[string]int{
		"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
	}}
	yearField = cronField{name: "year", min: minYear, max: maxYear, valid: "1970-2199", offset: minYear}
)

// parseAWSCron parses the fields inside cron(...): six, or seven with
// seconds first.
//
// The Application Auto Scaling guide allows a seventh field, seconds, in
// front ("this approach doesn't guarantee that the scheduled action will run
// on the precise second").
// https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
func parseAWSCron(spec string, loc *time.Location) (*awsCron, error) {
	f := strings.Fields(strings.ToUpper(spec))
	c := &awsCron{loc: loc}
	if c.loc == nil {
		c.loc = time.UTC
	}
	switch len(f) {
	case 6:
		c.second.set(0)
	case 7:
		if err := parseField(&c.second, f[0], secondsField); err != nil {
			return nil, err
		}
		f = f[1:]
	case 5:
		return nil, fmt.Errorf("got 5 fields, want 6: Minutes Hours Day-of-month Month Day-of-week Year (five-field Unix cron is EC2 Auto Scaling's Recurrence, not Application Auto Scaling's Schedule)")
	default:
		return nil, fmt.Errorf("got %d fields, want 6: Minutes Hours Day-of-month Month Day-of-week Year", len(f))
	}
	if err := parseField(&c.minute, f[0], minutesField); err != nil {
		return nil, err
	}
	if err := parseField(&c.hour, f[1], hoursField); err != nil {
		return nil, err
	}
	if err := parseField(&c.month, f[3], monthField); err != nil {
		return nil, err
	}
	if err := parseField(&c.year, f[5], yearField); err != nil {
		return nil, err
	}
	// "You can't specify the Day-of-month and Day-of-week fields in the
	// same cron expression. If you specify a value or a * (asterisk) in one
	// of the fields, you must use a ? (question mark) in the other."
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
	dom, dow := f[2], f[4]
	switch {
	case dom == "?" && dow == "?":
		return nil, errors.New("both day-of-month and day-of-week are ?: set one of them")
	case dom != "?" && dow != "?":
		return nil, fmt.Errorf("both day-of-month (%s) and day-of-week (%s) are set: one must be ?", dom, dow)
	case dow == "?":
		day, err := parseDayOfMonth(dom)
		if err != nil {
			return nil, err
		}
		c.day = day
	default:
		day, err := parseDayOfWeek(dow)
		if err != nil {
			return nil, err
		}
		c.day = day
	}
	return c, nil
}

// parseDayOfMonth parses a day-of-month field: the common forms, or L, LW
// or nW alone.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
func parseDayOfMonth(s string) (dayRule, error) {
	if !strings.ContainsAny(s, "LW") {
		r := dayRule{kind: domSet}
		return r, parseField(&r.set, s, domField)
	}
	if strings.Contains(s, ",") {
		return dayRule{}, fmt.Errorf("day-of-month: %s: L and W must stand alone, not in a list", s)
	}
	switch {
	case s == "L":
		// "The L wildcard in the Day-of-month ... specifies the last day of
		// the month."
		return dayRule{kind: domLast}, nil
	case s == "LW":
		// L and W combined, as in Quartz: the last weekday of the month.
		return dayRule{kind: domLastWeekday}, nil
	case strings.HasSuffix(s, "W"):
		// "In the Day-of-month field, 3W specifies the weekday closest to
		// the third day of the month."
		n, err := fieldValue(strings.TrimSuffix(s, "W"), domField)
		if err != nil {
			return dayRule{}, fmt.Errorf("%w (W takes one day, as in 15W)", err)
		}
		return dayRule{kind: domNearestWeekday, n: n}, nil
	case strings.HasPrefix(s, "L-"):
		return dayRule{}, fmt.Errorf("day-of-month: %s: an offset from the last day is not in the AWS cron reference; L, LW and nW are", s)
	}
	return dayRule{}, fmt.Errorf("day-of-month: %s: want L, LW, or a day followed by W (15W)", s)
}

// parseDayOfWeek parses a day-of-week field: the common forms, or nL or n#k
// alone.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
func parseDayOfWeek(s string) (dayRule, error) {
	if strings.Contains(s, "/") {
		// The reference lists , - * ? L # for this field: no increments.
		return dayRule{}, fmt.Errorf("day-of-week: %s: / is not allowed here (the field takes , - * ? L #)", s)
	}
	special := strings.Contains(s, "#") || (strings.HasSuffix(s, "L") && s != "L")
	if !special {
		r := dayRule{kind: dowSet}
		if s == "L" {
			// "L" alone is the last day of the week: Saturday.
			s = "7"
		}
		return r, parseField(&r.set, s, dowField)
	}
	if strings.Contains(s, ",") {
		// "If you use a '#' character, you can define only one expression
		// in the day-of-week field. For example, "3#1,6#3" is not valid."
		return dayRule{}, fmt.Errorf("day-of-week: %s: # and L must stand alone, not in a list", s)
	}
	if day, nth, ok := strings.Cut(s, "#"); ok {
		// "3#2 would be the second Tuesday of the month."
		w, err := fieldValue(day, dowField)
		if err != nil {
			return dayRule{}, err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || n < 1 || n > 5 {
			return dayRule{}, fmt.Errorf("day-of-week: %s: the occurrence after # must be 1-5", s)
		}
		return dayRule{kind: dowNth, weekday: w, n: n}, nil
	}
	// "6L": the last Friday of the month.
	w, err := fieldValue(strings.TrimSuffix(s, "L"), dowField)
	if err != nil {
		return dayRule{}, err
	}
	return dayRule{kind: dowLast, weekday: w}, nil
}

// parseField adds the values of a comma-separated list of *, a, a-b, a/n,
// */n and a-b/n to set. A range may wrap past the end of the field except
// in the year ("20-2" in hours is 20:00 to 02:59), as in EventBridge's
// example cron(0/30 20-2 ? * MON-FRI *).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
func parseField(set *bitset, s string, f cronField) error {
	if s == "?" {
		return fmt.Errorf("%s: ? is only for day-of-month or day-of-week", f.name)
	}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return fmt.Errorf("%s: %q has an empty list item", f.name, s)
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.max-f.min+1 {
				return fmt.Errorf("%s: %s: the increment after / must be 1-%d", f.name, item, f.max-f.min+1)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch a, b, isRange := strings.Cut(rng, "-"); {
		case rng == "*":
		case isRange:
			var err error
			if lo, err = fieldValue(a, f); err != nil {
				return err
			}
			if hi, err = fieldValue(b, f); err != nil {
				return err
			}
			if hi < lo && f.name == yearField.name {
				return fmt.Errorf("year: %s: the range runs backwards", item)
			}
		default:
			var err error
			if lo, err = fieldValue(rng, f); err != nil {
				return err
			}
			if !hasStep {
				// "5" alone; "5/15" runs from 5 to the end of the field.
				hi = lo
			}
		}
		span := f.max - f.min + 1
		count := (hi - lo + span) % span // a wrapping range goes round once
		for i := 0; i <= count; i += step {
			set.set(f.min + (lo-f.min+i)%span - f.offset)
		}
	}
	return nil
}

// fieldValue parses one number or name of a field.
func fieldValue(s string, f cronField) (int, error) {
	if n, ok := f.names[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if f.names != nil {
			return 0, fmt.Errorf("%s: %q is not a number or name (%s)", f.name, s, f.valid)
		}
		return 0, fmt.Errorf("%s: %q is not a number (%s)", f.name, s, f.valid)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s: %d is out of %s", f.name, n, f.valid)
	}
	return n, nil
}
