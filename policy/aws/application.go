package aws

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

// The fields the AWS CLI prints for Application Auto Scaling, read or not.
var (
	targetKnown = []string{"ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "PredictedCapacity",
		"RoleARN", "CreationTime", "SuspendedState", "ScalableTargetARN"}
	suspendedKnown = []string{"DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended"}
	appPolicyKnown = []string{"PolicyARN", "PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "PolicyType",
		"StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration", "Alarms", "CreationTime"}
	appTrackingKnown = []string{"TargetValue", "PredefinedMetricSpecification", "CustomizedMetricSpecification", "ScaleOutCooldown", "ScaleInCooldown", "DisableScaleIn"}
	appActionKnown   = []string{"ScheduledActionName", "ScheduledActionARN", "ServiceNamespace", "Schedule", "Timezone", "ResourceId", "ScalableDimension",
		"StartTime", "EndTime", "ScalableTargetAction", "CreationTime"}
	targetActionKnown = []string{"MinCapacity", "MaxCapacity"}
)

// defaultCooldowns are the scale-out and scale-in cooldowns of a target
// tracking policy that sets none, by service namespace (DocAppTrackingAPI,
// ScaleInCooldown and ScaleOutCooldown): "Application Auto Scaling provides
// a default value of 600 for Amazon ElastiCache replication groups and a
// default value of 300 for the following scalable targets: AppStream 2.0
// fleets, Aurora DB clusters, ECS services, EMR clusters, Neptune clusters,
// SageMaker endpoint variants, Spot Fleets, Custom resources. For all other
// scalable targets, the default value is 0: Amazon Comprehend document
// classification and entity recognizer endpoints, DynamoDB tables and
// global secondary indexes, Amazon Keyspaces tables, Lambda provisioned
// concurrency, Amazon MSK broker storage."
var defaultCooldowns = map[string]time.Duration{
	"appstream":        300 * time.Second,
	"rds":              300 * time.Second, // Aurora DB clusters
	"ecs":              300 * time.Second,
	"elasticmapreduce": 300 * time.Second,
	"neptune":          300 * time.Second,
	"sagemaker":        300 * time.Second,
	"ec2":              300 * time.Second, // Spot Fleets
	"custom-resource":  300 * time.Second,
	"elasticache":      600 * time.Second,
	"comprehend":       0,
	"dynamodb":         0,
	"cassandra":        0, // Amazon Keyspaces
	"lambda":           0,
	"kafka":            0, // Amazon MSK
}

// fallbackCooldown is assumed for a namespace the table does not list.
const fallbackCooldown = 300 * time.Second

// targetID names a scalable target: "Each scalable target is identified by
// a service namespace, resource ID, and scalable dimension" (DocAppScheduledAPI).
type targetID struct{ ns, id, dim string }

func (t targetID) String() string {
	return fmt.Sprintf("%s %s (%s)", t.ns, t.id, t.dim)
}

// filter is the describe command that lists only this target's items.
func (t targetID) filter(command, idOption string) string {
	ns, id := t.ns, t.id
	if ns == "" {
		ns = "NAMESPACE"
	}
	if id == "" {
		id = "RESOURCE-ID"
	}
	return fmt.Sprintf("aws application-autoscaling %s --service-namespace %s %s %s", command, ns, idOption, id)
}

func readID(e entry, required bool) targetID {
	ns, _ := e.r.str(e.v, e.path, "ServiceNamespace", "the service namespace, such as ecs", required)
	id, _ := e.r.str(e.v, e.path, "ResourceId", "the resource ID, such as service/my-cluster/my-service", required)
	dim, _ := e.r.str(e.v, e.path, "ScalableDimension", "the scalable dimension, such as ecs:service:DesiredCount", required)
	return targetID{ns, id, dim}
}

// sameTarget checks that an item names the target of the check; an item
// that names none (a hand-trimmed file) is taken as the target's.
func sameTarget(e entry, t targetID, what, command string) bool {
	other := readID(e, false)
	for _, f := range []struct{ key, got, want string }{
		{"ServiceNamespace", other.ns, t.ns}, {"ResourceId", other.id, t.id}, {"ScalableDimension", other.dim, t.dim},
	} {
		if f.got != "" && f.want != "" && f.got != f.want {
			e.fail(f.key, f.got, fmt.Sprintf("%s of the scalable target checked, %s: a policy is one scalable target; list only its %s with `%s`",
				f.want, t, what, t.filter(command, "--resource-id")))
			return false
		}
	}
	return true
}

