package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// Where the rules of this package come from.
const (
	// DocAppScheduled is Application Auto Scaling's scheduled scaling.
	DocAppScheduled = "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html"
	// DocAppTracking is how Application Auto Scaling's target tracking
	// works: metrics, cooldowns, several policies.
	DocAppTracking = "https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html"
	// DocAppTrackingAPI is the API reference of a target tracking
	// configuration: its fields and the cooldown defaults per service.
	DocAppTrackingAPI = "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html"
	// DocAppScheduledAPI is the API reference of PutScheduledAction.
	DocAppScheduledAPI = "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScheduledAction.html"
	// DocEC2Scheduled is EC2 Auto Scaling's scheduled scaling.
	DocEC2Scheduled = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html"
	// DocEC2ScheduledAPI is the API reference of
	// PutScheduledUpdateGroupAction.
	DocEC2ScheduledAPI = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html"
	// DocEC2Tracking is EC2 Auto Scaling's target tracking.
	DocEC2Tracking = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html"
	// DocEC2Warmup lists EC2 Auto Scaling's warm-up and cooldown settings
	// and how they fall back on each other.
	DocEC2Warmup = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/consolidated-view-of-warm-up-and-cooldown-settings.html"
)

// The top-level keys of what the describe commands print.
const (
	keyScalableTargets  = "ScalableTargets"             // application-autoscaling describe-scalable-targets
	keyScalingPolicies  = "ScalingPolicies"             // application-autoscaling describe-scaling-policies, autoscaling describe-policies
	keyScheduledActions = "ScheduledActions"            // application-autoscaling describe-scheduled-actions
	keyGroups           = "AutoScalingGroups"           // autoscaling describe-auto-scaling-groups
	keyGroupActions     = "ScheduledUpdateGroupActions" // autoscaling describe-scheduled-actions
	keyNextToken        = "NextToken"                   // any of them, when the output is one page
)

// topKeys are the keys Detect looks for; keyMetricAlarms (steps.go) is
// what `aws cloudwatch describe-alarms` prints, for step scaling.
var topKeys = []string{keyScalableTargets, keyScalingPolicies, keyScheduledActions, keyGroups, keyGroupActions, keyMetricAlarms}

// service is the AWS service a file's output comes from.
type service string

const (
	appAutoScaling service = "Application Auto Scaling"
	ec2AutoScaling service = "EC2 Auto Scaling"
)

// Detect reports whether data looks like the output of one of the describe
// commands this package reads: JSON whose top-level object has one of their
// keys. A file whose JSON is broken is recognised by its text, so that Parse
// reports the syntax error with its line instead of "unknown format".
func Detect(data []byte) bool {
	data = bytes.TrimSpace(decodeText(data))
	if !bytes.HasPrefix(data, []byte("{")) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			// The end of the first document, or broken JSON: look at the
			// text.
			for _, k := range topKeys {
				if bytes.Contains(data, []byte(`"`+k+`"`)) {
					return true
				}
			}
			return false
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1 && t != '['
			if depth == 0 {
				return false
			}
			continue
		case string:
			if depth == 1 && expectKey && contains(topKeys, t) {
				return true
			}
		}
		if depth == 1 {
			// Keys and values alternate in the top-level object; a
			// nested value ends with its closing bracket above.
			expectKey = !expectKey
		}
	}
}

// Parse reads the output of one or several describe commands merged into
// one file, and translates it into a policy. Warnings say where the
// translation had to approximate. It is ParseFiles with one file.
func Parse(path string, data []byte) (*headroom.Policy, []string, error) {
	return ParseFiles([]string{path}, [][]byte{data})
}

