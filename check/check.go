package check

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/internal/numfmt"
	"github.com/headroomhq/headroom/sim"
)

// Defaults.
const (
	// DefaultChartPoints is how many buckets a chart keeps.
	DefaultChartPoints = 1500
	// maxListed caps the violations and decisions a report lists; the
	// counts stay exact.
	maxListed = 500
	// The first maxZoomed violations get a chart of their own: zoomMargin
	// either side, in zoomBucket-second buckets (a live loop's).
	maxZoomed  = 10
	zoomMargin = 30 * time.Minute
	zoomBucket = 15
)

// Options is one check: a service, the proposed policy, an optional
// baseline, and the traffic to replay through both.
type Options struct {
	Service  *headroom.Service
	Proposed *headroom.Policy
	Baseline *headroom.Policy
	Traffic  []*headroom.Series
	// ChartPoints is the chart resolution; 0 means DefaultChartPoints.
	ChartPoints int
	// Progress, when set, is called now and then with the simulated
	// seconds done and the total, over every run of the check.
	Progress func(done, total int)
	// Sinks, when set, returns extra sinks for a policy's run on one
	// series (a timeline writer, say). Runs of different policies are
	// concurrent.
	Sinks func(role string, tr *headroom.Series) []sim.Sink
	// Guards, when set, gives the guards applied to each policy: the
	// check then shows what headroom's live guards would have done.
	Guards func(p *headroom.Policy) *headroom.Guards
	// Wait, when set, says a traffic series' counts are still arriving
	// (traffic.Ahead.Wait): the runs follow them, and Run returns the
	// error Wait returns.
	Wait func(tr *headroom.Series, n int) (int, error)
	// Context, when set, cancels the check (Ctrl-C): Run then returns its
	// error, wrapped, and no report.
	Context context.Context
	// FailOn is FailOnAny (the default: any SLO violation fails) or
	// FailOnRegression (only being worse than the baseline fails, beyond
	// Tolerance): the gate a team with an imperfect baseline can adopt.
	FailOn string
	// Tolerance, with FailOnRegression: the share of the baseline's failed
	// requests, and of its time out of SLO, the proposed policy may add.
	Tolerance float64
	// Exclude lists spans left out of the judgement (known incidents, bot
	// spikes): their SLO windows are not judged and their requests not
	// counted. The simulation runs through them.
	Exclude []Span
}

// Fail-on modes.
const (
	FailOnAny        = "any"
	FailOnRegression = "regression"
)

// Span is a stretch of time, [From, To).
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Run replays every traffic series through the proposed policy (and the
// baseline, concurrently) and judges the result:
//   - fail when the proposed policy misses the SLO in any window;
//   - with a baseline, also fail when the proposed policy is worse: more
//     failed requests or more time in violation.
func Run(opt Options) (*Report, error) {
	svc := opt.Service
	if svc == nil || opt.Proposed == nil || len(opt.Traffic) == 0 {
		return nil, fmt.Errorf("check: a service, a proposed policy and traffic are required")
	}
	switch opt.FailOn {
	case "", FailOnAny:
		opt.FailOn = FailOnAny
	case FailOnRegression:
		if opt.Baseline == nil {
			return nil, headroom.Errorf(headroom.EINVALID, "fail on regression needs a baseline to compare with")
		}
	default:
		return nil, headroom.Errorf(headroom.EINVALID, "fail on %q: expected %s or %s", opt.FailOn, FailOnAny, FailOnRegression)
	}
	if !(opt.Tolerance >= 0 && opt.Tolerance <= 1) {
		return nil, headroom.Errorf(headroom.EINVALID, "tolerance %v: expected a share between 0 and 1", opt.Tolerance)
	}
	r := &Report{Service: describeService(svc), FailOn: opt.FailOn, Excluded: opt.Exclude}
	if opt.FailOn == FailOnRegression {
		r.Tolerance = opt.Tolerance
	}
	// The traffic's totals, a pass over every count, beside the runs:
	// on two cores the shorter run leaves one idle before the end.
	r.Traffic = make([]Traffic, len(opt.Traffic))
	var described sync.WaitGroup
	described.Go(func() {
		for i, tr := range opt.Traffic {
			if opt.Wait != nil {
				if _, err := opt.Wait(tr, len(tr.Counts)); err != nil {
					return // the runs say it
				}
			}
			r.Traffic[i] = describeTraffic(tr)
		}
	})
	policies := []*headroom.Policy{opt.Proposed}
	roles := []string{RoleProposed}
	if opt.Baseline != nil {
		policies = append(policies, opt.Baseline)
		roles = append(roles, RoleBaseline)
	}
	total := 0
	for _, tr := range opt.Traffic {
		total += tr.Seconds() * len(policies)
	}
	prog := newProgress(opt.Progress, total)

	results := make([]*PolicyResult, len(policies))
	errs := make([]error, len(policies))
	var wg sync.WaitGroup
	for i, p := range policies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = runPolicy(svc, p, roles[i], opt, prog)
		}()
	}
	wg.Wait()
	described.Wait()
	if ctx := opt.Context; ctx != nil && ctx.Err() != nil {
		// One error for a cancelled check, whichever run saw it.
		return nil, fmt.Errorf("check: %w", ctx.Err())
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	r.Policies = results
	judge(r, opt.FailOn, opt.Tolerance)
	return r, nil
}