// application translates Application Auto Scaling output.
func (in *input) application() *headroom.Policy {
	if len(in.targets) != 1 {
		in.targetCountError()
		return nil
	}
	t := in.targets[0]
	if !t.r.object(t.v, t.path, "a scalable target", targetKnown) {
		return nil
	}
	id := readID(t, true)
	pol := in.policyBase(id.id)
	if lo := capacity(t.r, t.v, t.path, "MinCapacity", "the scalable target's minimum capacity"); lo != nil {
		pol.Min = *lo
	} else if absent(t.v, "MinCapacity") {
		t.fail("MinCapacity", "", "the scalable target's minimum capacity (MinCapacity is missing)")
	}
	if hi := capacity(t.r, t.v, t.path, "MaxCapacity", "the scalable target's maximum capacity"); hi != nil {
		pol.Max = *hi
		if pol.Min > 0 && pol.Max < pol.Min {
			t.fail("MaxCapacity", strconv.Itoa(pol.Max), fmt.Sprintf("at least MinCapacity (%d)", pol.Min))
		}
	} else if absent(t.v, "MaxCapacity") {
		t.fail("MaxCapacity", "", "the scalable target's maximum capacity (MaxCapacity is missing)")
	}
	susp := readSuspended(t)

	for _, a := range in.appActions {
		if act := appAction(a, id); act != nil {
			pol.Schedules = append(pol.Schedules, *act)
		}
	}
	if susp.scheduled && len(pol.Schedules) > 0 {
		// "ScheduledScalingSuspended: Whether scheduled scaling is
		// suspended. Set the value to true if you don't want Application
		// Auto Scaling to add or remove capacity by initiating scheduled
		// actions."
		// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_SuspendedState.html
		t.r.warn(field(t.v, "SuspendedState"), "scheduled scaling is suspended (SuspendedState.ScheduledScalingSuspended): its %d scheduled actions are not simulated", len(pol.Schedules))
		pol.Schedules = nil
	}
	if len(pol.Schedules) > 0 {
		pol.TimeZone = pol.Schedules[0].TimeZone
	}

	c := &appContext{id: id, tt: newTracking(), seen: map[string]string{}, steps: &stepJoin{in: in, dims: id.dimensions(), what: "scalable target " + id.String()}}
	for _, p := range in.policies {
		c.policy(p)
	}
	tt := c.tt
	if susp.in && (len(tt.Metrics) > 0 || len(c.steps.out) > 0) {
		// DynamicScalingInSuspended: "Set the value to true if you
		// don't want Application Auto Scaling to remove capacity when
		// a scaling policy is triggered." (API_SuspendedState)
		t.r.warn(field(t.v, "SuspendedState"), "dynamic scale-in is suspended (SuspendedState.DynamicScalingInSuspended): every policy is simulated with scale-in disabled")
		for i := range tt.AWS.Policies {
			tt.AWS.Policies[i].DisableScaleIn = true
		}
		disableStepScaleIn(t, c.steps.out)
	}
	if susp.out && (len(tt.Metrics) > 0 || len(c.steps.out) > 0) {
		t.r.warn(field(t.v, "SuspendedState"), "dynamic scale-out is suspended (SuspendedState.DynamicScalingOutSuspended), which headroom does not model: the simulation still scales out")
	}
	if len(tt.Metrics) > 0 {
		pol.Target = tt
	}
	pol.Steps = c.steps.out
	if len(pol.Schedules) == 0 && pol.Target == nil && len(in.policies) == 0 {
		t.r.warn(t.v, "scalable target %s has no scaling policy and no scheduled action here: its capacity stays within %d..%d "+
			"(add the output of `%s` and `%s`)", id, pol.Min, pol.Max, id.filter("describe-scaling-policies", "--resource-id"), id.filter("describe-scheduled-actions", "--resource-id"))
	}
	return pol
}

// targetCountError explains output without exactly one scalable target.
func (in *input) targetCountError() {
	if len(in.targets) == 0 {
		// Name the target the other items point at, for the hint.
		var id targetID
		var at entry
		for _, list := range [][]entry{in.policies, in.appActions} {
			if len(list) > 0 {
				at = list[0]
				id = readID(at, false)
				break
			}
		}
		r := in.readers[0]
		if at.r != nil {
			r = at.r
		}
		r.fail(nil, keyScalableTargets, "", fmt.Sprintf("the scalable target, for its MinCapacity and MaxCapacity: add the output of `%s` to this file or pass it as another file",
			id.filter("describe-scalable-targets", "--resource-ids")))
		return
	}
	var found []string
	for _, t := range in.targets {
		found = append(found, fmt.Sprintf("%s (%s line %d)", readID(t, false), t.r.f.name, t.line()))
	}
	second := in.targets[1]
	second.r.fail(second.v, second.path, "", fmt.Sprintf("exactly one scalable target, found %d: %s; a policy is one scalable target: "+
		"filter the describe commands with --resource-ids (describe-scalable-targets) and --resource-id (describe-scaling-policies, describe-scheduled-actions)",
		len(in.targets), strings.Join(found, ", ")))
}

