package aws

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// Where the step scaling rules come from.
const (
	// DocAppStep is Application Auto Scaling's step scaling.
	DocAppStep = "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html"
	// DocAppStepAPI is the API reference of a step scaling
	// configuration: its fields, the cooldown and its defaults.
	DocAppStepAPI = "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html"
	// DocEC2Step is EC2 Auto Scaling's step and simple scaling, with the
	// example of step adjustments around a threshold of 50.
	DocEC2Step = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html"
	// DocEC2PolicyAPI is the API reference of PutScalingPolicy.
	DocEC2PolicyAPI = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html"
	// DocStepAdjustment lists the rules the API applies to step
	// adjustments (the same for both services).
	DocStepAdjustment = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StepAdjustment.html"
	// DocMetricAlarm is the CloudWatch alarm describe-alarms prints.
	DocMetricAlarm = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html"
	// DocPutMetricAlarm is the API reference of PutMetricAlarm: periods,
	// datapoints to alarm, comparison operators.
	DocPutMetricAlarm = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
	// DocALBMetrics lists the Application Load Balancer's metrics and
	// their useful statistics.
	DocALBMetrics = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html"
)

// The top-level keys of `aws cloudwatch describe-alarms`.
const (
	keyMetricAlarms    = "MetricAlarms"
	keyCompositeAlarms = "CompositeAlarms"
)

// The fields the AWS CLI prints for step scaling and CloudWatch alarms,
// read or not.
var (
	appStepKnown     = []string{"AdjustmentType", "StepAdjustments", "MinAdjustmentMagnitude", "Cooldown", "MetricAggregationType"}
	stepAdjKnown     = []string{"MetricIntervalLowerBound", "MetricIntervalUpperBound", "ScalingAdjustment"}
	policyAlarmKnown = []string{"AlarmName", "AlarmARN"}
	alarmKnown       = []string{"AlarmName", "AlarmArn", "AlarmDescription", "AlarmConfigurationUpdatedTimestamp", "ActionsEnabled", "OKActions",
		"AlarmActions", "InsufficientDataActions", "StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "MetricName",
		"Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
		"ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId", "EvaluationState",
		"StateTransitionedTimestamp"}
	dimensionKnown = []string{"Name", "Value"}
)

// The adjustment types of both services (AdjustmentType, DocAppStepAPI
// and DocEC2PolicyAPI).
var adjustmentTypes = []string{"ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"}

// The comparisons of a threshold alarm, and those of an anomaly detection
// band (ComparisonOperator, DocPutMetricAlarm).
var (
	thresholdComparisons = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	bandComparisons      = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
)

// maxEvaluationPeriods is the longest alarm window the engine keeps: it
// remembers an alarm's last 63 datapoints.
const maxEvaluationPeriods = 63

// stepPolicy is a step or simple scaling policy as its service describes
// it, before it is joined with the CloudWatch alarms that invoke it.
type stepPolicy struct {
	e    entry
	name string
	arn  string
	// alarms are the policy's Alarms; alarmsV is that list, nil when the
	// output has none.
	alarms  []alarmRef
	alarmsV *value
	adjType string
	// steps are relative to the alarm's threshold, in the alarm's units.
	steps    []headroom.StepAdjustment
	minMag   int
	cooldown time.Duration
}

// alarmRef names an alarm as a policy's Alarms list does.
type alarmRef struct{ name, arn string }

func (a alarmRef) String() string {
	if a.name != "" {
		return a.name
	}
	return a.arn
}

// alarm is one element of describe-alarms' MetricAlarms: its identity, read
// leniently from every alarm for the join, and, once a step policy needs it,
// its translation.
type alarm struct {
	e       entry
	name    string
	arn     string
	actions []string
	// read is set once the alarm is translated (errors are reported
	// once); ok when it translated without error.
	read, ok bool
	// enabled is ActionsEnabled: an alarm whose actions are disabled
	// invokes no policy.
	enabled bool
	metric  headroom.MetricTarget
	// per divides the threshold and the step bounds into headroom's
	// units: the period in seconds for a count summed over it, else 1.
	per        float64
	threshold  float64
	comparison string
	eval, dta  int
}

