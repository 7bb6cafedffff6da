package postmortem

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// notRecorded marks a figure the record could not give.
const notRecorded = "**[not recorded]**"

// Draft writes the postmortem in Markdown.
func Draft(in Input) string {
	f := Compute(in)
	d := &drafter{in: in, f: f}
	return d.write()
}

type drafter struct {
	in      Input
	f       Figures
	b       strings.Builder
	sources []string
	missing []string
}

// cite records a source and returns its footnote mark.
func (d *drafter) cite(source string) string {
	for i, s := range d.sources {
		if s == source {
			return fmt.Sprintf("[^%d]", i+1)
		}
	}
	d.sources = append(d.sources, source)
	return fmt.Sprintf("[^%d]", len(d.sources))
}

// miss records a figure the record could not give.
func (d *drafter) miss(what string) string {
	if !slices.Contains(d.missing, what) {
		d.missing = append(d.missing, what)
	}
	return notRecorded
}

func (d *drafter) p(format string, args ...any) { fmt.Fprintf(&d.b, format, args...) }

func (d *drafter) service() string {
	if d.in.Service != "" {
		return d.in.Service
	}
	if len(d.in.Components) > 0 {
		return joinNames(d.in.Components)
	}
	return "the service"
}

// theService names what customers use, with its article: "the website
// and API services", or "the service" when the target names none.
func (d *drafter) theService() string {
	if d.in.Service == "" && len(d.in.Components) == 0 {
		return "the service"
	}
	return "the " + d.service()
}

func (d *drafter) write() string {
	in, f := d.in, d.f
	title := in.Title
	if title == "" {
		title = d.service()
	}
	d.p("# Postmortem: %s\n\n", oneLine(title))
	d.p("_A draft by headroom from %s. Every figure is sourced below; edit it, then publish it. The sections What went well, What went wrong and Where we got lucky are for people to write._\n\n", oneLine(orText(in.Record, "the record")))

	d.summary()
	d.impact()
	d.rootCause()
	d.trigger()
	d.detection()
	d.resolution()
	d.timeline()
	d.remedial()
	d.p("## What went well\n\n_For people to write._\n\n")
	d.p("## What went wrong\n\n_For people to write._\n\n")
	d.p("## Where we got lucky\n\n_For people to write._\n\n")

	if len(d.missing) > 0 {
		d.p("## Not in the record\n\nheadroom could not source these figures; they are marked %s above and left for people to fill in: %s.\n\n",
			notRecorded, strings.Join(d.missing, "; "))
	}
	if len(d.sources) > 0 {
		d.p("## Sources\n\n")
		for i, s := range d.sources {
			d.p("[^%d]: %s\n", i+1, s)
		}
	}
	_ = f
	return d.b.String()
}

func (d *drafter) impactSpan() string {
	f := d.f
	if f.ImpactStart.IsZero() {
		return d.miss("the impact window: no loop of the record had errors over the budget or latency over the SLO")
	}
	return fmt.Sprintf("between %s and %s UTC", clock(f.ImpactStart), clock(f.ImpactEnd)) + d.cite(d.impactSource())
}

// impactSource names the loops of the impact window.
func (d *drafter) impactSource() string {
	return d.samplesSource(d.f.ImpactStart, d.f.ImpactEnd, fmt.Sprintf("%d loops with errors over the %s budget or latency over %s",
		d.f.ImpactSamples, pct(d.in.Budget), orDur(d.in.MaxLatency)))
}

func (d *drafter) samplesSource(from, to time.Time, what string) string {
	in := d.in
	s := fmt.Sprintf("%s, loops from %s to %s UTC (%s)", orText(in.Record, "the record"), stamp(from), stamp(to), what)
	q := in.Queries
	if q.ErrorRatio != "" || q.Demand != "" {
		s += fmt.Sprintf("; Prometheus %s, range %s to %s UTC: demand `%s`, error ratio `%s`", orText(q.Prometheus, ""), stamp(from), stamp(to), q.Demand, q.ErrorRatio)
		if q.Latency != "" {
			s += fmt.Sprintf(", latency `%s`", q.Latency)
		}
	}
	return s
}