type suspended struct{ in, out, scheduled bool }

// readSuspended reads a scalable target's SuspendedState.
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-suspend-resume-scaling.html
func readSuspended(t entry) suspended {
	v := field(t.v, "SuspendedState")
	if v == nil {
		return suspended{}
	}
	path := join(t.path, "SuspendedState")
	if !t.r.object(v, path, "a SuspendedState", suspendedKnown) {
		return suspended{}
	}
	return suspended{
		in:        t.r.boolean(v, path, "DynamicScalingInSuspended"),
		out:       t.r.boolean(v, path, "DynamicScalingOutSuspended"),
		scheduled: t.r.boolean(v, path, "ScheduledScalingSuspended"),
	}
}

// appAction translates a scheduled action. "A scheduled action sets the
// MinCapacity and MaxCapacity to what is specified by the scheduled action
// at the time specified"; "If current capacity is greater than the
// specified maximum capacity, Application Auto Scaling scales in
// (decreases capacity) to the specified maximum capacity" (DocAppScheduled):
// the engine applies Min and Max at once, ignoring cooldowns ("During a
// cooldown period, when a scheduled action starts at the scheduled time, it
// can trigger a scaling activity immediately without waiting for the
// cooldown period to expire", DocAppTracking). There is no desired
// capacity. AWS: "the delay between the time the scheduled action is
// triggered and the time the target service honors the scaling action might
// be a few seconds" (DocAppScheduled): Delay stays 0.
func appAction(e entry, id targetID) *headroom.ScheduledAction {
	r := e.r
	if !r.object(e.v, e.path, "a scheduled action", appActionKnown) {
		return nil
	}
	n := len(r.errs)
	name, _ := r.str(e.v, e.path, "ScheduledActionName", "the scheduled action's name", true)
	if !sameTarget(e, id, "scheduled actions", "describe-scheduled-actions") {
		return nil
	}
	expr, ev := r.str(e.v, e.path, "Schedule", "when the action runs: at(...), rate(...) or cron(...)", true)
	loc := zone(e, "Timezone")
	start, hasStart := r.timestamp(e.v, e.path, "StartTime")
	end, hasEnd := r.timestamp(e.v, e.path, "EndTime")
	created, _ := r.timestamp(e.v, e.path, "CreationTime")
	if hasStart && hasEnd && !end.After(start) {
		e.fail("EndTime", end.Format(time.RFC3339), fmt.Sprintf("a time after StartTime (%s)", start.Format(time.RFC3339)))
	}
	a := &headroom.ScheduledAction{Name: name, Spec: expr, TimeZone: loc}
	sta := field(e.v, "ScalableTargetAction")
	staPath := join(e.path, "ScalableTargetAction")
	switch {
	case sta == nil && absent(e.v, "ScalableTargetAction"):
		e.fail("ScalableTargetAction", "", fmt.Sprintf("the capacity action %q sets (ScalableTargetAction with MinCapacity and/or MaxCapacity)", name))
	case sta == nil:
		// Misspelt: object reported it.
	case r.object(sta, staPath, "a ScalableTargetAction", targetActionKnown):
		a.Min = capacity(r, sta, staPath, "MinCapacity", "the minimum capacity from this time")
		a.Max = capacity(r, sta, staPath, "MaxCapacity", "the maximum capacity from this time")
		switch {
		case field(sta, "MinCapacity") == nil && field(sta, "MaxCapacity") == nil:
			r.fail(sta, staPath, "", fmt.Sprintf("MinCapacity, MaxCapacity or both: what action %q sets", name))
		case a.Min != nil && a.Max != nil && *a.Max < *a.Min:
			r.fail(field(sta, "MaxCapacity"), join(staPath, "MaxCapacity"), strconv.Itoa(*a.Max), fmt.Sprintf("at least this action's MinCapacity (%d)", *a.Min))
		}
	}
	if ev != nil && expr != "" && (!hasStart || !hasEnd || end.After(start)) {
		// A rate() counts from the action's start, or from its creation
		// when it has no start.
		anchor := start
		if !hasStart {
			anchor = created
		}
		s, err := schedule.ParseAWS(expr, loc, start, end, anchor)
		if err != nil && strings.HasPrefix(expr, "rate(") && anchor.IsZero() {
			r.fail(ev, join(e.path, "Schedule"), expr, "a rate(...) schedule with a StartTime or CreationTime to count from: "+err.Error())
		} else if err != nil {
			r.fail(ev, join(e.path, "Schedule"), expr, "at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), "+
				"as described in "+DocAppScheduledAPI+": "+err.Error())
		} else {
			a.Schedule = s
			if strings.HasPrefix(strings.TrimSpace(expr), "at(") {
				r.warn(ev, "action %q runs once, %s in %s: it acts in a replay only if the traffic covers that time", name, expr, loc)
			}
		}
	}
	if len(r.errs) > n {
		return nil
	}
	return a
}

