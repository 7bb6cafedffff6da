package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// Rewrite returns data, the describe output p was read from (one file: the
// outputs merged into one object, or concatenated), with p's bounds, target
// tracking targets and scheduled actions written in, in the same describe
// shapes, so that Parse reads the result back as p. It is a minimal diff:
// the new values are spliced into the text, so every other field, the key
// order and the indentation stay; the scheduled actions are replaced as a
// whole (added to the object of the scalable target or group when the file
// has none).
//
// Each scheduled action of p must set Min only, on a five-field cron
// schedule ("57 8 * * 1-5"): Application Auto Scaling's is written as
// cron(57 8 ? * MON-FRI *) with its Timezone, EC2 Auto Scaling's as the
// Recurrence with its TimeZone.
//
// Errors are *headroom.InputError: data does not read as a policy, a
// target tracking policy of p is not in the file, or a scheduled action
// cannot be written (it sets a maximum or a desired count, or is no
// five-field cron).
func Rewrite(path string, data []byte, p *headroom.Policy) ([]byte, error) {
	w, err := newWriter(path, data)
	if err != nil {
		return nil, err
	}
	return w.write(p)
}

// writer holds a file being rewritten: its text, its values and the
// policy read from it.
type writer struct {
	path string
	f    *file
	docs []*value
	orig *headroom.Policy
	svc  service
	// target is the scalable target or group; actions the list of
	// scheduled actions and the document holding it (nil when absent).
	target       *value
	targetDoc    *value
	actions      *value
	policies     []*value
	appNamespace string
}

func newWriter(path string, data []byte) (*writer, error) {
	orig, _, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	f := newFile(path, decodeText(data))
	docs, err := parseJSON(f)
	if err != nil {
		return nil, err
	}
	w := &writer{path: path, f: f, docs: docs, orig: orig}
	for _, d := range docs {
		for _, k := range d.keys {
			v := d.fields[k]
			switch k {
			case keyScalableTargets, keyGroups:
				if len(v.elems) > 0 && w.target == nil {
					w.target, w.targetDoc = v.elems[0], d
					w.svc = appAutoScaling
					if k == keyGroups {
						w.svc = ec2AutoScaling
					}
				}
			case keyScheduledActions, keyGroupActions:
				if w.actions == nil {
					w.actions = v
				}
			case keyScalingPolicies:
				w.policies = append(w.policies, v.elems...)
			}
		}
	}
	if w.target == nil {
		return nil, &headroom.InputError{File: path, Line: 1, Expected: "a scalable target or an Auto Scaling group to write the recommendation into"}
	}
	return w, nil
}

// edit replaces the bytes [off, end) of the file with text.
type edit struct {
	off, end int64
	text     string
}