func (d *drafter) summary() {
	in, f := d.in, d.f
	d.p("## Summary\n\n")
	day := "On the day of the incident"
	if !f.ImpactStart.IsZero() {
		day = "On " + f.ImpactStart.UTC().Format("January 2, 2006")
	}
	what := "errors and increased latency"
	if f.HasLatency && f.LatencyIncrease <= 0 {
		what = "errors"
	}
	d.p("%s, %s, customers of %s experienced %s. ", day, d.impactSpan(), d.theService(), what)
	d.p("The event was triggered by %s. ", d.triggerWords())
	switch {
	case f.FirstAlert != nil && !f.ImpactStart.IsZero():
		d.p("The incident was detected %s by headroom's %s alert", detectWords(f.FirstAlert.StartsAt.Sub(f.ImpactStart)), f.FirstAlert.Signal)
	case f.FirstAlert != nil:
		d.p("headroom's %s alert fired at %s UTC", f.FirstAlert.Signal, clock(f.FirstAlert.StartsAt))
	default:
		d.p("Detection: %s", d.miss("when it was detected: no alert in the record"))
	}
	if !f.Mitigated.IsZero() {
		d.p(" and mitigated by adding capacity, back at what demand needed %s after the first alert", dur(f.Mitigated.Sub(f.FirstAlert.StartsAt)))
	}
	d.p(".")
	if !f.Declared.IsZero() && !f.Resolved.IsZero() {
		d.p(" The total time to resolution was about %s.", dur(f.Resolved.Sub(f.Declared)))
	}
	_ = in
	d.p("\n\n")
}

func (d *drafter) impact() {
	in, f := d.in, d.f
	d.p("## Impact\n\n")
	if f.ImpactStart.IsZero() {
		d.p("%s\n\n", d.impactSpan())
		return
	}
	src := d.cite(d.impactSource())
	d.p("The impact lasted %s, %s. ", dur(f.ImpactEnd.Sub(f.ImpactStart)), d.impactSpan())
	d.p("About %s requests failed%s; the worst loop failed %s of requests%s. ", Count(f.FailedRequests), src, pct(f.WorstErrorRatio), src)
	if f.HasLatency {
		change := "were elevated by " + strconv.Itoa(int(math.Round(f.LatencyIncrease))) + "%"
		if f.LatencyIncrease < 0 {
			// Fast-failing errors lower the mean.
			change = "fell by " + strconv.Itoa(int(math.Round(-f.LatencyIncrease))) + "%"
		}
		d.p("Average response times %s (%s against %s in the hour before)%s. ", change, ms(f.ImpactLatency), ms(f.BaselineLatency),
			d.cite(d.samplesSource(f.ImpactStart.Add(-time.Hour), f.ImpactEnd, "the hour before the impact against the impact; mean latency weighted by requests")))
	} else {
		d.p("Average response times: %s. ", d.miss("the latency increase: no latency samples before and during the impact"))
	}
	if len(in.Components) > 0 {
		inc := ""
		if in.Incident != nil {
			inc = d.cite(fmt.Sprintf("status page incident %s: its components", in.Incident.ID))
		}
		d.p("\n\nThis incident affected: %s.%s", strings.Join(in.Components, ", "), inc)
	} else {
		d.p("\n\nComponents affected: %s.", d.miss("the components: the target names none"))
	}
	d.p("\n\n")
}

// triggerWords says what triggered it, in customer words.
func (d *drafter) triggerWords() string {
	c := d.f.Cause
	switch {
	case c == nil && d.f.FirstAlert != nil && d.f.FirstAlert.Reason.Code == headroom.ReasonDemandOutran:
		return "a rise in traffic faster than capacity could be added"
	case c == nil:
		return "demand outgrowing capacity (no decision in the record cut capacity below what demand needed)"
	case c.Reason.Code == headroom.ReasonScheduled:
		return "a scheduled scaling event that reduced capacity below what traffic needed, which left the services under-provisioned"
	}
	return "an automatic scale-in that reduced capacity below what traffic needed"
}