// dimensions are the CloudWatch dimensions that name the target: an ECS
// service's ClusterName and ServiceName
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html).
func (t targetID) dimensions() map[string]string {
	parts := strings.Split(t.id, "/")
	if t.ns == "ecs" && len(parts) == 3 && parts[0] == "service" {
		return map[string]string{"ClusterName": parts[1], "ServiceName": parts[2]}
	}
	return nil
}

// appContext is what the policies of one scalable target translate into.
type appContext struct {
	id    targetID
	tt    *headroom.TargetTracking
	seen  map[string]string // metric name → the target tracking policy that tracks it
	steps *stepJoin
}

// policy translates one scaling policy into c.
func (c *appContext) policy(e entry) {
	id, tt, seen := c.id, c.tt, c.seen
	r := e.r
	if !r.object(e.v, e.path, "a scaling policy", appPolicyKnown) {
		return
	}
	name, _ := r.str(e.v, e.path, "PolicyName", "the policy's name", true)
	if !sameTarget(e, id, "scaling policies", "describe-scaling-policies") {
		return
	}
	typ, tv := r.str(e.v, e.path, "PolicyType", "TargetTrackingScaling, StepScaling or PredictiveScaling", true)
	if tv == nil {
		return
	}
	switch typ {
	case "TargetTrackingScaling":
	case "StepScaling":
		c.steps.attach(appStep(e, name, id))
		return
	case "PredictiveScaling":
		predictive(e, name, "PredictiveScalingPolicyConfiguration")
		return
	default:
		e.fail("PolicyType", typ, "TargetTrackingScaling, StepScaling or PredictiveScaling")
		return
	}
	path := join(e.path, "TargetTrackingScalingPolicyConfiguration")
	cfg := field(e.v, "TargetTrackingScalingPolicyConfiguration")
	if cfg == nil {
		e.fail("TargetTrackingScalingPolicyConfiguration", "", fmt.Sprintf("the target tracking configuration of policy %q", name))
		return
	}
	if !r.object(cfg, path, "a TargetTrackingScalingPolicyConfiguration", appTrackingKnown) {
		return
	}
	target, ok := positiveTarget(r, cfg, path, name)
	var m *headroom.MetricTarget
	if ok {
		m = metric(r, cfg, path, name, target)
	}
	p := headroom.AWSPolicy{Name: name, DisableScaleIn: r.boolean(cfg, path, "DisableScaleIn")}
	// Cooldowns default by scalable target (defaultCooldowns).
	def, known := defaultCooldowns[id.ns]
	if !known {
		def = fallbackCooldown
	}
	var usedDefault bool
	p.ScaleOutCooldown, usedDefault = cooldown(r, cfg, path, "ScaleOutCooldown", def)
	var inDefault bool
	p.ScaleInCooldown, inDefault = cooldown(r, cfg, path, "ScaleInCooldown", def)
	if !known && id.ns != "" && (usedDefault || inDefault) {
		r.warn(cfg, "policy %q: no documented default cooldown for service namespace %q; %v assumed (set ScaleOutCooldown and ScaleInCooldown to be exact)", name, id.ns, def)
	}
	if m == nil {
		return
	}
	// "You can have multiple target tracking scaling policies for a
	// scalable target, provided that each of them uses a different metric."
	// (DocAppTracking)
	if other, dup := seen[m.Name]; dup {
		r.fail(field(cfg, "PredefinedMetricSpecification"), path, m.Name, fmt.Sprintf("a metric no other policy tracks: policy %q tracks %s too", other, m.Name))
		return
	}
	seen[m.Name] = name
	tt.Metrics = append(tt.Metrics, *m)
	tt.AWS.Policies = append(tt.AWS.Policies, p)
}

