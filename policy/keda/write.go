package keda

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/hpa"
	"go.yaml.in/yaml/v3"
)

// Rewrite returns data, a file holding the ScaledObject p was read from,
// with p written in as a minimal diff: minReplicaCount and
// maxReplicaCount, the target of each cpu (metadata.value) and prometheus
// (metadata.threshold) trigger, and the floors. Comments, the workload and
// every other field and trigger stay.
//
// The floors are p's cron metrics (a policy read from a ScaledObject) and
// p's scheduled actions (a recommendation: each sets the minimum on a
// weekly cron), written as cron triggers: each stretch of the week whose
// floor is above p.Min becomes a window [start, end) with desiredReplicas
// the floor, one trigger for the weekdays that share its times. They
// replace the file's cron triggers, after the others. Reading the result
// gives p's bounds and targets, and windows whose desired counts are the
// floors in force at every minute of the week.
//
// Errors are *headroom.InputError: data does not read as one ScaledObject,
// p's other metrics are not the file's triggers, a scheduled action sets a
// maximum or a desired count, or the floors hold no minute at p.Min (a
// floor that never ends is a minimum: raise minReplicaCount instead).
func Rewrite(path string, data []byte, p *headroom.Policy) ([]byte, error) {
	if _, _, err := Parse(path, data); err != nil {
		return nil, err
	}
	f, err := hpa.ReadFile(path, data)
	if err != nil {
		return nil, err
	}
	var o *hpa.Object
	for _, x := range f.Objects {
		if isScaledObject(x) {
			o = x
		}
	}
	spec := hpa.Field(o.Node, "spec")
	hpa.SetScalar(spec, "minReplicaCount", strconv.Itoa(p.Min), "!!int", false)
	hpa.SetScalar(spec, "maxReplicaCount", strconv.Itoa(p.Max), "!!int", false)
	var others, crons []headroom.MetricTarget
	if p.Target != nil {
		for _, m := range p.Target.Metrics {
			if m.Kind == headroom.MetricCron {
				crons = append(crons, m)
			} else {
				others = append(others, m)
			}
		}
	}
	list := hpa.Field(spec, "triggers")
	var kept []*yaml.Node
	j := 0
	for _, tr := range list.Content {
		typ := hpa.Field(tr, "type")
		if typ != nil && typ.Value == "cron" {
			continue
		}
		if j >= len(others) {
			return nil, o.InputError("spec.triggers", "", fmt.Sprintf("%d triggers besides cron, as the policy written into it has", len(others)))
		}
		md := hpa.Field(tr, "metadata")
		switch m := others[j]; {
		case md == nil:
		case m.Kind == headroom.MetricCPU:
			hpa.SetScalar(md, "value", strconv.Itoa(int(m.Target)), "!!str", true)
		default:
			hpa.SetScalar(md, "threshold", strconv.FormatFloat(m.Target, 'f', -1, 64), "!!str", true)
		}
		j++
		kept = append(kept, tr)
	}
	if j != len(others) {
		return nil, o.InputError("spec.triggers", "", fmt.Sprintf("%d triggers besides cron, as the policy written into it has", len(others)))
	}
	for _, m := range crons {
		w := m.Window
		kept = append(kept, cronTrigger(m.Name, w.TimeZone, w.StartSpec, w.EndSpec, w.Desired))
	}
	ws, err := floorWindows(p)
	if err != nil {
		return nil, &headroom.InputError{File: path, Field: "spec.triggers", Expected: err.Error()}
	}
	for _, w := range ws {
		kept = append(kept, cronTrigger(w.name, w.zone, w.start, w.end, w.desired))
	}
	if len(kept) == 0 {
		return nil, o.InputError("spec.triggers", "", "at least one trigger: the policy has no metric and no floor above the minimum")
	}
	list.Content = kept
	return f.Bytes()
}

// cronTrigger is one KEDA cron trigger (DocCron).
func cronTrigger(name string, zone *time.Location, start, end string, desired int) *yaml.Node {
	str := func(v string, quoted bool) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		if quoted {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n
	}
	md := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		str("timezone", false), str(zone.String(), false),
		str("start", false), str(start, true),
		str("end", false), str(end, true),
		str("desiredReplicas", false), str(strconv.Itoa(desired), true),
	}}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		str("type", false), str("cron", false),
		str("name", false), str(name, false),
		str("metadata", false), md,
	}}
}

