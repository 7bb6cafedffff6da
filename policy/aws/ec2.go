package aws

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

// The fields the AWS CLI prints for EC2 Auto Scaling, read or not.
var (
	groupKnown = []string{"AutoScalingGroupName", "AutoScalingGroupARN", "LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy",
		"MinSize", "MaxSize", "DesiredCapacity", "PredictedCapacity", "DefaultCooldown", "AvailabilityZones", "LoadBalancerNames", "TargetGroupARNs",
		"HealthCheckType", "HealthCheckGracePeriod", "Instances", "CreatedTime", "SuspendedProcesses", "PlacementGroup", "VPCZoneIdentifier",
		"EnabledMetrics", "Status", "Tags", "TerminationPolicies", "NewInstancesProtectedFromScaleIn", "ServiceLinkedRoleARN", "MaxInstanceLifetime",
		"CapacityRebalance", "WarmPoolConfiguration", "WarmPoolSize", "Context", "DesiredCapacityType", "DefaultInstanceWarmup", "TrafficSources",
		"InstanceMaintenancePolicy", "AvailabilityZoneDistribution", "AvailabilityZoneImpairmentPolicy", "CapacityReservationSpecification"}
	processKnown   = []string{"ProcessName", "SuspensionReason"}
	ec2PolicyKnown = []string{"AutoScalingGroupName", "PolicyName", "PolicyARN", "PolicyType", "AdjustmentType", "MinAdjustmentStep",
		"MinAdjustmentMagnitude", "ScalingAdjustment", "Cooldown", "StepAdjustments", "MetricAggregationType", "EstimatedInstanceWarmup", "Alarms",
		"TargetTrackingConfiguration", "Enabled", "PredictiveScalingConfiguration"}
	ec2TrackingKnown = []string{"PredefinedMetricSpecification", "CustomizedMetricSpecification", "TargetValue", "DisableScaleIn"}
	groupActionKnown = []string{"AutoScalingGroupName", "ScheduledActionName", "ScheduledActionARN", "Time", "StartTime", "EndTime", "Recurrence",
		"MinSize", "MaxSize", "DesiredCapacity", "TimeZone"}
)

// DefaultScheduleDelay is how late EC2 Auto Scaling may run a scheduled
// action: "A scheduled action generally executes within seconds. However,
// the action might be delayed for up to two minutes from the scheduled
// start time." (DocEC2Scheduled, Considerations). A check takes the worst
// case.
const DefaultScheduleDelay = 2 * time.Minute

// DefaultCooldown is a group's DefaultCooldown when the output leaves it
// out: "Default: 300 seconds" (DocEC2Warmup, DefaultCooldown).
const DefaultCooldown = 300 * time.Second