// cooldown reads a cooldown in seconds, or def when unset.
func cooldown(r *reader, cfg *value, path, key string, def time.Duration) (time.Duration, bool) {
	n, v := r.integer(cfg, path, key, "a cooldown in seconds, at least 0", 0)
	if v == nil {
		return def, true
	}
	if n == nil {
		return def, false
	}
	return time.Duration(*n) * time.Second, false
}

// appStep reads a step scaling policy: its StepScalingPolicyConfiguration
// (DocAppStepAPI) and its Alarms. The cooldown defaults by service
// namespace, as target tracking's do (defaultCooldowns, quoted there).
// This is our reading: some SDK references of the field say only "If not
// specified, the default value is 300", which differs for the namespaces
// whose table default is 0 (DynamoDB, Lambda, ...). During the cooldown, "capacity added by the
// initiating scale-out activity is calculated as part of the desired
// capacity for the next scale-out activity" and "scale-in activities are
// blocked until the cooldown period has expired": the engine's step
// cooldown.
func appStep(e entry, name string, id targetID) *stepPolicy {
	r := e.r
	n := len(r.errs)
	sp := &stepPolicy{e: e, name: name}
	sp.arn, _ = r.str(e.v, e.path, "PolicyARN", "the policy's ARN", false)
	sp.alarms, sp.alarmsV = readAlarmRefs(e)
	path := join(e.path, "StepScalingPolicyConfiguration")
	cfg := field(e.v, "StepScalingPolicyConfiguration")
	if cfg == nil {
		e.fail("StepScalingPolicyConfiguration", "", fmt.Sprintf("the step scaling configuration of policy %q", name))
		return nil
	}
	if !r.object(cfg, path, "a StepScalingPolicyConfiguration", appStepKnown) {
		return nil
	}
	sp.adjType = readAdjustmentType(r, cfg, path, name)
	sp.steps, _ = stepAdjustments(r, cfg, path, name, sp.adjType)
	sp.minMag = readMinMagnitude(r, cfg, path, name, sp.adjType)
	readAggregation(r, cfg, path, name)
	def, known := defaultCooldowns[id.ns]
	if !known {
		def = fallbackCooldown
	}
	var usedDefault bool
	sp.cooldown, usedDefault = cooldown(r, cfg, path, "Cooldown", def)
	if !known && id.ns != "" && usedDefault {
		r.warn(cfg, "policy %q: no documented default cooldown for service namespace %q; %v assumed (set Cooldown to be exact)", name, id.ns, def)
	}
	if len(r.errs) > n {
		return nil
	}
	return sp
}

// disableStepScaleIn keeps step policies from removing capacity while
// dynamic scale-in is suspended: a step that would remove capacity adds
// nothing instead. An ExactCapacity step may set a smaller capacity, which
// the engine cannot tell apart from a larger one in advance: a warning
// says so.
func disableStepScaleIn(t entry, steps []headroom.StepScaling) {
	for i := range steps {
		s := &steps[i]
		if s.AdjustmentType == "ExactCapacity" {
			t.r.warn(field(t.v, "SuspendedState"), "step scaling policy %q sets an exact capacity, which may be a scale-in: headroom cannot hold it back while scale-in is suspended", s.Name)
			continue
		}
		adj := make([]headroom.StepAdjustment, len(s.Steps))
		for k, a := range s.Steps {
			adj[k] = a
			adj[k].Adjustment = max(a.Adjustment, 0)
		}
		s.Steps = adj
	}
}

// predictive skips a forecast-only predictive scaling policy, which does
// not scale (Mode: "The predictive scaling mode. Defaults to ForecastOnly
// if not specified.", API_PredictiveScalingConfiguration), and refuses one
// that scales: headroom does not model forecasts.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingConfiguration.html
func predictive(e entry, name, cfgKey string) {
	cfg := field(e.v, cfgKey)
	mode := "ForecastOnly"
	if m := field(cfg, "Mode"); m != nil && m.kind == kindString && m.str != "" {
		mode = m.str
	}
	if mode == "ForecastOnly" {
		e.r.warn(e.v, "predictive scaling policy %q is in ForecastOnly mode, which does not scale: ignored", name)
		return
	}
	e.fail(join(cfgKey, "Mode"), mode, fmt.Sprintf("ForecastOnly: predictive scaling policy %q scales on a forecast, which headroom does not model", name))
}