// stepJoin joins the step policies of one scalable target or group with
// their alarms.
type stepJoin struct {
	in *input
	// dims are the alarm dimensions that name the target or group
	// checked, for a warning when an alarm watches another.
	dims map[string]string
	// what names the target or group in that warning.
	what string
	out  []headroom.StepScaling
}

// alarmList indexes the MetricAlarms of every file, leniently: an alarm
// is checked field by field only when a policy uses it.
func (in *input) alarmList() []*alarm {
	if in.alarmIndex != nil || len(in.alarms) == 0 {
		return in.alarmIndex
	}
	for _, e := range in.alarms {
		a := &alarm{e: e, per: 1, enabled: true}
		if v := field(e.v, "AlarmName"); v != nil && v.kind == kindString {
			a.name = v.str
		}
		if v := field(e.v, "AlarmArn"); v != nil && v.kind == kindString {
			a.arn = v.str
		}
		if v := field(e.v, "AlarmActions"); v != nil && v.kind == kindArray {
			for _, x := range v.elems {
				if x.kind == kindString {
					a.actions = append(a.actions, x.str)
				}
			}
		}
		in.alarmIndex = append(in.alarmIndex, a)
	}
	return in.alarmIndex
}

// compositeNamed reports whether a composite alarm is called name.
func (in *input) compositeNamed(name string) bool {
	for _, e := range in.composites {
		if v := field(e.v, "AlarmName"); v != nil && v.kind == kindString && v.str == name {
			return true
		}
	}
	return false
}

// readAlarmRefs reads a policy's Alarms: the alarms that invoke it, by
// name and ARN, as both services print them.
func readAlarmRefs(e entry) ([]alarmRef, *value) {
	r := e.r
	v := field(e.v, "Alarms")
	path := join(e.path, "Alarms")
	if v == nil || !r.list(v, path, "the alarms that invoke the policy") {
		return nil, nil
	}
	var refs []alarmRef
	for i, el := range v.elems {
		at := index(path, i)
		if !r.object(el, at, "an alarm of the policy", policyAlarmKnown) {
			continue
		}
		name, _ := r.str(el, at, "AlarmName", "the alarm's name", false)
		arn, _ := r.str(el, at, "AlarmARN", "the alarm's ARN", false)
		if name == "" && arn == "" {
			r.fail(el, at, "", "an alarm with an AlarmName or an AlarmARN")
			continue
		}
		refs = append(refs, alarmRef{name, arn})
	}
	return refs, v
}

// readAdjustmentType reads AdjustmentType of obj, required.
func readAdjustmentType(r *reader, obj *value, path, name string) string {
	t, v := r.str(obj, path, "AdjustmentType", fmt.Sprintf("how policy %q adjusts capacity: ChangeInCapacity, PercentChangeInCapacity or ExactCapacity", name), true)
	if v == nil || t == "" {
		return ""
	}
	if !contains(adjustmentTypes, t) {
		r.fail(v, join(path, "AdjustmentType"), t, "ChangeInCapacity, PercentChangeInCapacity or ExactCapacity")
		return ""
	}
	return t
}

// readMinMagnitude reads MinAdjustmentMagnitude (or EC2's deprecated
// MinAdjustmentStep), which applies to PercentChangeInCapacity only:
// "Valid only if the adjustment type is PercentChangeInCapacity"
// (DocEC2PolicyAPI).
func readMinMagnitude(r *reader, obj *value, path, name, adjType string) int {
	key := "MinAdjustmentMagnitude"
	if field(obj, key) == nil && field(obj, "MinAdjustmentStep") != nil {
		key = "MinAdjustmentStep"
	}
	m, v := r.integer(obj, path, key, "the smallest change a percent adjustment makes, a whole number of at least 0", 0)
	if m == nil || *m == 0 {
		return 0
	}
	if adjType != "PercentChangeInCapacity" {
		r.warn(v, "policy %q: %s %d applies only to PercentChangeInCapacity; with %s it is ignored (%s)", name, key, *m, adjType, DocEC2PolicyAPI)
		return 0
	}
	return *m
}