// progress merges the progress of concurrent runs.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int)
	done  int
	total int
}

func newProgress(fn func(int, int), total int) *progress {
	return &progress{fn: fn, total: total}
}

// run returns one run's callback: it adds the run's progress since its
// last call to the check's.
func (p *progress) run() func(done, total int) {
	last := 0
	return func(done, _ int) {
		if p.fn == nil {
			return
		}
		p.mu.Lock()
		p.done += done - last
		last = done
		p.fn(p.done, p.total)
		p.mu.Unlock()
	}
}

func runPolicy(svc *headroom.Service, p *headroom.Policy, role string, opt Options, prog *progress) (*PolicyResult, error) {
	// Empty lists, not nulls: JSON consumers index them without a check.
	pr := &PolicyResult{Role: role, Name: p.Name, File: p.File, Zone: p.Zone().String(), zone: p.Zone(),
		Violations: []Violation{}, Decisions: []headroom.Decision{}, Detections: []Detection{}, Totals: Totals{MinInstances: math.MaxInt}}
	det := detect.ForService(svc)
	var worstLatency time.Duration
	for _, tr := range opt.Traffic {
		ev := newEvaluator(svc, p.Zone(), tr.Name)
		ev.exclude = opt.Exclude
		model := sim.NewModel(svc)
		ch := newChartSink(svc, tr, opt.ChartPoints)
		fine := newZoomSink(svc, tr, ev)
		sinks := []sim.Sink{ev, ch, fine}
		if opt.Sinks != nil {
			sinks = append(sinks, opt.Sinks(role, tr)...)
		}
		cfg := sim.Config{Service: svc, Policy: p, Traffic: tr, Progress: prog.run(), Detect: &det, Context: opt.Context}
		if opt.Wait != nil {
			cfg.Wait = func(n int) (int, error) { return opt.Wait(tr, n) }
		}
		if opt.Guards != nil {
			cfg.Guards = opt.Guards(p)
		}
		res, err := sim.Run(cfg, sinks...)
		if err != nil {
			return nil, fmt.Errorf("simulate %s on %s: %w", p.Name, tr.Name, err)
		}
		ev.finish()
		attachCauses(ev.violations, res.Decisions, svc, tr, model)
		chart := ch.finish()
		chart.Violations = ev.violations
		pr.Charts = append(pr.Charts, chart)
		pr.ViolationCount += len(ev.violations)
		for _, v := range ev.violations {
			if len(pr.Violations) < maxListed {
				pr.Violations = append(pr.Violations, v)
				var z *Chart
				if len(pr.Zooms) < maxZoomed {
					if z = fine.window(v.Start.Add(-zoomMargin), v.End.Add(zoomMargin)); z != nil {
						z.Violations = []Violation{v}
					}
				}
				pr.Zooms = append(pr.Zooms, z)
			}
			pr.Totals.ViolationSeconds += v.DurationSeconds
		}
		pr.DecisionCount += len(res.Decisions)
		for _, d := range res.Decisions {
			if len(pr.Decisions) < maxListed {
				pr.Decisions = append(pr.Decisions, d)
			}
		}
		pr.DetectionCount += len(res.Alerts)
		for _, a := range res.Alerts {
			if len(pr.Detections) < maxListed {
				pr.Detections = append(pr.Detections, Detection{Traffic: tr.Name, Alert: a})
			}
		}
		// What excluded spans held is not judged, nor counted.
		pr.Totals.Requests += res.Requests - ev.excludedRequests
		pr.Totals.FailedRequests += res.Failed - ev.excludedFailed
		pr.Totals.ExcludedSeconds += int(ev.excludedSeconds)
		pr.Totals.InstanceHours += res.InstanceSeconds / 3600
		pr.Totals.PeakInstances = max(pr.Totals.PeakInstances, ev.peakInstances)
		pr.Totals.MinInstances = min(pr.Totals.MinInstances, ev.minInstances)
		worstLatency = max(worstLatency, ev.worstLatency)
	}
	if pr.Totals.Requests > 0 {
		pr.Totals.ErrorRatio = min(1, pr.Totals.FailedRequests/pr.Totals.Requests)
	}
	// Counts of requests are whole: the model's fractions (counts spread
	// over seconds, a fluid backlog) are float noise to a reader.
	pr.Totals.Requests, pr.Totals.FailedRequests = math.Round(pr.Totals.Requests), math.Round(pr.Totals.FailedRequests)
	pr.Totals.WorstLatencyMs = ms(worstLatency)
	pr.Verdict = Pass
	if pr.ViolationCount > 0 {
		pr.Verdict = Fail
	}
	return pr, nil
}