func (d *drafter) rootCause() {
	in, f := d.in, d.f
	d.p("## Root cause\n\n")
	c := f.Cause
	if c == nil {
		d.p("The record holds no decision that cut capacity below what demand needed before the impact: %s.", d.triggerWords())
		if f.FirstAlert != nil && f.FirstAlert.Signal == headroom.SignalCause {
			d.p(" The detector said: %s%s", oneLine(f.FirstAlert.Reason.Message), d.cite(alertSource(*f.FirstAlert)))
		}
		d.p("\n\n")
		return
	}
	d.p("The issue was caused by %s.\n\n", strings.TrimSuffix(d.triggerWords(), ", which left the services under-provisioned"))
	local := ""
	if in.Zone != nil && in.Zone != time.UTC {
		local = " = " + c.Time.In(in.Zone).Format("15:04:05") + " " + in.Zone.String()
	}
	d.p("For engineers: at %s UTC%s, `%s` %d → %d (min %d, max %d): %s", stamp(c.Time), local, c.Reason.Code, c.Current, c.Desired, c.Min, c.Max, sentence(c.Reason.Message))
	if in.PolicyFile != "" {
		d.p(" Policy: `%s`.", in.PolicyFile)
	}
	d.p("%s\n\n", d.cite(fmt.Sprintf("%s, the decision at %s UTC", orText(in.Record, "the record"), stamp(c.Time))))
}

func (d *drafter) trigger() {
	d.p("## Trigger\n\n")
	if c := d.f.Cause; c != nil {
		d.p("`%s` at %s UTC: capacity %d → %d.\n\n", c.Reason.Code, stamp(c.Time), c.Current, c.Desired)
		return
	}
	d.p("%s.\n\n", capitalize(d.triggerWords()))
}

func (d *drafter) detection() {
	f := d.f
	d.p("## Detection\n\n")
	if f.FirstAlert == nil {
		d.p("%s\n\n", d.miss("the first alert: none in the record"))
		return
	}
	a := f.FirstAlert
	d.p("headroom's %s alert `%s` fired at %s UTC", a.Signal, a.Rule, stamp(a.StartsAt))
	if !f.ImpactStart.IsZero() {
		d.p(", %s", detectWords(a.StartsAt.Sub(f.ImpactStart)))
	}
	d.p(": %s%s\n\n", oneLine(a.Reason.Message), d.cite(alertSource(*a)))
}

func (d *drafter) resolution() {
	in, f := d.in, d.f
	d.p("## Resolution\n\n")
	switch {
	case f.FirstAlert == nil:
	case !f.Mitigated.IsZero():
		d.p("Capacity was back at what demand needed at %s UTC, %s after the first alert%s. ", stamp(f.Mitigated), dur(f.Mitigated.Sub(f.FirstAlert.StartsAt)),
			d.cite(fmt.Sprintf("%s, the first loop from %s UTC, after one short of the need or over the SLO, with ready instances at or above the need and users within the SLO", orText(in.Record, "the record"), stamp(f.mitigationFrom()))))
	default:
		d.p("Time to mitigate: %s. ", d.miss("when capacity was back at need: no such loop in the record"))
	}
	if in.Incident != nil {
		if !f.Resolved.IsZero() {
			d.p("The incident was declared at %s UTC and resolved at %s UTC: %s%s.", stamp(f.Declared), stamp(f.Resolved), dur(f.Resolved.Sub(f.Declared)),
				d.cite(fmt.Sprintf("status page incident %s: created at and resolved at", in.Incident.ID)))
		} else {
			d.p("The incident was declared at %s UTC; %s.", stamp(f.Declared), d.miss("its resolution: not resolved yet"))
		}
	}
	d.p("\n\n")
}

// event is a line of the timeline.
type event struct {
	at   time.Time
	text string
}