// ec2 translates EC2 Auto Scaling output.
func (in *input) ec2() *headroom.Policy {
	if len(in.groups) != 1 {
		in.groupCountError()
		return nil
	}
	g := in.groups[0]
	r := g.r
	if !r.object(g.v, g.path, "an Auto Scaling group", groupKnown) {
		return nil
	}
	name, _ := r.str(g.v, g.path, "AutoScalingGroupName", "the group's name", true)
	pol := in.policyBase(name)
	lo := capacity(r, g.v, g.path, "MinSize", "the group's minimum size")
	hi := capacity(r, g.v, g.path, "MaxSize", "the group's maximum size")
	switch {
	case absent(g.v, "MinSize"):
		g.fail("MinSize", "", "the group's minimum size (MinSize is missing)")
	case absent(g.v, "MaxSize"):
		g.fail("MaxSize", "", "the group's maximum size (MaxSize is missing)")
	case lo != nil && hi != nil && *hi < *lo:
		g.fail("MaxSize", strconv.Itoa(*hi), fmt.Sprintf("at least MinSize (%d)", *lo))
	case lo != nil && hi != nil:
		pol.Min, pol.Max = *lo, *hi
		// The group's desired capacity is where a simulation starts; EC2
		// Auto Scaling keeps it within the group's minimum and maximum.
		if d, dv := r.integer(g.v, g.path, "DesiredCapacity", "the group's desired capacity, a whole number", 0); d != nil {
			if *d < pol.Min || *d > pol.Max {
				r.fail(dv, join(g.path, "DesiredCapacity"), strconv.Itoa(*d), fmt.Sprintf("a capacity within MinSize..MaxSize (%d..%d)", pol.Min, pol.Max))
			} else {
				pol.Initial = *d
			}
		}
	}
	procs := suspendedProcesses(g)

	for _, a := range in.groupActions {
		if act := groupAction(a, name); act != nil {
			pol.Schedules = append(pol.Schedules, *act)
		}
	}
	if procs["ScheduledActions"] && len(pol.Schedules) > 0 {
		// ScheduledActions, the process that "Performs scheduled actions
		// that you create", can be suspended; while it is, no scheduled
		// action runs.
		// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
		r.warn(field(g.v, "SuspendedProcesses"), "the ScheduledActions process is suspended: the group's %d scheduled actions are not simulated", len(pol.Schedules))
		pol.Schedules = nil
	}
	if len(pol.Schedules) > 0 {
		pol.TimeZone = pol.Schedules[0].TimeZone
	}

	c := &ec2Context{group: name, warm: groupWarmup(g), cooldown: groupCooldown(g), tt: newTracking(), seen: map[string]string{},
		steps: &stepJoin{in: in, dims: map[string]string{"AutoScalingGroupName": name}, what: fmt.Sprintf("Auto Scaling group %q", name)}}
	tt := c.tt
	var warmups []time.Duration
	var warmNames []string
	for _, p := range in.policies {
		if w, ok := c.policy(p); ok {
			warmups = append(warmups, w)
			warmNames = append(warmNames, fmt.Sprintf("%q %v", tt.AWS.Policies[len(tt.AWS.Policies)-1].Name, w))
		}
	}
	if len(tt.Metrics) > 0 {
		// One warm-up for the group: the longest, with a warning when the
		// policies differ (each policy's applies to the instances it
		// launches).
		for i, w := range warmups {
			if w > tt.AWS.InstanceWarmup {
				tt.AWS.InstanceWarmup = w
			}
			if i > 0 && w != warmups[0] {
				r.warn(g.v, "the target tracking policies have different instance warm-ups (%s); headroom uses one for the group, the longest, %v",
					strings.Join(warmNames, ", "), tt.AWS.InstanceWarmup)
				break
			}
		}
		if !procs["AlarmNotification"] {
			pol.Target = tt
		}
	}
	if !procs["AlarmNotification"] {
		pol.Steps = c.steps.out
	}
	if procs["AlarmNotification"] && (len(tt.Metrics) > 0 || len(c.steps.out) > 0) {
		// "If you suspend AlarmNotification, Amazon EC2 Auto Scaling
		// does not automatically execute policies that would be
		// triggered by an alarm." (as-suspend-resume-processes.html)
		r.warn(field(g.v, "SuspendedProcesses"), "the AlarmNotification process is suspended: the group's target tracking, step and simple scaling policies do not act and are not simulated")
	}
	for _, p := range []string{"Launch", "Terminate"} {
		if procs[p] {
			r.warn(field(g.v, "SuspendedProcesses"), "the %s process is suspended, which headroom does not model: the simulation still scales", p)
		}
	}
	if len(pol.Schedules) == 0 && len(in.policies) == 0 && len(in.groupActions) == 0 {
		r.warn(g.v, "Auto Scaling group %q has no scaling policy and no scheduled action here: its capacity stays within %d..%d "+
			"(add the output of `aws autoscaling describe-policies --auto-scaling-group-name %s` and `aws autoscaling describe-scheduled-actions --auto-scaling-group-name %s`)",
			name, pol.Min, pol.Max, name, name)
	}
	return pol
}

