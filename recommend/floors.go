package recommend

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

const minutesPerWeek = 7 * 24 * 60

// action is one floor change: at minute of the week (wall clock), the
// floor becomes instances.
type action struct {
	at        int // minutes since Sunday 00:00, wall clock
	instances int
	// max, when above 0, also sets the maximum (the Tortoise baseline).
	max  int
	slot int // the weekday-hour it is for
}

// dstHours returns the weekday-hours of zone whose wall clock is skipped or
// repeated on some day between from and to: a cron activation there does
// not happen, or happens once for two hours of traffic.
func dstHours(zone *time.Location, from, to time.Time) map[int]bool {
	out := map[int]bool{}
	for d := from.In(zone); d.Before(to); d = d.AddDate(0, 0, 1) {
		day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, zone)
		_, off0 := day.Zone()
		_, off1 := next.Zone()
		if off0 == off1 {
			continue
		}
		// Quarter hours lived in each local hour: 4, or 0 when the hour
		// is skipped, 8 when it is repeated.
		seen := map[int]int{}
		for t := day; t.Before(next); t = t.Add(15 * time.Minute) {
			seen[t.In(zone).Hour()]++
		}
		wd := int(day.Weekday())
		for h := 0; h < 24; h++ {
			if seen[h] != 4 {
				out[wd*24+h] = true
			}
		}
	}
	return out
}

// plan turns the floors into scheduled actions: the action for a
// weekday-hour fires lead earlier (its capacity is then ready at the hour).
// An action whose wall-clock time falls in an hour a DST change skips or
// repeats is merged into the one before it (the higher floor of the two,
// fired earlier), so no floor depends on an activation that may not
// happen. Actions that do not change the floor in force are dropped. The
// floors in fl are updated to what is in force in each hour.
func plan(fl *[Slots]Floor, lead time.Duration, dst map[int]bool) []action {
	leadMin := int((lead + time.Minute - 1) / time.Minute)
	fire := func(slot int) int { return ((slot*60-leadMin)%minutesPerWeek + minutesPerWeek) % minutesPerWeek }
	affected := func(slot int) bool { return dst[fire(slot)/60] }
	// Start at an unaffected slot so that every merge has a predecessor.
	first := 0
	for i := range Slots {
		if !affected(i) {
			first = i
			break
		}
	}
	var acts []action
	for k := range Slots {
		i := (first + k) % Slots
		if affected(i) && len(acts) > 0 {
			last := &acts[len(acts)-1]
			last.instances = max(last.instances, fl[i].Instances)
			continue
		}
		acts = append(acts, action{at: fire(i), instances: fl[i].Instances, slot: i})
	}
	// The floor in force in each slot, after the merges.
	inForce := make([]int, Slots)
	for k, a := range acts {
		end := first + Slots
		if k+1 < len(acts) {
			end = acts[k+1].slot
			if end < a.slot {
				end += Slots
			}
		}
		for s := a.slot; s < end; s++ {
			inForce[s%Slots] = a.instances
		}
	}
	for i := range fl {
		if inForce[i] > fl[i].Instances && fl[i].Raised == "" {
			fl[i].Raised = "DST: merged with the hour before"
		}
		fl[i].Instances = inForce[i]
	}
	return compact(acts)
}

// compact drops the actions (in week order, cyclic) that leave the bounds
// as the one before set them, and sorts the rest by time of the week.
func compact(acts []action) []action {
	var kept []action
	for k, a := range acts {
		prev := acts[(k+len(acts)-1)%len(acts)]
		if len(acts) == 1 || a.instances != prev.instances || a.max != prev.max {
			kept = append(kept, a)
		}
	}
	if len(kept) == 0 && len(acts) > 0 {
		kept = acts[:1]
	}
	slices.SortFunc(kept, func(x, y action) int { return x.at - y.at })
	return kept
}

// schedules writes the actions as cron schedules in zone, one per time of
// day and floor, listing the weekdays it applies to.
func schedules(acts []action, zone *time.Location, prefix string, delay time.Duration) ([]headroom.ScheduledAction, error) {
	type key struct{ minute, instances, max int }
	days := map[key][]int{}
	var order []key
	for _, a := range acts {
		k := key{a.at % (24 * 60), a.instances, a.max}
		if _, ok := days[k]; !ok {
			order = append(order, k)
		}
		days[k] = append(days[k], a.at/(24*60))
	}
	var out []headroom.ScheduledAction
	for _, k := range order {
		dow := weekdays(days[k])
		spec := fmt.Sprintf("%d %d * * %s", k.minute%60, k.minute/60, dow)
		cron, err := schedule.Parse(spec, zone)
		if err != nil {
			return nil, fmt.Errorf("floor schedule %q: %w", spec, err)
		}
		n := k.instances
		name := fmt.Sprintf("%s-%02d%02d-%s", prefix, k.minute/60, k.minute%60, strings.ReplaceAll(dow, ",", "."))
		a := headroom.ScheduledAction{Name: name, Spec: spec, TimeZone: zone, Schedule: cron, Min: &n}
		if k.max > 0 {
			m := k.max
			a.Max = &m
		}
		if delay > 0 {
			a.Delay = delay
		}
		out = append(out, a)
	}
	return out, nil
}

// weekdays writes cron's day-of-week field for a set of days, with ranges.
func weekdays(ds []int) string {
	slices.Sort(ds)
	ds = slices.Compact(ds)
	if len(ds) == 7 {
		return "*"
	}
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		for j+1 < len(ds) && ds[j+1] == ds[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, strconv.Itoa(ds[i])+"-"+strconv.Itoa(ds[j]))
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.Itoa(ds[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
