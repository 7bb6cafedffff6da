package recommend

import (
	"fmt"
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
)

// Slots is the number of weekday-hours in a week: the granularity of the
// floors.
const Slots = 7 * 24

// slotOf returns the weekday-hour of t in zone: Sunday 00:00 is 0.
func slotOf(t time.Time, zone *time.Location) int {
	l := t.In(zone)
	return int(l.Weekday())*24 + l.Hour()
}

// nextLocalHour returns the start of the local hour after t's.
func nextLocalHour(t time.Time, zone *time.Location) time.Time {
	l := t.In(zone)
	n := time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, zone)
	if !n.After(t) {
		// A fall-back night repeats the hour: move on by the clock.
		n = t.Truncate(time.Hour).Add(time.Hour)
	}
	return n
}

// needer memoizes sim.Model.Required: recorded traffic repeats the same
// rates (counts are integers over a fixed step).
type needer struct {
	model   *sim.Model
	latency time.Duration
	cache   map[float64]int
}

func newNeeder(svc *headroom.Service) *needer {
	return &needer{model: sim.NewModel(svc), latency: svc.SLO.MaxLatency, cache: map[float64]int{}}
}

// need returns the fewest ready instances that serve rate requests/s within
// the SLO's latency.
func (n *needer) need(rate float64) int {
	if v, ok := n.cache[rate]; ok {
		return v
	}
	v := n.model.Required(rate, n.latency)
	n.cache[rate] = v
	return v
}

// Floor is one weekday-hour of the recommendation: the instances it keeps
// ready and what drove that number.
type Floor struct {
	Weekday time.Weekday `json:"weekday"`
	Hour    int          `json:"hour"`
	// Instances is the floor in force during the hour (after the margin,
	// the refinement and the DST merges); Need what the busiest interval
	// needed, before the margin.
	Instances int `json:"instances"`
	Need      int `json:"need"`
	// Driver is the start of the training interval that needed the most
	// instances in the hour (or in the start-up delay before it), and
	// Demand its rate in requests/s; zero when the hour had no traffic.
	Driver time.Time `json:"driver,omitzero"`
	Demand float64   `json:"demand"`
	// Raised says what the verification added: "" when the model's floor
	// held.
	Raised string `json:"raised,omitempty"`
	// seen says training traffic covered the hour.
	seen bool
}

// learn computes the floors of every weekday-hour from the training
// traffic: the highest need of any interval that overlaps the hour or the
// lead before it (capacity for the hour is launched lead earlier), with
// the demand raised by margin. Excluded spans are skipped.
func learn(n *needer, train []*headroom.Series, zone *time.Location, lead time.Duration, margin float64, exclude []Span) [Slots]Floor {
	var fl [Slots]Floor
	for i := range fl {
		fl[i].Weekday, fl[i].Hour = time.Weekday(i/24), i%24
	}
	for _, s := range train {
		step := s.Step
		for i, c := range s.Counts {
			start := s.Start.Add(time.Duration(i) * step)
			end := start.Add(step)
			if excluded(exclude, start, end) {
				continue
			}
			rate := c / step.Seconds()
			need := n.need(rate)
			withMargin := n.need(rate * (1 + margin))
			// Every hour whose window [hour − lead, hour end) meets
			// [start, end).
			for h := start; h.Before(end.Add(lead)); h = nextLocalHour(h, zone) {
				f := &fl[slotOf(h, zone)]
				f.seen = true
				if withMargin > f.Instances || (withMargin == f.Instances && need > f.Need) {
					f.Instances, f.Need, f.Driver, f.Demand = withMargin, need, start, rate
				}
			}
		}
	}
	// Hours the training traffic never covered (less than a week of
	// data) take the highest floor of the same hour on other days.
	for i := range fl {
		if fl[i].seen {
			continue
		}
		for d := 0; d < 7; d++ {
			o := fl[d*24+i%24]
			if o.seen && o.Instances > fl[i].Instances {
				fl[i].Instances, fl[i].Need, fl[i].Driver, fl[i].Demand = o.Instances, o.Need, o.Driver, o.Demand
			}
		}
	}
	return fl
}

// excluded reports whether [start, end) meets one of the spans.
func excluded(spans []Span, start, end time.Time) bool {
	for _, s := range spans {
		if start.Before(s.End) && s.Start.Before(end) {
			return true
		}
	}
	return false
}

// Oracle returns the instance-hours of the cheapest capacity with perfect
// foresight: at every second at least the instances the model needs for
// that second's demand are ready, each launched startup earlier and paid
// from its launch, as the simulator counts (see cheapest). It is a lower bound no policy in the simulator can
// beat: a window may average latency over seconds, but M/M/c latency is
// convex in the servers, so fewer instances for part of a window cost more
// elsewhere in it.
func Oracle(svc *headroom.Service, tr *headroom.Series) float64 {
	n := newNeeder(svc)
	need := make([]int, len(tr.Counts))
	for i, c := range tr.Counts {
		need[i] = n.need(c / tr.Step.Seconds())
	}
	return cheapest(need, tr.Step, svc.StartupDelay)
}