// window is one cron trigger written from the floors.
type window struct {
	name, start, end string
	zone             *time.Location
	desired          int
}

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// floorWindows turns p's scheduled actions, each setting the minimum on a
// weekly schedule, into cron windows: the floor in force at every minute
// of the week, as stretches above p.Min.
func floorWindows(p *headroom.Policy) ([]window, error) {
	if len(p.Schedules) == 0 {
		return nil, nil
	}
	zone := p.Zone()
	for _, a := range p.Schedules {
		if a.Max != nil || a.Desired != nil || a.Min == nil {
			return nil, fmt.Errorf("scheduled action %q: a floor (a minimum only); KEDA cron triggers cannot set a maximum or a desired count", a.Name)
		}
		if a.TimeZone != nil && a.TimeZone.String() != zone.String() {
			return nil, fmt.Errorf("scheduled action %q: the policy's time zone %s (it is in %s)", a.Name, zone, a.TimeZone)
		}
	}
	// The actions' wall-clock times over a week whose clock does not
	// change, Sunday 00:00 first.
	week := plainWeek(zone)
	floor := map[int]int{}
	for _, a := range p.Schedules {
		for at := a.Schedule.Next(week.Add(-time.Second)); at.Before(week.AddDate(0, 0, 7)); at = a.Schedule.Next(at) {
			l := at.In(zone)
			m := int(l.Weekday())*minutesPerDay + l.Hour()*60 + l.Minute()
			if l.Second() != 0 {
				return nil, fmt.Errorf("scheduled action %q: a floor set on a whole minute", a.Name)
			}
			floor[m] = *a.Min
		}
	}
	var at []int
	for m := range floor {
		at = append(at, m)
	}
	sort.Ints(at)
	// Stretches of one floor, merged when the next action keeps it.
	type stretch struct{ start, length, floor int }
	var ss []stretch
	for i, m := range at {
		next := at[(i+1)%len(at)]
		length := (next - m + minutesPerWeek) % minutesPerWeek
		if length == 0 {
			length = minutesPerWeek
		}
		if n := len(ss); n > 0 && ss[n-1].floor == floor[m] {
			ss[n-1].length += length
			continue
		}
		ss = append(ss, stretch{m, length, floor[m]})
	}
	if n := len(ss); n > 1 && ss[n-1].floor == ss[0].floor {
		ss[0].start, ss[0].length = ss[n-1].start, ss[0].length+ss[n-1].length
		ss = ss[:n-1]
	}
	if len(ss) == 1 && ss[0].floor > p.Min {
		return nil, fmt.Errorf("a floor of %d the whole week is a minimum: a cron window must end; write minReplicaCount %d", ss[0].floor, ss[0].floor)
	}
	// One trigger per start and end time of day and floor, listing its
	// weekdays; a stretch of a day or more keeps its own.
	type key struct{ start, end, offset, floor, day int }
	days := map[key][]int{}
	var order []key
	for _, s := range ss {
		if s.floor <= p.Min {
			continue
		}
		end := s.start%minutesPerDay + s.length
		k := key{start: s.start % minutesPerDay, end: end % minutesPerDay, offset: end / minutesPerDay, floor: s.floor, day: -1}
		if s.length >= minutesPerDay {
			k.day = s.start / minutesPerDay
		}
		if _, ok := days[k]; !ok {
			order = append(order, k)
		}
		days[k] = append(days[k], s.start/minutesPerDay)
	}
	var out []window
	for _, k := range order {
		ds := days[k]
		ends := make([]int, len(ds))
		for i, d := range ds {
			ends[i] = (d + k.offset) % 7
		}
		out = append(out, window{
			name:  fmt.Sprintf("floor-%02d%02d-%s", k.start/60, k.start%60, dayNames(ds)),
			start: fmt.Sprintf("%d %d * * %s", k.start%60, k.start/60, dayField(ds)),
			end:   fmt.Sprintf("%d %d * * %s", k.end%60, k.end/60, dayField(ends)),
			zone:  zone, desired: k.floor,
		})
	}
	return out, nil
}

// plainWeek returns the first Sunday 00:00 in zone, from June 2024, that
// starts a week with no change of the clock.
func plainWeek(zone *time.Location) time.Time {
	d := time.Date(2024, 6, 2, 0, 0, 0, 0, zone)
	for range 60 {
		_, a := d.Zone()
		_, b := d.AddDate(0, 0, 7).Zone()
		if a == b {
			return d
		}
		d = d.AddDate(0, 0, 7)
	}
	return d
}