// ParseFiles reads the outputs of the describe commands, one file each or
// in any grouping (contents[i] is the content of paths[i], which names it in
// errors), and translates them into one policy for one scalable target or
// one Auto Scaling group. Step and simple scaling policies also need the
// output of `aws cloudwatch describe-alarms` for the alarms that invoke
// them.
//
// Errors are *headroom.InputError or headroom.InputErrors naming the file,
// line, JSON path and what was expected: invalid JSON, outputs of both
// services, not exactly one scalable target or group, a value AWS would
// refuse, a step or simple scaling policy whose alarm is not in the input,
// and what headroom does not model (acting predictive scaling policies,
// metrics other than CPU utilization and request counts, alarms on metric
// math, percentiles, anomaly bands or periods other than a minute).
func ParseFiles(paths []string, contents [][]byte) (*headroom.Policy, []string, error) {
	if len(paths) != len(contents) {
		return nil, nil, headroom.Errorf(headroom.EINTERNAL, "aws.ParseFiles: %d paths for %d contents", len(paths), len(contents))
	}
	if len(paths) == 0 {
		return nil, nil, &headroom.InputError{Expected: "at least one file of AWS CLI describe output"}
	}
	in := &input{}
	var errs headroom.InputErrors
	for i, path := range paths {
		f := newFile(path, decodeText(contents[i]))
		r := &reader{f: f}
		in.readers = append(in.readers, r)
		docs, err := parseJSON(f)
		if err != nil {
			errs = append(errs, err.(*headroom.InputError))
			continue
		}
		for _, d := range docs {
			in.document(r, d)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	pol := in.translate()
	var warnings []string
	for _, r := range in.readers {
		errs = append(errs, r.errs...)
		if len(r.unknown) > 0 {
			r.warnings = append(r.warnings, warning{r.unknownLine, "fields headroom does not know were ignored: " + strings.Join(r.unknown, ", ")})
		}
		warnings = append(warnings, r.sortedWarnings()...)
	}
	if len(errs) > 0 {
		// In file order, then line order, as a user fixes them.
		order := map[string]int{}
		for i, p := range paths {
			if _, ok := order[p]; !ok {
				order[p] = i
			}
		}
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].File != errs[j].File {
				return order[errs[i].File] < order[errs[j].File]
			}
			return errs[i].Line < errs[j].Line
		})
		return nil, nil, errs
	}
	return pol, warnings, nil
}

// entry is one element of a describe output, with its file and JSON path.
type entry struct {
	r    *reader
	v    *value
	path string
}

// fail reports a problem with the field key of the entry (the entry itself
// when key is ""), at the field's line, or the entry's when it is missing.
func (e entry) fail(key, got, expected string) {
	v := e.v
	for _, k := range strings.Split(key, ".") {
		f := field(v, k)
		if f == nil {
			break
		}
		v = f
	}
	e.r.fail(v, join(e.path, key), got, expected)
}

// line is the entry's line.
func (e entry) line() int { return e.r.f.line(e.v.off) }

// input gathers the describe outputs of every file by kind.
type input struct {
	readers []*reader
	// Application Auto Scaling.
	targets, appActions []entry
	// EC2 Auto Scaling.
	groups, groupActions []entry
	// policies come from either service; their keys tell which.
	policies []entry
	// alarms and composites are CloudWatch's (describe-alarms), which
	// step and simple scaling policies need; alarmIndex is alarms read
	// for the join (alarmList).
	alarms, composites []entry
	alarmIndex         []*alarm
	// seen records the first entry of each service, to explain a mix.
	seen map[service]entry
}

var topKnown = []string{keyScalableTargets, keyScalingPolicies, keyScheduledActions, keyGroups, keyGroupActions, keyNextToken, keyMetricAlarms, keyCompositeAlarms}

// document files the entries of one top-level object.
func (in *input) document(r *reader, d *value) {
	if d.kind != kindObject {
		r.fail(d, "", show(d), "the JSON object an AWS CLI describe command prints, such as {\"ScalableTargets\": [...]}, found "+d.kind.String())
		return
	}
	if !r.object(d, "", "the output of an AWS CLI describe command", topKnown) {
		return
	}
	found := false
	for _, k := range d.keys {
		v := d.fields[k]
		var to *[]entry
		var svc service
		switch k {
		case keyScalableTargets:
			to, svc = &in.targets, appAutoScaling
		case keyScheduledActions:
			to, svc = &in.appActions, appAutoScaling
		case keyGroups:
			to, svc = &in.groups, ec2AutoScaling
		case keyGroupActions:
			to, svc = &in.groupActions, ec2AutoScaling
		case keyScalingPolicies:
			to = &in.policies
		case keyMetricAlarms:
			// CloudWatch's, of neither service.
			to = &in.alarms
		case keyCompositeAlarms:
			to = &in.composites
		case keyNextToken:
			if v.kind == kindString && v.str != "" {
				// The CLI pages through every result unless told not to
				// (--max-items, --no-paginate); a token means some are
				// missing from this file.
				r.warn(v, "NextToken is set: this output is one page of several, and what the other pages hold is not checked (run the describe command without --max-items or --no-paginate)")
			}
			continue
		default:
			continue
		}
		found = true
		// An empty list still tells the service.
		in.note(svc, entry{r: r, v: v, path: k})
		if v.kind == kindNull || !r.list(v, k, "the list the describe command prints") {
			continue
		}
		for i, e := range v.elems {
			en := entry{r: r, v: e, path: index(k, i)}
			s := svc
			if k == keyScalingPolicies {
				s = policyService(e)
			}
			in.note(s, en)
			*to = append(*to, en)
		}
	}
	if !found {
		r.fail(d, "", "", "the output of an AWS CLI describe command: an object with one of the keys "+strings.Join(topKeys, ", "))
	}
}