// readAggregation checks MetricAggregationType: "Valid values are
// Minimum, Maximum, and Average. If the aggregation type is null, the value
// is treated as Average" (DocEC2PolicyAPI). headroom evaluates the alarm's
// own statistic, so another aggregation is noted.
func readAggregation(r *reader, obj *value, path, name string) {
	agg, v := r.str(obj, path, "MetricAggregationType", "Average, Minimum or Maximum", false)
	switch agg {
	case "", "Average":
	case "Minimum", "Maximum":
		r.warn(v, "policy %q: MetricAggregationType %s is not modelled: headroom compares the alarm's own statistic with its threshold to pick the step", name, agg)
	default:
		r.fail(v, join(path, "MetricAggregationType"), agg, "Average, Minimum or Maximum")
	}
}

// stepAdjustments reads the step adjustments of obj at path and checks
// them as the API does (DocStepAdjustment): "The ranges of your step
// adjustments can't overlap or have a gap. At most, one step adjustment can
// have a null lower bound. If one step adjustment has a negative lower
// bound, then there must be a step adjustment with a null lower bound. At
// most, one step adjustment can have a null upper bound. If one step
// adjustment has a positive upper bound, then there must be a step
// adjustment with a null upper bound. The upper and lower bound can't be
// null in the same step adjustment." Bounds are relative to the alarm's
// threshold, as the engine expects.
func stepAdjustments(r *reader, obj *value, path, name, adjType string) ([]headroom.StepAdjustment, bool) {
	n := len(r.errs)
	v := field(obj, "StepAdjustments")
	path = join(path, "StepAdjustments")
	switch {
	case v == nil && absent(obj, "StepAdjustments"):
		r.fail(obj, path, "", fmt.Sprintf("the step adjustments of step scaling policy %q (StepAdjustments is missing)", name))
		return nil, false
	case v == nil || !r.list(v, path, "the step adjustments"):
		return nil, false
	case len(v.elems) == 0:
		r.fail(v, path, "[]", fmt.Sprintf("at least one step adjustment for step scaling policy %q", name))
		return nil, false
	}
	type step struct {
		headroom.StepAdjustment
		v    *value
		path string
	}
	var steps []step
	for i, el := range v.elems {
		at := index(path, i)
		if !r.object(el, at, "a step adjustment", stepAdjKnown) {
			continue
		}
		lo, _ := r.number(el, at, "MetricIntervalLowerBound", "the lower bound of the step, relative to the alarm's threshold")
		up, uv := r.number(el, at, "MetricIntervalUpperBound", "the upper bound of the step, relative to the alarm's threshold")
		adj, av := r.integer(el, at, "ScalingAdjustment", "the step's adjustment, a whole number", math.MinInt32)
		switch {
		case av == nil && absent(el, "ScalingAdjustment"):
			r.fail(el, join(at, "ScalingAdjustment"), "", "the step's adjustment (ScalingAdjustment is required)")
		case adj != nil && *adj < 0 && adjType == "ExactCapacity":
			r.fail(av, join(at, "ScalingAdjustment"), strconv.Itoa(*adj), "a capacity of at least 0: \"For exact capacity, you must specify a non-negative value\" ("+DocStepAdjustment+")")
		}
		switch {
		case lo == nil && up == nil && field(el, "MetricIntervalLowerBound") == nil && field(el, "MetricIntervalUpperBound") == nil:
			r.fail(el, at, "", "a MetricIntervalLowerBound, a MetricIntervalUpperBound or both: \"The upper and lower bound can't be null in the same step adjustment\" ("+DocStepAdjustment+")")
		case lo != nil && up != nil && *up <= *lo:
			r.fail(uv, join(at, "MetricIntervalUpperBound"), num(*up), fmt.Sprintf("a bound above MetricIntervalLowerBound (%s)", num(*lo)))
		}
		if adj != nil {
			steps = append(steps, step{headroom.StepAdjustment{Lower: lo, Upper: up, Adjustment: float64(*adj)}, el, at})
		}
	}
	if len(r.errs) > n {
		return nil, false
	}
	// In order from the lowest interval; a nil lower bound is -∞.
	sorted := append([]step(nil), steps...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Lower, sorted[j].Lower
		return a == nil && b != nil || a != nil && b != nil && *a < *b
	})
	var noLower, noUpper []step
	negLower, posUpper := -1, -1
	for i, s := range steps {
		if s.Lower == nil {
			noLower = append(noLower, s)
		} else if *s.Lower < 0 && negLower < 0 {
			negLower = i
		}
		if s.Upper == nil {
			noUpper = append(noUpper, s)
		} else if *s.Upper > 0 && posUpper < 0 {
			posUpper = i
		}
	}
	rule := func(s step, key, got, expected string) {
		at := s.v
		if f := field(s.v, key); f != nil {
			at = f
		}
		r.fail(at, join(s.path, key), got, expected+" ("+DocStepAdjustment+")")
	}
	switch {
	case len(noLower) > 1:
		rule(noLower[1], "MetricIntervalLowerBound", "", fmt.Sprintf("a lower bound: step adjustments %s and %s both have none, and \"At most, one step adjustment can have a null lower bound\"", noLower[0].path, noLower[1].path))
	case len(noUpper) > 1:
		rule(noUpper[1], "MetricIntervalUpperBound", "", fmt.Sprintf("an upper bound: step adjustments %s and %s both have none, and \"At most, one step adjustment can have a null upper bound\"", noUpper[0].path, noUpper[1].path))
	case negLower >= 0 && len(noLower) == 0:
		s := steps[negLower]
		rule(s, "MetricIntervalLowerBound", num(*s.Lower), "a step adjustment with no lower bound below it: \"If one step adjustment has a negative lower bound, then there must be a step adjustment with a null lower bound\"")
	case posUpper >= 0 && len(noUpper) == 0:
		s := steps[posUpper]
		rule(s, "MetricIntervalUpperBound", num(*s.Upper), "a step adjustment with no upper bound above it: \"If one step adjustment has a positive upper bound, then there must be a step adjustment with a null upper bound\"")
	default:
		for i := 1; i < len(sorted); i++ {
			prev, cur := sorted[i-1], sorted[i]
			// Report the later of the two in the file.
			at := cur
			if prev.v.off > cur.v.off {
				at = prev
			}
			got := ""
			if at.Lower != nil {
				got = num(*at.Lower)
			}
			switch {
			case prev.Upper == nil || *prev.Upper > *cur.Lower:
				rule(at, "MetricIntervalLowerBound", got, fmt.Sprintf("step adjustments that do not overlap: %s %s and %s %s overlap, and \"The ranges of your step adjustments can't overlap or have a gap\"",
					prev.path, interval(prev.Lower, prev.Upper), cur.path, interval(cur.Lower, cur.Upper)))
			case *prev.Upper < *cur.Lower:
				rule(at, "MetricIntervalLowerBound", got, fmt.Sprintf("step adjustments without a gap: between %s %s and %s %s no step applies, and \"The ranges of your step adjustments can't overlap or have a gap\"",
					prev.path, interval(prev.Lower, prev.Upper), cur.path, interval(cur.Lower, cur.Upper)))
			default:
				continue
			}
			break
		}
	}
	if len(r.errs) > n {
		return nil, false
	}
	out := make([]headroom.StepAdjustment, len(steps))
	for i, s := range steps {
		out[i] = s.StepAdjustment
	}
	return out, true
}