// dayField writes cron's day-of-week field, with ranges of three or more.
func dayField(ds []int) string {
	return dayList(ds, strconv.Itoa, "-", ",", "*")
}

var weekdayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayNames names weekdays for a trigger's name: "mon-to-fri", "sat-sun".
func dayNames(ds []int) string {
	return dayList(ds, func(d int) string { return weekdayNames[d] }, "-to-", "-", "daily")
}

func dayList(ds []int, name func(int) string, through, sep, all string) string {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	if len(ds) == 7 {
		return all
	}
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		for j+1 < len(ds) && ds[j+1] == ds[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, name(ds[i])+through+name(ds[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, name(ds[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, sep)
}

// FromHPA returns data, a file holding a HorizontalPodAutoscaler, with the
// HPA replaced by the ScaledObject that scales the same workload the same
// way: its scaleTargetRef, bounds, cpu Utilization targets (cpu triggers)
// and behavior (advanced.horizontalPodAutoscalerConfig.behavior). Rewrite
// then writes floors into it as cron triggers: the way to run scheduled
// floors beside target tracking where a plain HPA cannot. KEDA creates its
// own HPA for the ScaledObject, so the old one must be deleted when it is
// applied; a comment above it says so.
//
// Errors are *headroom.InputError: data does not read as one HPA, or the
// HPA scales on a metric other than cpu Utilization (a pods, object or
// external metric needs a KEDA scaler with its own query, such as
// prometheus, which headroom cannot write for you).
func FromHPA(path string, data []byte) ([]byte, error) {
	pol, _, err := hpa.Parse(path, data)
	if err != nil {
		return nil, err
	}
	f, err := hpa.ReadFile(path, data)
	if err != nil {
		return nil, err
	}
	var o *hpa.Object
	for _, x := range f.Objects {
		if x.Kind == "HorizontalPodAutoscaler" {
			o = x
		}
	}
	spec := hpa.Field(o.Node, "spec")
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", APIVersion, Kind, strconv.Quote(o.Name))
	if o.Namespace != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", strconv.Quote(o.Namespace))
	}
	b.WriteString("spec:\n  scaleTargetRef:\n")
	ref := hpa.Field(spec, "scaleTargetRef")
	for _, k := range []string{"apiVersion", "kind", "name"} {
		if v := hpa.Field(ref, k); v != nil && v.Value != "" {
			fmt.Fprintf(&b, "    %s: %s\n", k, strconv.Quote(v.Value))
		}
	}
	fmt.Fprintf(&b, "  minReplicaCount: %d\n  maxReplicaCount: %d\n  triggers:\n", pol.Min, pol.Max)
	if pol.Target != nil {
		for _, m := range pol.Target.Metrics {
			if m.Kind != headroom.MetricCPU {
				return nil, o.InputError("spec.metrics", m.Name, "cpu Utilization metrics only, to write a KEDA ScaledObject for the same workload: "+
					"another metric needs a KEDA scaler with its own query (prometheus), which headroom cannot write for you")
			}
			fmt.Fprintf(&b, "  - type: cpu\n    metricType: Utilization\n    metadata:\n      value: %q\n", strconv.Itoa(int(m.Target)))
		}
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		return nil, fmt.Errorf("write a ScaledObject for %s: %w", path, err)
	}
	so := n.Content[0]
	if beh := hpa.Field(spec, "behavior"); beh != nil {
		// "fed directly to the HPA's behavior field" (DocScaledObject).
		hpaCfg := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "behavior"}, beh}}
		adv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "horizontalPodAutoscalerConfig"}, hpaCfg}}
		soSpec := hpa.Field(so, "spec")
		soSpec.Content = append(soSpec.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "advanced"}, adv)
	}
	so.HeadComment = fmt.Sprintf("Written by headroom recommend from the HorizontalPodAutoscaler %q (%s): the same workload, bounds,\n"+
		"cpu target and behavior, with the floors as cron triggers. KEDA creates its own HPA (keda-hpa-%s):\n"+
		"delete the HorizontalPodAutoscaler %q when you apply this. See %s", o.Name, path, o.Name, o.Name, DocCron)
	f.Replace(o.Node, so)
	return f.Bytes()
}