// groupCountError explains output without exactly one group.
func (in *input) groupCountError() {
	if len(in.groups) == 0 {
		name := "NAME"
		r := in.readers[0]
		for _, list := range [][]entry{in.policies, in.groupActions} {
			if len(list) > 0 {
				r = list[0].r
				if n := field(list[0].v, "AutoScalingGroupName"); n != nil && n.kind == kindString {
					name = n.str
				}
				break
			}
		}
		r.fail(nil, keyGroups, "", fmt.Sprintf("the Auto Scaling group, for its MinSize, MaxSize and DesiredCapacity: add the output of "+
			"`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names %s` to this file or pass it as another file", name))
		return
	}
	var found []string
	for _, g := range in.groups {
		n := "(no name)"
		if v := field(g.v, "AutoScalingGroupName"); v != nil && v.kind == kindString {
			n = strconv.Quote(v.str)
		}
		found = append(found, fmt.Sprintf("%s (%s line %d)", n, g.r.f.name, g.line()))
	}
	second := in.groups[1]
	second.r.fail(second.v, second.path, "", fmt.Sprintf("exactly one Auto Scaling group, found %d: %s; a policy is one group: "+
		"filter with --auto-scaling-group-names (describe-auto-scaling-groups) and --auto-scaling-group-name (describe-policies, describe-scheduled-actions)",
		len(in.groups), strings.Join(found, ", ")))
}

// suspendedProcesses reads the names of the group's suspended processes.
func suspendedProcesses(g entry) map[string]bool {
	out := map[string]bool{}
	v := field(g.v, "SuspendedProcesses")
	path := join(g.path, "SuspendedProcesses")
	if v == nil || !g.r.list(v, path, "the suspended processes") {
		return out
	}
	for i, p := range v.elems {
		at := index(path, i)
		if g.r.object(p, at, "a suspended process", processKnown) {
			if n, _ := g.r.str(p, at, "ProcessName", "the process's name, such as ScheduledActions", true); n != "" {
				out[n] = true
			}
		}
	}
	return out
}

// groupWarmup is the warm-up of the group's policies that set none:
// EstimatedInstanceWarmup "defaults to the value for the default instance
// warmup defined for the group. If default instance warmup is null, then it
// falls back to the value of default cooldown" (DocEC2Warmup). A
// DefaultInstanceWarmup of -1 turns it off ("After it's enabled, a value of
// -1 will turn this setting off",
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html).
func groupWarmup(g entry) time.Duration {
	if w, _ := g.r.integer(g.v, g.path, "DefaultInstanceWarmup", "the default instance warm-up in seconds, from 0 to 3600, or -1 for none", -1); w != nil && *w >= 0 {
		return time.Duration(*w) * time.Second
	}
	if c, _ := g.r.integer(g.v, g.path, "DefaultCooldown", "the default cooldown in seconds, at least 0", 0); c != nil {
		return time.Duration(*c) * time.Second
	}
	return DefaultCooldown
}