// attachCauses says, for each violation, what made capacity short: the
// last decision that changed capacity at its start (or cut it inside its
// first SLO window), when it cut capacity below what demand needed right
// after it; otherwise — no decision made it short — the demand rise the policy
// could not follow, or the bound that held it. Never a scale-out, never a
// decision older than the last change (a cut twelve days earlier that left
// capacity enough is not why demand outgrew it today).
func attachCauses(vs []Violation, ds []headroom.Decision, svc *headroom.Service, tr *headroom.Series, model *sim.Model) {
	window := svc.SLO.Window
	for i := range vs {
		v := &vs[i]
		// The last change at or before the start; a cut inside the first
		// window (45 s into the minute that went bad) takes its place,
		// while a scale-out there is the response, not the cause.
		var last *headroom.Decision
		for k := range ds {
			d := &ds[k]
			if !d.Time.Before(v.Start.Add(window)) {
				break
			}
			if d.Changed() && (!d.Time.After(v.Start) || d.Desired < d.Current) {
				last = d
			}
		}
		if last != nil && last.Desired < last.Current {
			need := model.Required(meanRate(tr, last.Time, last.Time.Add(window)), svc.SLO.MaxLatency)
			if last.Desired < need {
				c := *last
				v.Cause = &c
				v.CauseSummary = fmt.Sprintf("%s cut capacity from %d to %d at %s UTC while demand needed %d",
					last.Reason.Code, last.Current, last.Desired, last.Time.UTC().Format("15:04:05"), need)
				continue
			}
		}
		v.CauseSummary = outgrown(v, last, svc, tr, model) + lateSchedule(v, ds, max(svc.StartupDelay, window))
	}
}

// outgrown says why capacity fell short when no decision cut it: demand
// rose faster than instances start, or the policy held a count that was not
// enough (at its maximum, or by its target).
func outgrown(v *Violation, last *headroom.Decision, svc *headroom.Service, tr *headroom.Series, model *sim.Model) string {
	span := max(svc.StartupDelay, time.Minute)
	before := meanRate(tr, v.Start.Add(-span-time.Minute), v.Start.Add(-span))
	now := v.PeakDemand
	need := model.Required(now, svc.SLO.MaxLatency)
	if before > 0 && now > 1.1*before {
		return fmt.Sprintf("no decision cut capacity: demand rose %sx in %s (from %s to %s req/s), faster than the policy can add capacity (instances take %s to start)",
			sig(now/before), shortSpan(span), sig(before), sig(now), svc.StartupDelay)
	}
	if last != nil && last.Desired >= last.Max {
		return fmt.Sprintf("no decision cut capacity: the policy held %d instances, its maximum; demand needed %d", last.Desired, need)
	}
	if last != nil {
		return fmt.Sprintf("no decision cut capacity: the policy kept %d instances; demand needed %d", last.Desired, need)
	}
	return fmt.Sprintf("no decision cut capacity: demand needed %d instances", need)
}

// lateSchedule names a scheduled action that raised the floor only during
// the violation or right after it (a pre-warm written for another zone, an
// hour late on a DST day), or "".
func lateSchedule(v *Violation, ds []headroom.Decision, late time.Duration) string {
	for k := range ds {
		d := &ds[k]
		if d.Time.Before(v.Start) || d.Time.After(v.End.Add(late)) {
			continue
		}
		if d.Reason.Code == headroom.ReasonScheduled && (d.Desired > d.Current || d.Min >= d.Current) {
			return fmt.Sprintf("; a scheduled action raised the floor only at %s UTC, %s after the violation began: %s",
				d.Time.UTC().Format("15:04:05"), shortSpan(d.Time.Sub(v.Start)), d.Reason.Message)
		}
	}
	return ""
}

// meanRate is tr's mean request rate over [from, to), within the series.
func meanRate(tr *headroom.Series, from, to time.Time) float64 {
	lo := max(int(from.Sub(tr.Start)/time.Second), 0)
	hi := min(int(to.Sub(tr.Start)/time.Second), tr.Seconds())
	if hi <= lo {
		return 0
	}
	var sum float64
	for sec := lo; sec < hi; sec++ {
		sum += tr.RateAt(sec)
	}
	return sum / float64(hi-lo)
}