// note remembers the first entry seen of each service.
func (in *input) note(s service, e entry) {
	if s == "" {
		return
	}
	if in.seen == nil {
		in.seen = map[service]entry{}
	}
	if _, ok := in.seen[s]; !ok {
		in.seen[s] = e
	}
}

// policyService tells the service of a scaling policy by its keys:
// Application Auto Scaling's name the scalable target and nest their
// configuration under ...ScalingPolicyConfiguration; EC2 Auto Scaling's
// name the group and use TargetTrackingConfiguration.
func policyService(v *value) service {
	if v.kind != kindObject {
		return ""
	}
	for _, k := range []string{"ServiceNamespace", "ResourceId", "ScalableDimension", "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration"} {
		if _, ok := v.fields[k]; ok {
			return appAutoScaling
		}
	}
	for _, k := range []string{"AutoScalingGroupName", "TargetTrackingConfiguration", "StepAdjustments", "AdjustmentType", "EstimatedInstanceWarmup", "PredictiveScalingConfiguration"} {
		if _, ok := v.fields[k]; ok {
			return ec2AutoScaling
		}
	}
	return ""
}

// translate picks the service and translates.
func (in *input) translate() *headroom.Policy {
	app, appOK := in.seen[appAutoScaling]
	ec2, ec2OK := in.seen[ec2AutoScaling]
	switch {
	case appOK && ec2OK:
		later := ec2
		if ec2.r == app.r && ec2.v.off < app.v.off || ec2.r != app.r && in.fileIndex(ec2.r) < in.fileIndex(app.r) {
			later = app
		}
		later.r.fail(later.v, later.path, "", fmt.Sprintf("output of one service: %s holds Application Auto Scaling output (%s, line %d) and EC2 Auto Scaling output (%s, line %d); "+
			"a policy is one scalable target or one Auto Scaling group, check each in its own run",
			strings.Join(in.names(), ", "), app.path, app.r.f.line(app.v.off), ec2.path, ec2.r.f.line(ec2.v.off)))
		return nil
	case ec2OK:
		return in.ec2()
	case appOK:
		return in.application()
	}
	// Only empty lists, or policies whose service cannot be told.
	r := in.readers[0]
	for _, x := range in.readers {
		if len(x.errs) > 0 {
			// What is wrong with the files says enough.
			return nil
		}
	}
	if len(in.alarms) > 0 {
		a := in.alarms[0]
		a.r.fail(nil, keyScalableTargets, "", "a scalable target (application-autoscaling describe-scalable-targets) or an Auto Scaling group (autoscaling describe-auto-scaling-groups) "+
			"with the step scaling policies these CloudWatch alarms invoke: this output holds alarms only")
		return nil
	}
	if len(in.policies) > 0 {
		p := in.policies[0]
		p.r.fail(p.v, p.path, "", "a scaling policy as application-autoscaling describe-scaling-policies or autoscaling describe-policies prints it")
		return nil
	}
	r.fail(nil, "", "", "a scalable target (application-autoscaling describe-scalable-targets) or an Auto Scaling group (autoscaling describe-auto-scaling-groups): the lists in this output are empty")
	return nil
}

func (in *input) fileIndex(r *reader) int {
	for i, x := range in.readers {
		if x == r {
			return i
		}
	}
	return len(in.readers)
}

func (in *input) names() []string {
	var out []string
	for _, r := range in.readers {
		if !contains(out, r.f.name) {
			out = append(out, r.f.name)
		}
	}
	return out
}

// policyBase starts the policy: its name and files.
func (in *input) policyBase(name string) *headroom.Policy {
	return &headroom.Policy{Name: name, File: strings.Join(in.names(), ", ")}
}

// zone reads a time zone name: an IANA name, UTC when unset. Both services
// document UTC as the default ("By default, the times that you set are in
// Coordinated Universal Time (UTC)", DocAppScheduled; "For Time zone,
// choose a time zone. The default is Etc/UTC.",
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/scheduled-scaling-create-scheduled-action.html).
func zone(e entry, key string) *time.Location {
	name, v := e.r.str(e.v, e.path, key, "an IANA time zone name such as America/New_York", false)
	if v == nil || name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		e.r.fail(v, join(e.path, key), name, "an IANA time zone name such as America/New_York or Etc/UTC")
		return time.UTC
	}
	return loc
}

// capacity reads an optional capacity of object obj at path, which must
// be at least 1: headroom does not model scaling to zero.
func capacity(r *reader, obj *value, path, key, what string) *int {
	n, v := r.integer(obj, path, key, what+", a whole number", 0)
	if n != nil && *n < 1 {
		r.fail(v, join(path, key), "0", what+" of at least 1: scaling to zero is not modelled")
		return nil
	}
	return n
}