func (w *writer) write(p *headroom.Policy) ([]byte, error) {
	var edits []edit
	set := func(obj *value, key, text string) {
		if v := field(obj, key); v != nil {
			edits = append(edits, edit{v.off, v.end, text})
		}
	}
	minKey, maxKey := "MinCapacity", "MaxCapacity"
	if w.svc == ec2AutoScaling {
		minKey, maxKey = "MinSize", "MaxSize"
		if v := field(w.target, "DesiredCapacity"); v != nil {
			if n, err := v.num.Int64(); err == nil && (int(n) < p.Min || int(n) > p.Max) {
				set(w.target, "DesiredCapacity", strconv.Itoa(min(max(int(n), p.Min), p.Max)))
			}
		}
	}
	if field(w.target, minKey) == nil || field(w.target, maxKey) == nil {
		return nil, &headroom.InputError{File: w.path, Line: w.f.line(w.target.off), Field: minKey,
			Expected: fmt.Sprintf("%s and %s in the scalable target or group, to write the bounds into", minKey, maxKey)}
	}
	set(w.target, minKey, strconv.Itoa(p.Min))
	set(w.target, maxKey, strconv.Itoa(p.Max))
	es, err := w.targets(p)
	if err != nil {
		return nil, err
	}
	edits = append(edits, es...)
	list, err := w.scheduled(p)
	if err != nil {
		return nil, err
	}
	edits = append(edits, w.actionsEdit(list))
	sort.Slice(edits, func(i, j int) bool { return edits[i].off < edits[j].off })
	var b bytes.Buffer
	at := int64(0)
	for _, e := range edits {
		b.Write(w.f.data[at:e.off])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(w.f.data[at:])
	return b.Bytes(), nil
}

// trackingKey is the key of a policy's target tracking configuration.
func (w *writer) trackingKey() string {
	if w.svc == ec2AutoScaling {
		return "TargetTrackingConfiguration"
	}
	return "TargetTrackingScalingPolicyConfiguration"
}

// targets writes the TargetValue of every target tracking policy whose
// target changed. A policy's TargetValue is in AWS's unit (requests per
// minute for ALBRequestCountPerTarget), so the new value is the old one
// times the ratio of the targets.
func (w *writer) targets(p *headroom.Policy) ([]edit, error) {
	if p.Target == nil || w.orig.Target == nil {
		return nil, nil
	}
	old := map[string]float64{}
	for i, ap := range w.orig.Target.AWS.Policies {
		if i < len(w.orig.Target.Metrics) {
			old[ap.Name] = w.orig.Target.Metrics[i].Target
		}
	}
	var edits []edit
	for i, m := range p.Target.Metrics {
		if i >= len(p.Target.AWS.Policies) {
			break
		}
		name := p.Target.AWS.Policies[i].Name
		was, ok := old[name]
		if !ok {
			return nil, &headroom.InputError{File: w.path, Field: keyScalingPolicies, Value: name,
				Expected: "a target tracking policy of the file: the recommendation changes the targets of the policies it was read with"}
		}
		if m.Target == was {
			continue
		}
		cfg := w.tracking(name)
		tv := field(cfg, "TargetValue")
		if tv == nil {
			continue
		}
		f, err := tv.num.Float64()
		if err != nil {
			continue
		}
		edits = append(edits, edit{tv.off, tv.end, awsNumber(f * m.Target / was)})
	}
	return edits, nil
}

// tracking returns the target tracking configuration of the policy named.
func (w *writer) tracking(name string) *value {
	for _, pv := range w.policies {
		if n := field(pv, "PolicyName"); n != nil && n.str == name {
			return field(pv, w.trackingKey())
		}
	}
	return nil
}

// awsNumber writes a target value as the CLI prints one (50.0), rounded to
// six significant digits so that a converted unit reads back exactly.
func awsNumber(v float64) string {
	if v != 0 {
		e := math.Pow(10, math.Floor(math.Log10(math.Abs(v)))-5)
		v = math.Round(v/e) * e
		if s := strconv.FormatFloat(v, 'f', -1, 64); len(s) > 12 {
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
		}
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// appActionOut and groupActionOut are the describe shapes of the scheduled
// actions written, in the order the CLI prints their fields.
type appActionOut struct {
	ScheduledActionName  string         `json:"ScheduledActionName"`
	ServiceNamespace     string         `json:"ServiceNamespace"`
	Schedule             string         `json:"Schedule"`
	Timezone             string         `json:"Timezone"`
	ResourceID           string         `json:"ResourceId"`
	ScalableDimension    string         `json:"ScalableDimension"`
	ScalableTargetAction map[string]int `json:"ScalableTargetAction"`
}

type groupActionOut struct {
	AutoScalingGroupName string `json:"AutoScalingGroupName"`
	ScheduledActionName  string `json:"ScheduledActionName"`
	Recurrence           string `json:"Recurrence"`
	MinSize              int    `json:"MinSize"`
	TimeZone             string `json:"TimeZone"`
}

// scheduled returns p's scheduled actions in the file's service's shape.
func (w *writer) scheduled(p *headroom.Policy) ([]any, error) {
	var out []any
	for _, a := range p.Schedules {
		if a.Max != nil || a.Desired != nil || a.Min == nil {
			return nil, &headroom.InputError{File: w.path, Field: "schedules", Value: a.Name,
				Expected: "a scheduled action that sets the minimum only: the recommendation's floors"}
		}
		c, err := parseWeekly(a.Spec)
		if err != nil {
			return nil, &headroom.InputError{File: w.path, Field: "schedules", Value: a.Spec, Expected: err.Error()}
		}
		zone := a.TimeZone
		if zone == nil {
			zone = p.Zone()
		}
		if w.svc == ec2AutoScaling {
			out = append(out, groupActionOut{AutoScalingGroupName: str(w.target, "AutoScalingGroupName"), ScheduledActionName: a.Name,
				Recurrence: c.unix(), MinSize: *a.Min, TimeZone: zone.String()})
			continue
		}
		out = append(out, appActionOut{ScheduledActionName: a.Name, ServiceNamespace: str(w.target, "ServiceNamespace"),
			Schedule: c.aws(), Timezone: zone.String(), ResourceID: str(w.target, "ResourceId"),
			ScalableDimension: str(w.target, "ScalableDimension"), ScalableTargetAction: map[string]int{"MinCapacity": *a.Min}})
	}
	return out, nil
}

func str(obj *value, key string) string {
	if v := field(obj, key); v != nil {
		return v.str
	}
	return ""
}

// actionsEdit replaces the list of scheduled actions, or adds one to the
// object of the scalable target or group.
func (w *writer) actionsEdit(list []any) edit {
	if w.actions != nil {
		return edit{w.actions.off, w.actions.end, w.render(list, w.indentOf(w.actions.off))}
	}
	key := keyScheduledActions
	if w.svc == ec2AutoScaling {
		key = keyGroupActions
	}
	d := w.targetDoc
	// The last value of the document, after which the key goes.
	last := d.fields[d.keys[len(d.keys)-1]]
	indent := w.indentOf(field(d, d.keys[0]).off)
	text := fmt.Sprintf(",\n%s%q: %s", indent, key, w.render(list, indent))
	return edit{last.end, last.end, text}
}

// indentOf returns the white space that starts the line holding off.
func (w *writer) indentOf(off int64) string {
	start := off
	for start > 0 && w.f.data[start-1] != '\n' {
		start--
	}
	end := start
	for end < off && (w.f.data[end] == ' ' || w.f.data[end] == '\t') {
		end++
	}
	return string(w.f.data[start:end])
}

// render writes a list as the CLI prints it (four spaces a level), its
// lines after the first indented by indent.
func (w *writer) render(list []any, indent string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.MarshalIndent(list, indent, "    ")
	return string(b)
}

// weekly is a five-field cron expression firing at one time of day on
// some weekdays: the only shape recommend writes.
type weekly struct {
	minute, hour int
	days         []int // 0 = Sunday; all seven for "*"
}

// parseWeekly reads "M H * * DOW", or Application Auto Scaling's
// "cron(M H ? * DOW *)" as Rewrite writes it (read back from a file).
func parseWeekly(spec string) (weekly, error) {
	const want = `a cron expression "minute hour * * day-of-week" with one minute and hour, such as "57 8 * * 1-5"`
	if inner, ok := strings.CutPrefix(strings.TrimSpace(spec), "cron("); ok {
		f := strings.Fields(strings.TrimSuffix(inner, ")"))
		if len(f) != 6 || f[3] != "*" || f[5] != "*" || f[2] != "?" && f[2] != "*" {
			return weekly{}, fmt.Errorf("%s", want)
		}
		dow := f[4]
		if strings.ContainsAny(dow, "0123456789") {
			// AWS numbers weekdays from SUN=1: only names are read here.
			return weekly{}, fmt.Errorf("%s, or cron() with named weekdays (MON-FRI)", want)
		}
		if dow == "?" {
			dow = "*"
		}
		for i, n := range dayNames {
			dow = strings.ReplaceAll(dow, n, strconv.Itoa(i))
		}
		return parseWeekly(strings.Join([]string{f[0], f[1], "*", "*", dow}, " "))
	}
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return weekly{}, fmt.Errorf("%s", want)
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return weekly{}, fmt.Errorf("%s", want)
	}
	days, err := weekdaySet(f[4])
	if err != nil {
		return weekly{}, fmt.Errorf("%s: %v", want, err)
	}
	return weekly{minute: m, hour: h, days: days}, nil
}

// weekdaySet reads cron's day-of-week field: numbers 0-7 (0 and 7 are
// Sunday), ranges and lists, or "*".
func weekdaySet(s string) ([]int, error) {
	if s == "*" {
		return []int{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(a)
		hi := lo
		if err == nil && isRange {
			hi, err = strconv.Atoi(b)
		}
		if err != nil || lo < 0 || hi > 7 || lo > hi {
			return nil, fmt.Errorf("day-of-week %q: expected numbers 0-7, ranges and lists", s)
		}
		for d := lo; d <= hi; d++ {
			out = append(out, d%7)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

var dayNames = [...]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// unix writes the expression for EC2's Recurrence.
func (c weekly) unix() string {
	return fmt.Sprintf("%d %d * * %s", c.minute, c.hour, dayList(c.days, func(d int) string { return strconv.Itoa(d) }))
}

// aws writes the expression as Application Auto Scaling's cron(), whose
// day-of-month or day-of-week must be "?" and whose weekdays are best
// named (its numbers start at SUN=1).
// (DocAppScheduledAPI: "cron(fields)", the six fields of DocAppScheduled).
func (c weekly) aws() string {
	if len(c.days) == 7 {
		return fmt.Sprintf("cron(%d %d * * ? *)", c.minute, c.hour)
	}
	return fmt.Sprintf("cron(%d %d ? * %s *)", c.minute, c.hour, dayList(c.days, func(d int) string { return dayNames[d] }))
}

// dayList writes sorted weekdays with ranges of three or more.
func dayList(days []int, name func(int) string) string {
	if len(days) == 7 {
		return "*"
	}
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, name(days[i])+"-"+name(days[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, name(days[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Script returns the AWS CLI commands that apply p, as Rewrite writes it,
// to the scalable target or group of data: its bounds
// (register-scalable-target, or update-auto-scaling-group), each target
// tracking policy whose target changed (put-scaling-policy, with the whole
// configuration), the deletion of CURRENT's scheduled actions that p does
// not keep, and each of p's (put-scheduled-action, or
// put-scheduled-update-group-action), in the policy's time zone. It is a
// POSIX shell script; every argument is quoted.
//
// Errors are those of Rewrite.
func Script(path string, data []byte, p *headroom.Policy) ([]byte, error) {
	w, err := newWriter(path, data)
	if err != nil {
		return nil, err
	}
	out, err := w.write(p)
	if err != nil {
		return nil, err
	}
	nw, err := newWriter(path, out)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# The recommendation of headroom recommend for %s, as the AWS CLI commands that apply it.\n", p.Name)
	fmt.Fprintf(&b, "# %s holds the same policy as the describe outputs check reads. Review, then run: sh THIS-FILE\nset -eu\n\n", "The JSON beside it")
	t := nw.target
	var kept []string
	for _, a := range p.Schedules {
		kept = append(kept, a.Name)
	}
	if nw.svc == ec2AutoScaling {
		group := []string{"--auto-scaling-group-name", str(t, "AutoScalingGroupName")}
		cmd(&b, "autoscaling", "update-auto-scaling-group", group, "--min-size", strconv.Itoa(p.Min), "--max-size", strconv.Itoa(p.Max))
		nw.policyCommands(&b, w, group, "--target-tracking-configuration")
		for _, a := range w.orig.Schedules {
			if !slices.Contains(kept, a.Name) {
				cmd(&b, "autoscaling", "delete-scheduled-action", group, "--scheduled-action-name", a.Name)
			}
		}
		for _, a := range nw.actions.elems {
			cmd(&b, "autoscaling", "put-scheduled-update-group-action", group, "--scheduled-action-name", str(a, "ScheduledActionName"),
				"--recurrence", str(a, "Recurrence"), "--time-zone", str(a, "TimeZone"), "--min-size", string(field(a, "MinSize").num))
		}
		return []byte(b.String()), nil
	}
	target := []string{"--service-namespace", str(t, "ServiceNamespace"), "--resource-id", str(t, "ResourceId"), "--scalable-dimension", str(t, "ScalableDimension")}
	cmd(&b, "application-autoscaling", "register-scalable-target", target, "--min-capacity", strconv.Itoa(p.Min), "--max-capacity", strconv.Itoa(p.Max))
	nw.policyCommands(&b, w, target, "--target-tracking-scaling-policy-configuration")
	for _, a := range w.orig.Schedules {
		if !slices.Contains(kept, a.Name) {
			cmd(&b, "application-autoscaling", "delete-scheduled-action", target, "--scheduled-action-name", a.Name)
		}
	}
	for _, a := range nw.actions.elems {
		cmd(&b, "application-autoscaling", "put-scheduled-action", target, "--scheduled-action-name", str(a, "ScheduledActionName"),
			"--schedule", str(a, "Schedule"), "--timezone", str(a, "Timezone"),
			"--scalable-target-action", "MinCapacity="+string(field(field(a, "ScalableTargetAction"), "MinCapacity").num))
	}
	return []byte(b.String()), nil
}

// policyCommands writes put-scaling-policy for each target tracking
// policy whose configuration differs from the one in old.
func (w *writer) policyCommands(b *strings.Builder, old *writer, target []string, flag string) {
	if w.orig.Target == nil {
		return
	}
	service := "application-autoscaling"
	if w.svc == ec2AutoScaling {
		service = "autoscaling"
	}
	for _, ap := range w.orig.Target.AWS.Policies {
		cfg, was := w.tracking(ap.Name), old.tracking(ap.Name)
		if cfg == nil || was != nil && bytes.Equal(w.f.data[cfg.off:cfg.end], old.f.data[was.off:was.end]) {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, w.f.data[cfg.off:cfg.end]); err != nil {
			continue
		}
		cmd(b, service, "put-scaling-policy", target, "--policy-name", ap.Name, "--policy-type", "TargetTrackingScaling", flag, compact.String())
	}
}

// cmd writes one aws command, every argument quoted for the shell.
func cmd(b *strings.Builder, service, op string, target []string, args ...string) {
	all := append([]string{"aws", service, op}, target...)
	all = append(all, args...)
	for i, a := range all {
		if i > 0 {
			b.WriteString(" ")
		}
		if i > 2 && !strings.HasPrefix(a, "--") {
			b.WriteString(shellQuote(a))
		} else {
			b.WriteString(a)
		}
	}
	b.WriteString("\n")
}

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ScheduleDelay is how late the service applies a scheduled action after
// its time: EC2 Auto Scaling's "might be delayed for up to two minutes"
// (DocEC2Scheduled), Application Auto Scaling's "a few seconds" (0).
func ScheduleDelay(data []byte) time.Duration {
	if bytes.Contains(data, []byte(`"`+keyGroups+`"`)) {
		return DefaultScheduleDelay
	}
	return 0
}