// groupAction translates a scheduled action: "At the specified time, Amazon
// EC2 Auto Scaling updates the group with the values for minimum, maximum,
// and desired size that are specified by the scaling action"
// (DocEC2Scheduled), up to DefaultScheduleDelay late.
func groupAction(e entry, group string) *headroom.ScheduledAction {
	r := e.r
	if !r.object(e.v, e.path, "a scheduled action", groupActionKnown) {
		return nil
	}
	n := len(r.errs)
	name, _ := r.str(e.v, e.path, "ScheduledActionName", "the scheduled action's name", true)
	if g, gv := r.str(e.v, e.path, "AutoScalingGroupName", "the group's name", false); gv != nil && g != "" && group != "" && g != group {
		e.fail("AutoScalingGroupName", g, fmt.Sprintf("%q, the group checked: a policy is one group; list only its scheduled actions with "+
			"`aws autoscaling describe-scheduled-actions --auto-scaling-group-name %s`", group, group))
		return nil
	}
	loc := zone(e, "TimeZone")
	rec, rv := r.str(e.v, e.path, "Recurrence", "a cron expression", false)
	startKey := "StartTime"
	if field(e.v, startKey) == nil && field(e.v, "Time") != nil {
		// Time: "This property is no longer used" (DocEC2ScheduledAPI);
		// older outputs carry it alone.
		startKey = "Time"
	}
	start, hasStart := r.timestamp(e.v, e.path, startKey)
	end, hasEnd := r.timestamp(e.v, e.path, "EndTime")
	if hasStart && hasEnd && !end.After(start) {
		e.fail("EndTime", end.Format(time.RFC3339), fmt.Sprintf("a time after %s (%s)", startKey, start.Format(time.RFC3339)))
	}
	a := &headroom.ScheduledAction{Name: name, TimeZone: loc, Delay: DefaultScheduleDelay}
	a.Min = capacity(r, e.v, e.path, "MinSize", "the group's minimum size from this time")
	a.Max = capacity(r, e.v, e.path, "MaxSize", "the group's maximum size from this time")
	a.Desired = capacity(r, e.v, e.path, "DesiredCapacity", "the group's desired capacity at this time")
	switch {
	case absent(e.v, "MinSize") && absent(e.v, "MaxSize") && absent(e.v, "DesiredCapacity"):
		e.fail("", "", fmt.Sprintf("at least one of MinSize, MaxSize and DesiredCapacity: what action %q sets", name))
	case a.Min != nil && a.Max != nil && *a.Max < *a.Min:
		e.fail("MaxSize", strconv.Itoa(*a.Max), fmt.Sprintf("at least this action's MinSize (%d)", *a.Min))
	case a.Desired != nil && (a.Min != nil && *a.Desired < *a.Min || a.Max != nil && *a.Desired > *a.Max):
		e.fail("DesiredCapacity", strconv.Itoa(*a.Desired), "a capacity within this action's MinSize and MaxSize")
	}
	switch {
	case (rv == nil || rec == "") && !hasStart:
		if field(e.v, startKey) == nil {
			e.fail("Recurrence", "", fmt.Sprintf("when action %q runs: a Recurrence (cron) or a StartTime (one time)", name))
		}
	case hasStart && hasEnd && !end.After(start):
		// Reported above.
	case rv != nil && rec != "":
		// "The recurring schedule for this action. This format consists
		// of five fields separated by white spaces: [Minute] [Hour]
		// [Day_of_Month] [Month_of_Year] [Day_of_Week]"; "When StartTime
		// and EndTime are specified with Recurrence, they form the
		// boundaries of when the recurring action starts and stops"
		// (DocEC2ScheduledAPI).
		//
		// But the describe output puts the action's next run in StartTime
		// (and Time) of a recurring action: the CLI reference's example
		// shows "Recurrence": "30 0 1 1,6,12 *" with "StartTime":
		// "2023-12-01T04:00:00Z"
		// (https://docs.aws.amazon.com/cli/latest/reference/autoscaling/describe-scheduled-actions.html).
		// Read as a boundary, it would switch the action off in a replay of
		// past traffic, so it is not: the recurrence applies throughout,
		// up to EndTime.
		s, err := schedule.ParseEC2(rec, loc, time.Time{}, end)
		if err != nil {
			e.fail("Recurrence", rec, "a cron expression of five fields, [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week], such as \"0 9 * * 1-5\": "+err.Error())
			break
		}
		if hasStart && !s.Next(start.Add(-time.Nanosecond)).Equal(start) {
			r.warn(field(e.v, startKey), "action %q: %s %s is not a run of its recurrence %q; it is read as the next run the describe output reports, not as a start, and the recurrence applies throughout",
				name, startKey, start.Format(time.RFC3339), rec)
		}
		a.Spec, a.Schedule = rec, s
	default:
		// A one-time action runs at its start time (DocEC2ScheduledAPI).
		s, err := schedule.ParseEC2("", loc, start, end)
		if err != nil {
			e.fail(startKey, start.Format(time.RFC3339), "the time of this one-time action: "+err.Error())
			break
		}
		a.Spec, a.Schedule = "once at "+start.Format(time.RFC3339), s
		r.warn(field(e.v, startKey), "action %q runs once, at %s: it acts in a replay only if the traffic covers that time", name, start.Format(time.RFC3339))
	}
	if len(r.errs) > n {
		return nil
	}
	return a
}