// interval prints [lower, upper) relative to the threshold.
func interval(lo, up *float64) string {
	l, u := "-∞", "+∞"
	if lo != nil {
		l = num(*lo)
	}
	if up != nil {
		u = num(*up)
	}
	return "[" + l + ", " + u + ")"
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// attach translates a step policy into one StepScaling per alarm that
// invokes it. The policy's Alarms name its alarms; an alarm whose
// AlarmActions hold the policy's ARN invokes it too.
func (j *stepJoin) attach(sp *stepPolicy) {
	if sp == nil {
		return
	}
	in, e := j.in, sp.e
	var found []*alarm
	var missing []alarmRef
	add := func(a *alarm) {
		for _, f := range found {
			if f == a {
				return
			}
		}
		found = append(found, a)
	}
	for _, ref := range sp.alarms {
		var hit *alarm
		for _, a := range in.alarmList() {
			if ref.name != "" && a.name == ref.name || ref.arn != "" && a.arn == ref.arn {
				hit = a
				break
			}
		}
		if hit == nil {
			missing = append(missing, ref)
			continue
		}
		add(hit)
	}
	if sp.arn != "" {
		for _, a := range in.alarmList() {
			if contains(a.actions, sp.arn) {
				add(a)
			}
		}
	}
	for _, ref := range missing {
		if in.compositeNamed(ref.name) {
			e.fail("Alarms", ref.name, fmt.Sprintf("a metric alarm: policy %q is invoked by composite alarm %q, which headroom does not model", sp.name, ref.name))
			return
		}
	}
	switch {
	case len(missing) > 0:
		var names []string
		for _, m := range missing {
			names = append(names, m.String())
		}
		what := "alarm " + strconv.Quote(names[0]) + ", which invokes"
		if len(names) > 1 {
			what = "alarms " + strings.Join(names, ", ") + ", which invoke"
		}
		e.fail("Alarms", strings.Join(names, ", "), fmt.Sprintf("the CloudWatch %s policy %q: its metric, threshold, comparison and periods are not in the policy's output; "+
			"add the output of `aws cloudwatch describe-alarms --alarm-names %s` to this file or pass it as another file", what, sp.name, strings.Join(names, " ")))
		return
	case len(found) == 0 && sp.alarmsV != nil:
		// The describe output lists no alarm: nothing invokes the policy.
		e.r.warn(sp.alarmsV, "policy %q has no alarm (its Alarms list is empty): no alarm invokes it, so it never scales and is not simulated", sp.name)
		return
	case len(found) == 0:
		e.fail("Alarms", "", fmt.Sprintf("the CloudWatch alarm that invokes policy %q: add the policy's Alarms as the describe command prints them, or the output of "+
			"`aws cloudwatch describe-alarms` holding the alarm whose AlarmActions include the policy's ARN", sp.name))
		return
	}
	for _, a := range found {
		if !a.read {
			j.readAlarm(a, sp.name)
		}
		if !a.ok {
			continue
		}
		if !a.enabled {
			a.e.r.warn(a.e.v, "alarm %q has its actions disabled (ActionsEnabled false): it does not invoke policy %q, which is not simulated for it", a.name, sp.name)
			continue
		}
		s := headroom.StepScaling{
			Name:              sp.name,
			Metric:            a.metric,
			Threshold:         a.threshold / a.per,
			Comparison:        a.comparison,
			EvaluationPeriods: a.eval, DatapointsToAlarm: a.dta,
			AdjustmentType:         sp.adjType,
			MinAdjustmentMagnitude: sp.minMag,
			Cooldown:               sp.cooldown,
		}
		if len(found) > 1 {
			s.Name = fmt.Sprintf("%s (alarm %s)", sp.name, a.name)
		}
		for _, st := range sp.steps {
			s.Steps = append(s.Steps, headroom.StepAdjustment{Lower: scaled(st.Lower, a.per), Upper: scaled(st.Upper, a.per), Adjustment: st.Adjustment})
		}
		checkSide(sp, a)
		j.out = append(j.out, s)
	}
}

func scaled(f *float64, per float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f / per
	return &v
}

// checkSide warns about steps an alarm can never reach, and about a policy
// that adds capacity when the load falls under its threshold or removes it
// when the load rises over: AWS accepts both, but they are rarely meant.
// The alarm fires only on its side of the threshold, so only steps there
// apply: "the metric is greater than or equal to 50 and less than 60, specify
// a lower bound of 0 and an upper bound of 10"; "greater than 40 and less
// than or equal to 50, specify a lower bound of -10 and an upper bound of 0"
// (DocStepAdjustment).
func checkSide(sp *stepPolicy, a *alarm) {
	r := sp.e.r
	above := strings.HasPrefix(a.comparison, "Greater")
	side, other := "above", "under"
	if !above {
		side, other = other, side
	}
	covered := false
	for _, s := range sp.steps {
		unreachable := above && s.Upper != nil && *s.Upper <= 0 || !above && s.Lower != nil && *s.Lower >= 0
		if unreachable {
			r.warn(sp.e.v, "policy %q: step %s (relative to the threshold %s of alarm %q) is %s the threshold, where the alarm (%s) does not fire: it never applies",
				sp.name, interval(s.Lower, s.Upper), num(a.threshold), a.name, other, a.comparison)
		}
		if above && (s.Lower == nil || *s.Lower <= 0) && (s.Upper == nil || *s.Upper > 0) || !above && (s.Upper == nil || *s.Upper >= 0) && (s.Lower == nil || *s.Lower < 0) {
			covered = true
		}
		if sp.adjType == "ExactCapacity" || unreachable {
			continue
		}
		if above && s.Adjustment < 0 || !above && s.Adjustment > 0 {
			verb := "removes"
			if s.Adjustment > 0 {
				verb = "adds"
			}
			r.warn(sp.e.v, "policy %q %s capacity when %s is %s the threshold %s of alarm %q (step %s, adjustment %s): check that this is meant",
				sp.name, verb, a.metric.Name, side, num(a.threshold), a.name, interval(s.Lower, s.Upper), num(s.Adjustment))
		}
	}
	if !covered {
		r.warn(sp.e.v, "policy %q: no step starts at the threshold %s of alarm %q: when the metric is just %s it, the alarm fires and no step applies, so nothing scales",
			sp.name, num(a.threshold), a.name, side)
	}
}

// readAlarm translates a CloudWatch metric alarm (DocMetricAlarm) for
// the first policy that uses it.
func (j *stepJoin) readAlarm(a *alarm, policy string) {
	a.read = true
	e := a.e
	r := e.r
	if !r.object(e.v, e.path, "a CloudWatch metric alarm", alarmKnown) {
		return
	}
	n := len(r.errs)
	name := a.name
	// "ActionsEnabled: Indicates whether actions should be executed during
	// any changes to the alarm state." (DocMetricAlarm)
	if field(e.v, "ActionsEnabled") != nil {
		a.enabled = r.boolean(e.v, e.path, "ActionsEnabled")
	}
	if m := field(e.v, "Metrics"); m != nil {
		r.fail(m, join(e.path, "Metrics"), "", fmt.Sprintf("a single metric (MetricName, Namespace, Statistic) for alarm %q, which invokes policy %q: metric math (Metrics) is not modelled", name, policy))
		return
	}
	if x, xv := r.str(e.v, e.path, "ExtendedStatistic", "a percentile", false); xv != nil {
		r.fail(xv, join(e.path, "ExtendedStatistic"), x, fmt.Sprintf("Statistic Average or Sum for alarm %q, which invokes policy %q: percentiles are not modelled", name, policy))
		return
	}
	metricName, mv := r.str(e.v, e.path, "MetricName", fmt.Sprintf("the metric alarm %q watches", name), true)
	ns, _ := r.str(e.v, e.path, "Namespace", "the metric's CloudWatch namespace, such as AWS/EC2", false)
	stat, sv := r.str(e.v, e.path, "Statistic", "Average or Sum", true)
	period, pv := r.integer(e.v, e.path, "Period", "the alarm's period in seconds: 10, 20, 30 or a multiple of 60", 1)
	if pv == nil && absent(e.v, "Period") {
		e.fail("Period", "", fmt.Sprintf("the period of alarm %q in seconds (Period is missing)", name))
	}
	eval, ev := r.integer(e.v, e.path, "EvaluationPeriods", "the number of periods the alarm looks at, at least 1", 1)
	if ev == nil && absent(e.v, "EvaluationPeriods") {
		e.fail("EvaluationPeriods", "", fmt.Sprintf("the number of periods alarm %q looks at (EvaluationPeriods is missing)", name))
	}
	dta, dv := r.integer(e.v, e.path, "DatapointsToAlarm", "the number of breaching datapoints that fire the alarm, at least 1", 1)
	threshold, tv := r.number(e.v, e.path, "Threshold", "the alarm's threshold")
	if tv == nil && absent(e.v, "Threshold") {
		e.fail("Threshold", "", fmt.Sprintf("the threshold of alarm %q (Threshold is missing)", name))
	}
	op, ov := r.str(e.v, e.path, "ComparisonOperator", "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold", true)
	switch {
	case ov == nil || op == "" || contains(thresholdComparisons, op):
	case contains(bandComparisons, op):
		r.fail(ov, join(e.path, "ComparisonOperator"), op, fmt.Sprintf("a threshold comparison (GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold) for alarm %q: "+
			"anomaly detection bands are not modelled", name))
	default:
		r.fail(ov, join(e.path, "ComparisonOperator"), op, "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold")
	}
	if eval != nil {
		switch {
		case *eval > maxEvaluationPeriods:
			r.fail(ev, join(e.path, "EvaluationPeriods"), strconv.Itoa(*eval), fmt.Sprintf("at most %d evaluation periods for alarm %q: headroom's engine keeps an alarm's last %d datapoints", maxEvaluationPeriods, name, maxEvaluationPeriods))
		case dta == nil:
			// "DatapointsToAlarm: The number of data points that must be
			// breaching to trigger the alarm. This is used only if you are
			// setting an 'M out of N' alarm. In that case, this value is
			// the M." Unset, every one of the N must breach.
			a.eval, a.dta = *eval, *eval
		case *dta > *eval:
			r.fail(dv, join(e.path, "DatapointsToAlarm"), strconv.Itoa(*dta), fmt.Sprintf("at most EvaluationPeriods (%d): the M of an \"M out of N\" alarm (%s)", *eval, DocPutMetricAlarm))
		default:
			a.eval, a.dta = *eval, *dta
		}
	}
	// TreatMissingData "breaching" fires the alarm on missing data; the
	// engine counts a missing datapoint as not breaching, as "missing",
	// "notBreaching" and "ignore" do while data keeps coming.
	if t, tmv := r.str(e.v, e.path, "TreatMissingData", "missing, notBreaching, breaching or ignore", false); t == "breaching" {
		r.warn(tmv, "alarm %q treats missing data as breaching; headroom counts a missing datapoint as not breaching (a replay has data every minute once it starts)", name)
	}
	j.checkDimensions(a)
	if mv == nil || metricName == "" || sv == nil || stat == "" {
		return
	}
	what := fmt.Sprintf("%s/%s (%s)", ns, metricName, stat)
	switch metricName {
	case "CPUUtilization":
		// AWS/EC2, AWS/ECS, AWS/RDS, ...: average CPU utilization in
		// percent, headroom's cpu metric.
		if stat != "Average" {
			r.fail(sv, join(e.path, "Statistic"), stat, fmt.Sprintf("Average for alarm %q on %s: headroom's cpu metric is the instances' average utilization", name, what))
			return
		}
		if !strings.HasPrefix(ns, "AWS/") {
			r.warn(mv, "alarm %q: %s is not an AWS namespace; its CPUUtilization is read as the instances' average CPU utilization", name, what)
		}
		a.metric = headroom.MetricTarget{Name: "CPUUtilization", Kind: headroom.MetricCPU}
	case "RequestCountPerTarget", "RequestCount":
		// RequestCountPerTarget: "The average number of requests received
		// by each target in a target group ... The only valid statistic is
		// Sum"; RequestCount: "The most useful statistic is Sum"
		// (DocALBMetrics). Summed over the alarm's period, a count becomes
		// a rate by dividing by the period: per instance for
		// RequestCountPerTarget, for the whole service for RequestCount.
		if stat != "Sum" {
			r.fail(sv, join(e.path, "Statistic"), stat, fmt.Sprintf("Sum for alarm %q on %s: a request count is read as a rate over the alarm's period", name, what))
			return
		}
		if period == nil || *period < 1 {
			return
		}
		a.per = float64(*period)
		whose := "per instance"
		a.metric = headroom.MetricTarget{Name: metricName + " (per second)", Kind: headroom.MetricRPS}
		if metricName == "RequestCount" {
			whose = "for the whole service"
			a.metric.Name = metricName + " (per second, whole service)"
			a.metric.Total = true
		}
		if tv != nil && threshold != nil {
			r.warn(mv, "alarm %q: %s counts requests per %d-second period; its threshold %s and the step bounds are read as requests per second %s (divided by %d): threshold %.4g",
				name, metricName, *period, num(*threshold), whose, *period, *threshold/a.per)
		}
	default:
		r.fail(mv, join(e.path, "MetricName"), metricName, fmt.Sprintf("a metric headroom simulates for alarm %q, which invokes policy %q (found %s): CPUUtilization (Statistic Average), "+
			"or the load balancer's RequestCountPerTarget or RequestCount (Statistic Sum); queue depth, memory, network, latency and custom metrics are not modelled", name, policy, what))
		return
	}
	if period != nil {
		// "Valid values are 10, 20, 30, and any multiple of 60"
		// (DocPutMetricAlarm, Period). The engine evaluates alarms on
		// one-minute datapoints.
		switch p := *period; {
		case p == 60:
		case p == 10 || p == 20 || p == 30:
			if eval != nil {
				r.warn(pv, "alarm %q has a period of %d s (a high-resolution alarm): headroom evaluates it on one-minute datapoints, so its %d of %d periods take %d minutes rather than %d seconds to fire",
					name, p, a.dta, a.eval, a.dta, a.dta*p)
			}
		default:
			r.fail(pv, join(e.path, "Period"), strconv.Itoa(p), fmt.Sprintf("60 for alarm %q (or 10, 20, 30, read as 60 with a warning): headroom evaluates alarms on one-minute datapoints, and an average or sum over %d s is not modelled", name, p))
		}
	}
	if tv != nil && threshold != nil {
		a.threshold, a.comparison = *threshold, op
	}
	a.ok = len(r.errs) == n
}

// checkDimensions warns when an alarm names another group or service
// than the one checked.
func (j *stepJoin) checkDimensions(a *alarm) {
	e := a.e
	r := e.r
	v := field(e.v, "Dimensions")
	path := join(e.path, "Dimensions")
	if v == nil || !r.list(v, path, "the metric's dimensions") {
		return
	}
	for i, d := range v.elems {
		at := index(path, i)
		if !r.object(d, at, "a dimension", dimensionKnown) {
			continue
		}
		name, _ := r.str(d, at, "Name", "the dimension's name", true)
		val, vv := r.str(d, at, "Value", "the dimension's value", true)
		if want, ok := j.dims[name]; ok && want != "" && val != "" && val != want {
			r.warn(vv, "alarm %q watches %s %s, not %s of %s: is it the alarm of another group or service?", a.name, name, val, want, j.what)
		}
	}
}