func (d *drafter) timeline() {
	in, f := d.in, d.f
	var es []event
	for _, c := range in.Decisions {
		if c.Time.Before(in.From) || c.Time.After(in.To) {
			continue
		}
		es = append(es, event{c.Time, fmt.Sprintf("decision `%s` %d → %d: %s", c.Reason.Code, c.Current, c.Desired, oneLine(c.Reason.Message))})
	}
	for _, a := range in.Alerts {
		if a.StartsAt.Before(in.From) || a.StartsAt.After(in.To) {
			continue
		}
		es = append(es, event{a.StartsAt, fmt.Sprintf("%s alert `%s` fires: %s", a.Signal, a.Rule, oneLine(a.Reason.Message))})
		if !a.Firing() {
			es = append(es, event{a.EndsAt, fmt.Sprintf("%s alert `%s` resets", a.Signal, a.Rule)})
		}
	}
	if !f.ImpactStart.IsZero() {
		es = append(es, event{f.ImpactStart, "impact begins: errors over the budget or latency over the SLO"}, event{f.ImpactEnd, "impact ends"})
	}
	if !f.Mitigated.IsZero() {
		es = append(es, event{f.Mitigated, "capacity back at what demand needs"})
	}
	if inc := in.Incident; inc != nil {
		for _, u := range inc.Updates {
			es = append(es, event{u.DisplayAt, fmt.Sprintf("status page: **%s** — %s", capitalize(string(u.Status)), oneLine(u.Body))})
		}
	}
	slices.SortStableFunc(es, func(a, b event) int { return a.at.Compare(b.at) })
	d.p("## Timeline (UTC)\n\n")
	if len(es) == 0 {
		d.p("%s\n\n", d.miss("the timeline: no decision, alert or update in the record"))
		return
	}
	for _, e := range es {
		d.p("- %s %s\n", stamp(e.at), e.text)
	}
	d.p("\n")
}

func (d *drafter) remedial() {
	in := d.in
	d.p("## Remedial actions\n\n")
	if in.Check != "" {
		d.p("- Catch this change before it ships: this `headroom check` fails on it (run it in CI on every change of the policy):\n\n  ```sh\n  %s\n  ```\n", in.Check)
	} else {
		d.p("- Catch such a change before it ships: run `headroom check` on the policy file in CI, on a day of recorded traffic.\n")
	}
	if in.Target != "" {
		d.p("- Keep headroom's guards on target `%s` (serve in enforce or guard mode): a scale-in is deferred while demand needs the capacity.\n", in.Target)
	}
	d.p("- Tune the policy to the traffic: derive the schedule from the traffic of every hour of the week, and prove it with `headroom check`.\n\n")
}

func alertSource(a headroom.Alert) string {
	return fmt.Sprintf("the detector's %s alert `%s` of target %s, started at %s UTC", a.Signal, a.Rule, a.Target, stamp(a.StartsAt))
}

// detectWords says when an alert came relative to the impact's start.
func detectWords(d time.Duration) string {
	switch {
	case d < 0:
		return fmt.Sprintf("%s before the impact began", dur(-d))
	case d == 0:
		return "as the impact began"
	}
	return "within " + dur(d)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

// dur says a duration for people: 10 minutes, 45 seconds, 1 hour 5 minutes.
func dur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return plural(int(d/time.Second), "second")
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return plural(m, "minute")
		}
		return plural(m, "minute") + " " + plural(s, "second")
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return plural(h, "hour")
	}
	return plural(h, "hour") + " " + plural(m, "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Count prints a number of requests for people: 729,309.
func Count(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func pct(r float64) string {
	v := 100 * r
	switch {
	case v >= 10:
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + "%"
}

func ms(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + " s"
	}
	return strconv.Itoa(int(d/time.Millisecond)) + " ms"
}

func orDur(d time.Duration) string {
	if d <= 0 {
		return "no latency bound"
	}
	return d.String()
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sentence is s on one line, ending with a full stop.
func sentence(s string) string {
	s = oneLine(s)
	if s != "" && !strings.ContainsAny(s[len(s)-1:], ".!?") {
		s += "."
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinNames says "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