// groupCooldown is the group's DefaultCooldown, which simple scaling
// policies without a Cooldown of their own use: "Default: 300 seconds"
// (DocEC2Warmup).
func groupCooldown(g entry) time.Duration {
	if c := field(g.v, "DefaultCooldown"); c != nil && c.kind == kindNumber {
		if n, err := strconv.Atoi(c.num.String()); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return DefaultCooldown
}

// ec2Context is what the policies of one group translate into.
type ec2Context struct {
	group string
	// warm is the warm-up of a policy that sets none (groupWarmup), and
	// cooldown the group's DefaultCooldown (groupCooldown).
	warm, cooldown time.Duration
	tt             *headroom.TargetTracking
	seen           map[string]string // metric name → the target tracking policy that tracks it
	steps          *stepJoin
}

// policy translates one EC2 Auto Scaling policy into c, and returns its
// instance warm-up when it is a target tracking policy that acts.
func (c *ec2Context) policy(e entry) (time.Duration, bool) {
	group, tt, seen, groupWarm := c.group, c.tt, c.seen, c.warm
	r := e.r
	if !r.object(e.v, e.path, "a scaling policy", ec2PolicyKnown) {
		return 0, false
	}
	name, _ := r.str(e.v, e.path, "PolicyName", "the policy's name", true)
	if g, gv := r.str(e.v, e.path, "AutoScalingGroupName", "the group's name", false); gv != nil && g != "" && group != "" && g != group {
		e.fail("AutoScalingGroupName", g, fmt.Sprintf("%q, the group checked: a policy is one group; list only its policies with "+
			"`aws autoscaling describe-policies --auto-scaling-group-name %s`", group, group))
		return 0, false
	}
	// "If the policy type is null, the value is treated as SimpleScaling."
	// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html
	typ, tv := r.str(e.v, e.path, "PolicyType", "TargetTrackingScaling, StepScaling, SimpleScaling or PredictiveScaling", false)
	if tv == nil {
		typ = "SimpleScaling"
	}
	// Enabled: "Indicates whether the policy is enabled (true) or
	// disabled (false)" (API_PutScalingPolicy); a disabled policy does not
	// scale.
	if v := field(e.v, "Enabled"); v != nil && v.kind == kindBool && !v.b {
		r.warn(v, "policy %q is disabled (Enabled false): ignored", name)
		return 0, false
	}
	r.boolean(e.v, e.path, "Enabled")
	switch typ {
	case "TargetTrackingScaling":
	case "StepScaling", "SimpleScaling":
		c.steps.attach(c.stepPolicy(e, name, typ))
		return 0, false
	case "PredictiveScaling":
		predictive(e, name, "PredictiveScalingConfiguration")
		return 0, false
	default:
		e.fail("PolicyType", typ, "TargetTrackingScaling, StepScaling, SimpleScaling or PredictiveScaling")
		return 0, false
	}
	path := join(e.path, "TargetTrackingConfiguration")
	cfg := field(e.v, "TargetTrackingConfiguration")
	if cfg == nil {
		e.fail("TargetTrackingConfiguration", "", fmt.Sprintf("the target tracking configuration of policy %q", name))
		return 0, false
	}
	if !r.object(cfg, path, "a TargetTrackingConfiguration", ec2TrackingKnown) {
		return 0, false
	}
	target, ok := positiveTarget(r, cfg, path, name)
	var m *headroom.MetricTarget
	if ok {
		m = metric(r, cfg, path, name, target)
	}
	// EC2 target tracking has no cooldowns of its own: its scaling is
	// paced by the instance warm-up, during which new instances do not
	// count toward the metric and scale-in is blocked ("This blocks
	// scale-in activities initiated by scaling policies until the instances
	// finish warming up",
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html).
	p := headroom.AWSPolicy{Name: name, DisableScaleIn: r.boolean(cfg, path, "DisableScaleIn")}
	warm := groupWarm
	// "When a warm-up period is specified here, it overrides the default
	// instance warmup." (DocEC2Warmup, EstimatedInstanceWarmup)
	if w, _ := r.integer(e.v, e.path, "EstimatedInstanceWarmup", "the instance warm-up in seconds, at least 0", 0); w != nil {
		warm = time.Duration(*w) * time.Second
	}
	if m == nil {
		return 0, false
	}
	if other, dup := seen[m.Name]; dup {
		r.fail(field(cfg, "PredefinedMetricSpecification"), path, m.Name, fmt.Sprintf("a metric no other policy tracks: policy %q tracks %s too "+
			"(\"You can have multiple target tracking scaling policies for an Auto Scaling group, provided that each of them uses a different metric\", %s)", other, m.Name, DocEC2Tracking))
		return 0, false
	}
	seen[m.Name] = name
	tt.Metrics = append(tt.Metrics, *m)
	tt.AWS.Policies = append(tt.AWS.Policies, p)
	return warm, true
}