// HourlyOracle is the oracle held to one capacity per clock hour of zone:
// every hour keeps, from its start to its end, what its busiest interval
// needs, knowing that interval in advance. It is not a lower bound for a
// policy that follows demand within the hour (target tracking does); it is
// what a plan that cannot see inside the hour pays at best, and so
// separates the cost of not knowing the minute of a one-minute spike from
// the cost of not knowing the hour's traffic.
func HourlyOracle(svc *headroom.Service, tr *headroom.Series, zone *time.Location) float64 {
	n := newNeeder(svc)
	need := make([]int, len(tr.Counts))
	for i := 0; i < len(need); {
		start := tr.Start.Add(time.Duration(i) * tr.Step)
		end := nextLocalHour(start, zone)
		j, top := i, 0
		for ; j < len(need) && tr.Start.Add(time.Duration(j)*tr.Step).Before(end); j++ {
			top = max(top, n.need(tr.Counts[j]/tr.Step.Seconds()))
		}
		for k := i; k < j; k++ {
			need[k] = top
		}
		i = max(j, i+1)
	}
	return cheapest(need, tr.Step, svc.StartupDelay)
}

// cheapest returns the instance-hours of capacity that has need[i] ready
// through interval i, each instance launched startup earlier and paid from
// its launch. Instances are interchangeable, so the cost splits into
// levels: level k is needed wherever need ≥ k; between two of its runs an
// instance is kept through a gap no longer than the start-up delay
// (cheaper than a relaunch) and relaunched otherwise. Instances needed at
// the first interval are taken as already running, as a simulation starts.
func cheapest(need []int, stepDur, startupDur time.Duration) float64 {
	top := 0
	for _, v := range need {
		top = max(top, v)
	}
	step := stepDur.Seconds()
	startup := math.Ceil(startupDur.Seconds())
	var seconds float64
	for k := 1; k <= top; k++ {
		inRun := false
		gap := 0.0
		started := false
		for i, v := range need {
			switch {
			case v >= k && !inRun:
				switch {
				case !started && i == 0:
					// running at the start: no launch
				case started && gap <= startup:
					seconds += gap // kept through the gap
				default:
					seconds += startup // a launch
				}
				inRun, started = true, true
				seconds += step
			case v >= k:
				seconds += step
			case inRun:
				inRun, gap = false, step
			default:
				gap += step
			}
		}
	}
	return seconds / 3600
}

// Pool is how widely a floor looks for the busiest demand it must carry:
// its own weekday-hour, or also the hours beside it and the other days of
// its kind. A weekday-hour holds one sample a week, so its highest demand
// over four weeks is the highest of four: a fifth week tops it with
// probability 1/5, by more when the traffic has one-minute spikes at random
// times (NASA 1995: August's busiest minute of an hour was up to 1.3× July's
// busiest of the same weekday-hour). Pooling days of a kind and neighbouring
// hours learns the spikes' size from many more samples, at the cost of
// planning for a busier day's spikes on a quieter one. The search widens
// the pool only as far as the cross-validation asks.
type Pool struct {
	// Hours is how many hours either side of the floor's own are pooled.
	Hours int `json:"hours"`
	// Days is which days are pooled: "weekday" (the floor's own),
	// "daytype" (Monday to Friday, or Saturday and Sunday), or "all".
	Days string `json:"days"`
}

// Days of a Pool.
const (
	PoolWeekday = "weekday"
	PoolDayType = "daytype"
	PoolAll     = "all"
)

// pools are tried narrowest first, each holding the one before.
var pools = []Pool{{0, PoolWeekday}, {0, PoolDayType}, {0, PoolAll}, {1, PoolAll}}

// String says the pool in words, for the report.
func (p Pool) String() string {
	var days string
	switch p.Days {
	case PoolDayType:
		days = "the same hour of every day of its kind (Mon–Fri, Sat–Sun)"
	case PoolAll:
		days = "the same hour of every day"
	default:
		days = "its own weekday-hour"
	}
	if p.Hours > 0 {
		return fmt.Sprintf("%s, ±%d h", days, p.Hours)
	}
	return days
}

// sameKind reports whether weekdays a and b are pooled together.
func (p Pool) sameKind(a, b int) bool {
	switch p.Days {
	case PoolAll:
		return true
	case PoolDayType:
		weekend := func(d int) bool { return d == int(time.Saturday) || d == int(time.Sunday) }
		return weekend(a) == weekend(b)
	}
	return a == b
}

// pooled returns the floors with each weekday-hour raised to the highest
// floor of its pool, driver and all (the driver then says which day and
// hour's interval set it).
func pooled(fl *[Slots]Floor, p Pool) [Slots]Floor {
	if p.Hours == 0 && p.Days == PoolWeekday {
		return *fl
	}
	out := *fl
	for i := range out {
		day, hour := i/24, i%24
		for d := range 7 {
			if !p.sameKind(day, d) {
				continue
			}
			for dh := -p.Hours; dh <= p.Hours; dh++ {
				o := fl[((d*24+hour+dh)%Slots+Slots)%Slots]
				if o.Instances > out[i].Instances {
					out[i].Instances, out[i].Need, out[i].Driver, out[i].Demand = o.Instances, o.Need, o.Driver, o.Demand
				}
			}
		}
	}
	return out
}