// sig prints a figure with three significant digits at most: 6, 12.5, 4800.
func sig(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// shortSpan prints 3m, not 3m0s.
func shortSpan(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// judge sets the verdict from the policies and the comparison. With
// FailOnAny a violation of the proposed policy fails; with a baseline, so
// does being worse than it. With FailOnRegression only being worse than
// the baseline beyond tolerance fails; the violations both share are said,
// not failed on.
func judge(r *Report, failOn string, tolerance float64) {
	proposed := r.Policies[0]
	r.Verdict = Pass
	var violates string
	if proposed.ViolationCount > 0 {
		first := proposed.Violations[0]
		spans := "1 span"
		if proposed.ViolationCount > 1 {
			spans = fmt.Sprintf("%d spans", proposed.ViolationCount)
		}
		violates = fmt.Sprintf("proposed policy %q misses the SLO in %s, %s in all, first on %s at %s",
			proposed.Name, spans, time.Duration(proposed.Totals.ViolationSeconds)*time.Second,
			first.Start.Format("2006-01-02"), engine.Clock(first.Start, proposed.zone))
		if failOn != FailOnRegression {
			r.Verdict = Fail
			r.Reasons = append(r.Reasons, violates)
		}
	}
	if len(r.Policies) < 2 {
		return
	}
	base := r.Policies[1]
	c := &Comparison{
		FailedRequestsDelta:   proposed.Totals.FailedRequests - base.Totals.FailedRequests,
		ViolationSecondsDelta: proposed.Totals.ViolationSeconds - base.Totals.ViolationSeconds,
		InstanceHoursDelta:    proposed.Totals.InstanceHours - base.Totals.InstanceHours,
	}
	if base.Totals.InstanceHours > 0 {
		c.InstanceHoursChange = c.InstanceHoursDelta / base.Totals.InstanceHours
	}
	r.Compare = c
	// Half a request is float noise from spreading counts over seconds.
	failedAllowed := 0.5 + tolerance*base.Totals.FailedRequests
	secondsAllowed := int(tolerance * float64(base.Totals.ViolationSeconds))
	if c.FailedRequestsDelta > failedAllowed {
		r.Verdict = Fail
		r.Reasons = append(r.Reasons, fmt.Sprintf("proposed policy fails %s more requests than the baseline%s", numfmt.Count(c.FailedRequestsDelta), beyond(tolerance)))
	}
	if c.ViolationSecondsDelta > secondsAllowed {
		r.Verdict = Fail
		r.Reasons = append(r.Reasons, fmt.Sprintf("proposed policy is out of SLO %s longer than the baseline%s", time.Duration(c.ViolationSecondsDelta)*time.Second, beyond(tolerance)))
	}
	if failOn == FailOnRegression && violates != "" {
		note := fmt.Sprintf("%s; the baseline misses it for %s: fail-on regression judges only the difference", violates,
			time.Duration(base.Totals.ViolationSeconds)*time.Second)
		if r.Verdict == Pass {
			r.Notes = append(r.Notes, note+", and the proposed policy is no worse")
		} else {
			r.Notes = append(r.Notes, note)
		}
	}
}

// beyond says the tolerance a regression went beyond, if any.
func beyond(tolerance float64) string {
	if tolerance == 0 {
		return ""
	}
	return fmt.Sprintf(", beyond the %s%% tolerance", strconv.FormatFloat(100*tolerance, 'g', 3, 64))
}

func describeService(s *headroom.Service) Service {
	return Service{Name: s.Name, CapacityPerInstance: s.CapacityPerInstance, StartupDelay: s.StartupDelay.String(),
		BaseLatency: s.BaseLatency.String(),
		SLO: SLO{MaxErrorRatio: s.SLO.MaxErrorRatio, MaxLatencyMs: ms(s.SLO.MaxLatency), Percentile: s.SLO.Percentile,
			MaxPercentileLatencyMs: ms(s.SLO.MaxPercentileLatency), WindowSeconds: int(s.SLO.Window / time.Second)}}
}

func describeTraffic(tr *headroom.Series) Traffic {
	t := Traffic{Name: tr.Name, Start: tr.Start, End: tr.End(), Step: tr.Step.String()}
	// One pass over a month's 2.6 M counts (memory, not the CPU, is what
	// it waits on): summed in a local and in order (t's field lives in
	// memory: a store and a load in each addition's chain), the peak on
	// four chains as maxOf does.
	var requests float64
	m0, m1, m2, m3 := 0.0, 0.0, 0.0, 0.0
	cs := tr.Counts
	for ; len(cs) >= 4; cs = cs[4:] {
		requests = requests + cs[0] + cs[1] + cs[2] + cs[3]
		m0, m1, m2, m3 = max(m0, cs[0]), max(m1, cs[1]), max(m2, cs[2]), max(m3, cs[3])
	}
	for _, c := range cs {
		requests += c
	}
	t.Requests = requests
	t.PeakRate = maxOf(max(max(m0, m1), max(m2, m3)), cs) / tr.Step.Seconds()
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