// stepPolicy reads an EC2 step or simple scaling policy (DocEC2PolicyAPI).
//
// Step scaling has no cooldown: "Cooldown periods are not supported for
// step scaling policies" (DocEC2Step). It is paced by the instance
// warm-up instead: while instances launched by the policy warm up, "Amazon
// EC2 Auto Scaling doesn't consider instances that are warming up as part
// of the current capacity of the group. Therefore, multiple alarm breaches
// that fall in the range of the same step adjustment result in a single
// scaling activity" (DocEC2Step, Instance warmup). The engine has no
// per-instance warm-up for step scaling, so headroom approximates it with
// the engine's step cooldown set to the warm-up (EstimatedInstanceWarmup,
// else the group's DefaultInstanceWarmup, else its DefaultCooldown, as
// DocEC2Warmup says the warm-up falls back): during it the capacity a
// scale-out added counts toward the next one, so a breach that persists
// does not add the same step again before the warm-up ends, and a larger
// step adds only the difference; scale-in waits for it to end. This is our
// approximation, not AWS's rule: AWS counts each instance's own warm-up.
//
// A simple scaling policy is one step that applies whatever the size of
// the breach, followed by a cooldown: "After a scaling activity is started,
// the policy must wait for the scaling activity or health check replacement
// to complete and the cooldown period to expire before it can respond to
// additional alarms" (DocEC2Step); its Cooldown "overrides the default
// cooldown" of the group (DocEC2PolicyAPI).
func (c *ec2Context) stepPolicy(e entry, name, typ string) *stepPolicy {
	r := e.r
	n := len(r.errs)
	sp := &stepPolicy{e: e, name: name}
	sp.arn, _ = r.str(e.v, e.path, "PolicyARN", "the policy's ARN", false)
	sp.alarms, sp.alarmsV = readAlarmRefs(e)
	sp.adjType = readAdjustmentType(r, e.v, e.path, name)
	sp.minMag = readMinMagnitude(r, e.v, e.path, name, sp.adjType)
	readAggregation(r, e.v, e.path, name)
	if typ == "StepScaling" {
		sp.steps, _ = stepAdjustments(r, e.v, e.path, name, sp.adjType)
		sp.cooldown = c.warm
		if w, _ := r.integer(e.v, e.path, "EstimatedInstanceWarmup", "the instance warm-up in seconds, at least 0", 0); w != nil {
			sp.cooldown = time.Duration(*w) * time.Second
		}
		if v := field(e.v, "Cooldown"); v != nil {
			r.warn(v, "policy %q: Cooldown applies to simple scaling policies only (%s): ignored; the warm-up %v paces this step scaling policy", name, DocEC2PolicyAPI, sp.cooldown)
		}
	} else {
		adj, av := r.integer(e.v, e.path, "ScalingAdjustment", "the policy's adjustment, a whole number", math.MinInt32)
		switch {
		case av == nil && absent(e.v, "ScalingAdjustment"):
			e.fail("ScalingAdjustment", "", fmt.Sprintf("the adjustment of simple scaling policy %q (ScalingAdjustment is required)", name))
		case adj != nil && *adj < 0 && sp.adjType == "ExactCapacity":
			r.fail(av, join(e.path, "ScalingAdjustment"), strconv.Itoa(*adj), "a capacity of at least 0 for ExactCapacity")
		case adj != nil:
			// One step, whatever the size of the breach.
			sp.steps = []headroom.StepAdjustment{{Adjustment: float64(*adj)}}
		}
		sp.cooldown, _ = cooldown(r, e.v, e.path, "Cooldown", c.cooldown)
	}
	if len(r.errs) > n {
		return nil
	}
	return sp
}
