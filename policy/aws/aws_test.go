package aws_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy/aws"
)

func parseFile(t *testing.T, file string) (*headroom.Policy, []string, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return aws.Parse(file, data)
}

func mustParse(t *testing.T, file string) (*headroom.Policy, []string) {
	t.Helper()
	p, warnings, err := parseFile(t, file)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return p, warnings
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func intp(n int) *int { return &n }

// activations lists the first n activations of s after from.
func activations(s headroom.Schedule, from time.Time, n int) []time.Time {
	var out []time.Time
	for at := from; len(out) < n; {
		if at = s.Next(at); at.IsZero() {
			break
		}
		out = append(out, at)
	}
	return out
}

// tracking is the AWS target tracking every policy of this package has,
// with metrics and per-policy settings.
func tracking(warmup time.Duration, metrics []headroom.MetricTarget, policies ...headroom.AWSPolicy) *headroom.TargetTracking {
	return &headroom.TargetTracking{
		Metrics:    metrics,
		Algorithm:  headroom.AlgorithmAWS,
		SyncPeriod: time.Minute, Window: time.Minute, Delay: time.Minute,
		AWS: &headroom.AWSTracking{Policies: policies, Period: time.Minute, OutDatapoints: 3, InDatapoints: 15, InThreshold: 0.9, InstanceWarmup: warmup},
	}
}

func TestTargetTracking(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		min, max int
		initial  int
		want     *headroom.TargetTracking
		warnings []string // substrings, one per warning, in order
	}{
		{
			name: "ECS CPU 60%: cooldowns default to ECS's 300 s",
			file: "testdata/ecs-web-split/2-scaling-policies.json",
			want: tracking(0, []headroom.MetricTarget{{Name: "ECSServiceAverageCPUUtilization", Kind: headroom.MetricCPU, Target: 60}},
				headroom.AWSPolicy{Name: "web-cpu60", ScaleOutCooldown: 300 * time.Second, ScaleInCooldown: 300 * time.Second}),
		},
		{
			name: "ALB request count per target per minute: 1200 is 20 req/s per instance",
			file: "testdata/ecs-merged-alb.json", min: 3, max: 30,
			want: tracking(0, []headroom.MetricTarget{{Name: "ALBRequestCountPerTarget (per second)", Kind: headroom.MetricRPS, Target: 20}},
				headroom.AWSPolicy{Name: "checkout-requests", ScaleOutCooldown: time.Minute, ScaleInCooldown: 300 * time.Second}),
			warnings: []string{"ecs-merged-alb.json:29: policy \"checkout-requests\": ALBRequestCountPerTarget counts per instance and per minute; its target 1200 is read as 20 requests per second per instance (1200 / 60)",
				`ecs-merged-alb.json:54: action "checkout-black-friday" runs once, at(2024-11-29T06:00:00) in America/Chicago`},
		},
		{
			name: "Lambda: no cooldowns set, Lambda's default is 0 s; a Count/Second custom metric is a rate per instance",
			file: "testdata/lambda-zero-cooldown.json", min: 10, max: 200,
			want: tracking(0, []headroom.MetricTarget{{Name: "RequestsPerEnvironment", Kind: headroom.MetricRPS, Target: 8}},
				headroom.AWSPolicy{Name: "quote-requests-per-environment"}),
			warnings: []string{"lambda-zero-cooldown.json:29: policy \"quote-requests-per-environment\": customized metric PriceQuote/RequestsPerEnvironment (Average, Count/Second) is read as requests per second per instance"},
		},
		{
			name: "scale-in disabled; the unset scale-in cooldown keeps its default",
			file: "testdata/ecs-scale-in-disabled.json", min: 2, max: 24,
			want: tracking(0, []headroom.MetricTarget{{Name: "ECSServiceAverageCPUUtilization", Kind: headroom.MetricCPU, Target: 70}},
				headroom.AWSPolicy{Name: "renderer-cpu-scale-out-only", ScaleOutCooldown: 2 * time.Minute, ScaleInCooldown: 300 * time.Second, DisableScaleIn: true}),
		},
		{
			name: "two policies, in file order, each with its own cooldowns",
			file: "testdata/ecs-two-policies.json", min: 6, max: 48,
			want: tracking(0, []headroom.MetricTarget{
				{Name: "ECSServiceAverageCPUUtilization", Kind: headroom.MetricCPU, Target: 55},
				{Name: "ALBRequestCountPerTarget (per second)", Kind: headroom.MetricRPS, Target: 50},
			},
				headroom.AWSPolicy{Name: "search-cpu55", ScaleOutCooldown: 90 * time.Second, ScaleInCooldown: 600 * time.Second},
				headroom.AWSPolicy{Name: "search-requests", ScaleOutCooldown: time.Minute, ScaleInCooldown: 300 * time.Second}),
			warnings: []string{"ecs-two-policies.json:43: policy \"search-requests\": ALBRequestCountPerTarget counts per instance and per minute"},
		},
		{
			name: "EC2: no cooldowns; the group's DefaultInstanceWarmup 180 s is the warm-up",
			file: "testdata/ec2-asg-recurrence.json", min: 2, max: 12, initial: 4,
			want: tracking(3*time.Minute, []headroom.MetricTarget{{Name: "ASGAverageCPUUtilization", Kind: headroom.MetricCPU, Target: 50}},
				headroom.AWSPolicy{Name: "web-cpu50"}),
		},
		{
			name: "EC2: the policy's EstimatedInstanceWarmup 240 s overrides the group's",
			file: "testdata/ec2-one-time.json", min: 2, max: 20, initial: 3,
			want: tracking(4*time.Minute, []headroom.MetricTarget{{Name: "ALBRequestCountPerTarget (per second)", Kind: headroom.MetricRPS, Target: 15}},
				headroom.AWSPolicy{Name: "tickets-requests-per-target"}),
			warnings: []string{"its target 900 is read as 15 requests per second per instance", `action "presale-opens" runs once, at 2024-06-14T13:45:00Z`},
		},
		{
			name: "EC2: no warm-up anywhere falls back to the group's DefaultCooldown; disabled and forecast-only policies are skipped",
			file: "testdata/ec2-concatenated.json", min: 3, max: 30, initial: 6,
			want: tracking(4*time.Minute, []headroom.MetricTarget{{Name: "ASGAverageCPUUtilization", Kind: headroom.MetricCPU, Target: 45}},
				headroom.AWSPolicy{Name: "api-cpu45"}),
			warnings: []string{`policy "api-requests-old" is disabled (Enabled false): ignored`, `predictive scaling policy "api-predictive" is in ForecastOnly mode`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := []string{tt.file}
			if strings.Contains(tt.file, "ecs-web-split") {
				// The policies alone have no scalable target: read the
				// folder.
				var err error
				if files, err = filepath.Glob("testdata/ecs-web-split/*.json"); err != nil {
					t.Fatal(err)
				}
				tt.min, tt.max = 4, 40
			}
			p, warnings, err := aws.ParseFiles(files, readAll(t, files))
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if p.Min != tt.min || p.Max != tt.max || p.Initial != tt.initial {
				t.Errorf("got min %d max %d initial %d, want %d %d %d", p.Min, p.Max, p.Initial, tt.min, tt.max, tt.initial)
			}
			if !reflect.DeepEqual(p.Target, tt.want) {
				t.Errorf("got target\n%+v %+v\nwant\n%+v %+v", p.Target, p.Target.AWS, tt.want, tt.want.AWS)
			}
			checkWarnings(t, warnings, tt.warnings)
		})
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d warnings %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %d: got %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestScheduledActions(t *testing.T) {
	t.Run("Application Auto Scaling: min/max pairs in New York across the DST change, no delay, no desired", func(t *testing.T) {
		files, err := filepath.Glob("testdata/ecs-web-split/*.json")
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := aws.ParseFiles(files, readAll(t, files))
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "service/prod-cluster/web" || p.TimeZone == nil || p.TimeZone.String() != "America/New_York" {
			t.Errorf("got name %q zone %v", p.Name, p.TimeZone)
		}
		if len(p.Schedules) != 2 {
			t.Fatalf("got %d schedules, want 2", len(p.Schedules))
		}
		morning, night := p.Schedules[0], p.Schedules[1]
		if morning.Name != "web-weekday-morning" || *morning.Min != 12 || *morning.Max != 60 || morning.Desired != nil || morning.Delay != 0 {
			t.Errorf("morning: got %+v", morning)
		}
		if night.Name != "web-night" || *night.Min != 4 || *night.Max != 16 || night.Desired != nil {
			t.Errorf("night: got %+v", night)
		}
		// 07:00 in New York is 12:00Z in EST and 11:00Z after clocks spring
		// forward on Sunday 10 March 2024.
		want := []time.Time{utc("2024-03-08T12:00:00Z"), utc("2024-03-11T11:00:00Z")}
		if got := activations(morning.Schedule, utc("2024-03-08T00:00:00Z"), 2); !reflect.DeepEqual(got, want) {
			t.Errorf("morning activations: got %v, want %v", got, want)
		}
	})
	t.Run("EC2: desired, min and max, two minutes late at worst, in London", func(t *testing.T) {
		p, _ := mustParse(t, "testdata/ec2-asg-recurrence.json")
		want := headroom.ScheduledAction{Name: "weekday-morning", Spec: "0 8 * * 1-5", Min: intp(4), Max: intp(12), Desired: intp(8), Delay: 2 * time.Minute}
		got := p.Schedules[0]
		if got.Name != want.Name || got.Spec != want.Spec || !reflect.DeepEqual(got.Min, want.Min) || !reflect.DeepEqual(got.Max, want.Max) ||
			!reflect.DeepEqual(got.Desired, want.Desired) || got.Delay != want.Delay || got.TimeZone.String() != "Europe/London" {
			t.Errorf("got %+v, want %+v", got, want)
		}
		// 08:00 in London is 08:00Z in GMT and 07:00Z in BST (from 31
		// March 2024).
		if got := activations(got.Schedule, utc("2024-03-29T00:00:00Z"), 2); !reflect.DeepEqual(got, []time.Time{utc("2024-03-29T08:00:00Z"), utc("2024-04-01T07:00:00Z")}) {
			t.Errorf("activations across BST: got %v", got)
		}
	})
	t.Run("EC2: a StartTime that is the next run does not switch the action off before it", func(t *testing.T) {
		// The describe output's StartTime (11 March) is the next run;
		// a replay of the week before still sees the action.
		p, warnings := mustParse(t, "testdata/ec2-asg-recurrence.json")
		if got := activations(p.Schedules[0].Schedule, utc("2024-03-01T00:00:00Z"), 1); !reflect.DeepEqual(got, []time.Time{utc("2024-03-01T08:00:00Z")}) {
			t.Errorf("got %v", got)
		}
		if len(warnings) != 0 {
			t.Errorf("got warnings %q", warnings)
		}
	})
	t.Run("EC2: a one-time action runs once at its StartTime", func(t *testing.T) {
		p, _ := mustParse(t, "testdata/ec2-one-time.json")
		a := p.Schedules[0]
		if got := activations(a.Schedule, utc("2024-01-01T00:00:00Z"), 2); !reflect.DeepEqual(got, []time.Time{utc("2024-06-14T13:45:00Z")}) {
			t.Errorf("got %v", got)
		}
		if a.Max != nil || *a.Min != 10 || *a.Desired != 14 || a.TimeZone != time.UTC {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("Application Auto Scaling: at() in Chicago; an action that sets only Max", func(t *testing.T) {
		p, _ := mustParse(t, "testdata/ecs-merged-alb.json")
		if got := activations(p.Schedules[0].Schedule, utc("2024-01-01T00:00:00Z"), 2); !reflect.DeepEqual(got, []time.Time{utc("2024-11-29T12:00:00Z")}) {
			t.Errorf("at(): got %v", got)
		}
		if w := p.Schedules[1]; w.Min != nil || *w.Max != 12 {
			t.Errorf("weekend: got min %v max %v", w.Min, w.Max)
		}
	})
}

type wantErr policytest.WantError

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []wantErr
	}{
		{"two scalable targets: name them and say how to filter", "testdata/bad-two-targets.json", []wantErr{
			{12, "ScalableTargets[1]", "exactly one scalable target, found 2: ecs service/prod-cluster/web (ecs:service:DesiredCount) (testdata/bad-two-targets.json line 3), " +
				"ecs service/prod-cluster/worker (ecs:service:DesiredCount) (testdata/bad-two-targets.json line 12); a policy is one scalable target: filter the describe commands with --resource-ids"},
		}},
		{"memory is not modelled", "testdata/bad-unknown-metric.json", []wantErr{
			{22, "ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
				`got "ECSServiceAverageMemoryUtilization", expected a metric headroom simulates for policy "resizer-memory75"`},
		}},
		{"TargetValue missing, and a string", "testdata/bad-missing-target-value.json", []wantErr{
			{18, "ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue", `(TargetValue is required)`},
			{31, "ScalingPolicies[1].TargetTrackingScalingPolicyConfiguration.TargetValue", `got "1000", expected the value policy "web-requests" keeps its metric at, above 0 (a number, found a string)`},
		}},
		{"Unix cron in an Application Auto Scaling Schedule; day-of-month and day-of-week both set; a zone misspelt", "testdata/bad-cron.json", []wantErr{
			{15, "ScheduledActions[0].Schedule", "got 5 fields, want 6"},
			{28, "ScheduledActions[1].Schedule", "one must be ?"},
			{29, "ScheduledActions[1].Timezone", `got "America/NewYork", expected an IANA time zone name`},
		}},
		{"a step scaling policy whose alarm is not in the input: say which describe-alarms to add", "testdata/bad-step-alarm-missing.json", []wantErr{
			{35, "ScalingPolicies[0].Alarms", `got "worker-queue-backlog-high", expected the CloudWatch alarm "worker-queue-backlog-high", which invokes policy "worker-queue-depth": ` +
				"its metric, threshold, comparison and periods are not in the policy's output; add the output of `aws cloudwatch describe-alarms --alarm-names worker-queue-backlog-high` to this file or pass it as another file"},
		}},
		{"a step scaling alarm on queue depth: name the alarm, the policy and the metric", "testdata/bad-step-unsupported-metric.json", []wantErr{
			{55, "MetricAlarms[0].MetricName", `got "ApproximateNumberOfMessagesVisible", expected a metric headroom simulates for alarm "worker-queue-backlog-high", which invokes policy "worker-queue-depth" (found AWS/SQS/ApproximateNumberOfMessagesVisible (Average))`},
		}},
		{"JSON syntax error at its line", "testdata/bad-syntax.json", []wantErr{
			{9, "", "expected valid JSON, as the AWS CLI prints it (invalid character '}' looking for beginning of object key string)"},
		}},
		{"both services in one file", "testdata/bad-mixed-services.json", []wantErr{
			{11, "AutoScalingGroups", "holds Application Auto Scaling output (ScalableTargets, line 2) and EC2 Auto Scaling output (AutoScalingGroups, line 11)"},
		}},
		{"misspelt and miscased fields", "testdata/bad-misspelt-field.json", []wantErr{
			{7, "ScalableTargets[0].MinCapcity", `expected "MinCapacity" (field names are case-sensitive`},
			{16, "ScheduledActions[0].TimeZone", `expected "Timezone"`},
			{20, "ScheduledActions[0].ScalableTargetAction.minCapacity", `expected "MinCapacity"`},
		}},
		{"a policy of another service", "testdata/bad-other-resource.json", []wantErr{
			{28, "ScalingPolicies[1].ResourceId", "`aws application-autoscaling describe-scaling-policies --service-namespace ecs --resource-id service/prod-cluster/web`"},
		}},
		{"EC2: scaling to zero, a six-field recurrence (the simple scaling policy without an alarm only warns)", "testdata/bad-ec2-lights-off.json", []wantErr{
			{32, "ScheduledUpdateGroupActions[0].MinSize", "scaling to zero is not modelled"},
			{33, "ScheduledUpdateGroupActions[0].MaxSize", "scaling to zero is not modelled"},
			{34, "ScheduledUpdateGroupActions[0].DesiredCapacity", "scaling to zero is not modelled"},
			{40, "ScheduledUpdateGroupActions[1].Recurrence", "expected exactly 5 fields, found 6"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := parseFile(t, tt.file)
			if err == nil {
				t.Fatalf("got policy %+v, want errors", p)
			}
			if p != nil || warnings != nil {
				t.Errorf("got a policy or warnings with the error")
			}
			if code := headroom.ErrorCode(err); code != headroom.EINVALID {
				t.Errorf("got code %q, want %q", code, headroom.EINVALID)
			}
			policytest.CheckErrors(t, err, tt.file, tt.want)
		})
	}
}

// edit returns data with old replaced by new once, failing when old is not
// there.
func edit(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%q not in the file", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

func TestEdits(t *testing.T) {
	base, err := os.ReadFile("testdata/ecs-merged-alb.json")
	if err != nil {
		t.Fatal(err)
	}
	group, err := os.ReadFile("testdata/ec2-asg-recurrence.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want []wantErr
	}{
		{"MaxCapacity under MinCapacity", edit(t, base, `"MaxCapacity": 30,`, `"MaxCapacity": 2,`), []wantErr{
			{8, "ScalableTargets[0].MaxCapacity", `got "2", expected at least MinCapacity (3)`},
		}},
		{"a fractional capacity", edit(t, base, `"MinCapacity": 3,`, `"MinCapacity": 2.5,`), []wantErr{
			{7, "ScalableTargets[0].MinCapacity", `got "2.5", expected the scalable target's minimum capacity, a whole number`},
		}},
		{"a CPU target over 100%", edit(t, edit(t, base, `"ALBRequestCountPerTarget",`, `"ECSServiceAverageCPUUtilization",`), `"ResourceLabel": "app/prod-alb/7a9c5e3f1d2b4c6a/targetgroup/checkout-api/1f2e3d4c5b6a7980"`, `"ResourceLabel": ""`), []wantErr{
			{29, "ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType", "CPU utilization is a percentage, at most 100"},
		}},
		{"ALBRequestCountPerTarget without its target group", edit(t, base, `"ResourceLabel": "app/prod-alb/7a9c5e3f1d2b4c6a/targetgroup/checkout-api/1f2e3d4c5b6a7980"`, `"ResourceLabel": ""`), []wantErr{
			{30, "ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel", "AWS requires a ResourceLabel"},
		}},
		{"a negative cooldown", edit(t, base, `"ScaleOutCooldown": 60,`, `"ScaleOutCooldown": -60,`), []wantErr{
			{32, "ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown", `got "-60", expected a cooldown in seconds, at least 0`},
		}},
		{"an action with neither MinCapacity nor MaxCapacity", edit(t, base, `"MaxCapacity": 12`, `"SomethingElse": 12`), []wantErr{
			{72, "ScheduledActions[1].ScalableTargetAction", `MinCapacity, MaxCapacity or both: what action "checkout-weekend" sets`},
		}},
		{"an action's MaxCapacity under its MinCapacity", edit(t, base, `"MaxCapacity": 80`, `"MaxCapacity": 8`), []wantErr{
			{60, "ScheduledActions[0].ScalableTargetAction.MaxCapacity", "at least this action's MinCapacity (20)"},
		}},
		{"an EndTime before the StartTime", edit(t, base, `"Timezone": "America/Chicago",`, `"Timezone": "America/Chicago", "StartTime": "2024-11-01T00:00:00Z", "EndTime": "2024-10-01T00:00:00Z",`), []wantErr{
			{55, "ScheduledActions[0].EndTime", "expected a time after StartTime (2024-11-01T00:00:00Z)"},
		}},
		{"a time that is not one", edit(t, base, `"CreationTime": "2023-09-05T14:20:00.000000+00:00"`, `"CreationTime": "last Tuesday"`), []wantErr{
			{75, "ScheduledActions[1].CreationTime", `got "last Tuesday", expected a time such as 2024-03-10T07:00:00Z`},
		}},
		{"a rate() with nothing to count from", edit(t, edit(t, base, `"Schedule": "cron(0 0 ? * SAT *)"`, `"Schedule": "rate(6 hours)"`), `"CreationTime": "2023-09-05T14:20:00.000000+00:00"`, `"Note": 1`), []wantErr{
			{68, "ScheduledActions[1].Schedule", "a rate(...) schedule with a StartTime or CreationTime to count from"},
		}},
		{"a key set twice", edit(t, base, `"MinCapacity": 3,`, `"MinCapacity": 3, "MinCapacity": 4,`), []wantErr{
			{7, "ScalableTargets[0].MinCapacity", "each key once per object"},
		}},
		{"a list where an object belongs", edit(t, base, `"SuspendedState": {`, `"SuspendedState": [], "Later": {`), []wantErr{
			{11, "ScalableTargets[0].SuspendedState", `got "[...]", expected a SuspendedState (an object), found a list`},
		}},
		{"EC2: DesiredCapacity out of the group's bounds", edit(t, group, `"DesiredCapacity": 4,`, `"DesiredCapacity": 40,`), []wantErr{
			{13, "AutoScalingGroups[0].DesiredCapacity", "a capacity within MinSize..MaxSize (2..12)"},
		}},
		{"EC2: an action of another group", edit(t, group, `"AutoScalingGroupName": "web-asg",
            "ScheduledActionName": "weekday-evening"`, `"AutoScalingGroupName": "web-asg-blue",
            "ScheduledActionName": "weekday-evening"`), []wantErr{
			{110, "ScheduledUpdateGroupActions[1].AutoScalingGroupName", "`aws autoscaling describe-scheduled-actions --auto-scaling-group-name web-asg`"},
		}},
		{"EC2: an action's desired capacity outside its bounds", edit(t, group, `"DesiredCapacity": 8,`, `"DesiredCapacity": 20,`), []wantErr{
			{106, "ScheduledUpdateGroupActions[0].DesiredCapacity", "a capacity within this action's MinSize and MaxSize"},
		}},
		{"EC2: a target tracking policy retyped as step scaling has no adjustment type and no steps", edit(t, group, `"PolicyType": "TargetTrackingScaling",`, `"PolicyType": "StepScaling",`), []wantErr{
			{70, "ScalingPolicies[0].AdjustmentType", `expected how policy "web-cpu50" adjusts capacity: ChangeInCapacity, PercentChangeInCapacity or ExactCapacity (AdjustmentType is missing)`},
			{75, "ScalingPolicies[0].StepAdjustments", `got "[]", expected at least one step adjustment for step scaling policy "web-cpu50"`},
		}},
		{"EC2: predictive scaling that acts", edit(t, group, `"PolicyType": "TargetTrackingScaling",`, `"PolicyType": "PredictiveScaling", "PredictiveScalingConfiguration": {"Mode": "ForecastAndScale"},`), []wantErr{
			{74, "ScalingPolicies[0].PredictiveScalingConfiguration.Mode", "scales on a forecast, which headroom does not model"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := aws.Parse("edited.json", tt.data)
			if err == nil {
				t.Fatal("got no error")
			}
			policytest.CheckErrors(t, err, "edited.json", tt.want)
		})
	}
}

func TestMissingParts(t *testing.T) {
	policies, err := os.ReadFile("testdata/ecs-web-split/2-scaling-policies.json")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = aws.Parse("policies.json", policies)
	policytest.CheckErrors(t, err, "policies.json", []wantErr{{1, "ScalableTargets",
		"add the output of `aws application-autoscaling describe-scalable-targets --service-namespace ecs --resource-ids service/prod-cluster/web` to this file or pass it as another file"}})

	_, _, err = aws.Parse("actions.json", []byte(`{"ScheduledUpdateGroupActions": [{"AutoScalingGroupName": "web-asg", "ScheduledActionName": "a", "Recurrence": "0 8 * * *", "DesiredCapacity": 3}]}`))
	policytest.CheckErrors(t, err, "actions.json", []wantErr{{1, "AutoScalingGroups", "`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names web-asg`"}})

	_, _, err = aws.Parse("empty.json", []byte(`{"ScalableTargets": []}`))
	policytest.CheckErrors(t, err, "empty.json", []wantErr{{1, "ScalableTargets", "the scalable target"}})

	_, _, err = aws.Parse("nothing.json", []byte("  \n"))
	policytest.CheckErrors(t, err, "nothing.json", []wantErr{{1, "", "this file is empty"}})

	_, _, err = aws.Parse("other.json", []byte(`{"Reservations": []}`))
	policytest.CheckErrors(t, err, "other.json", []wantErr{{1, "", "an object with one of the keys ScalableTargets, ScalingPolicies"}})
}

func TestSuspended(t *testing.T) {
	base, err := os.ReadFile("testdata/ecs-scale-in-disabled.json")
	if err != nil {
		t.Fatal(err)
	}
	data := edit(t, base, `"ScheduledScalingSuspended": false`, `"ScheduledScalingSuspended": true`)
	p, warnings, err := aws.Parse("suspended.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Schedules) != 0 || p.TimeZone != nil {
		t.Errorf("got %d schedules, zone %v; want none while scheduled scaling is suspended", len(p.Schedules), p.TimeZone)
	}
	checkWarnings(t, warnings, []string{"suspended.json:11: scheduled scaling is suspended (SuspendedState.ScheduledScalingSuspended): its 2 scheduled actions are not simulated"})

	group, err := os.ReadFile("testdata/ec2-asg-recurrence.json")
	if err != nil {
		t.Fatal(err)
	}
	data = edit(t, group, `"SuspendedProcesses": [],`, `"SuspendedProcesses": [{"ProcessName": "AlarmNotification", "SuspensionReason": "User suspended at 2024-03-01T10:00:00Z"}],`)
	p, warnings, err = aws.Parse("suspended.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Target != nil || len(p.Schedules) != 2 {
		t.Errorf("got target %v and %d schedules; want no target tracking while AlarmNotification is suspended", p.Target, len(p.Schedules))
	}
	checkWarnings(t, warnings, []string{"the AlarmNotification process is suspended"})
}

// TestSplitEqualsMerged pins that the three outputs give the same policy
// whether read as three files, or as one file of the three concatenated.
func TestSplitEqualsMerged(t *testing.T) {
	files, err := filepath.Glob("testdata/ecs-web-split/*.json")
	if err != nil {
		t.Fatal(err)
	}
	contents := readAll(t, files)
	split, _, err := aws.ParseFiles(files, contents)
	if err != nil {
		t.Fatal(err)
	}
	merged, _, err := aws.Parse("all.json", bytes.Join(contents, []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	if merged.File != "all.json" || !strings.Contains(split.File, "1-scalable-targets.json, ") {
		t.Errorf("files: got %q and %q", split.File, merged.File)
	}
	merged.File = split.File
	// Schedules hold functions of their own; compare their activations.
	for i := range split.Schedules {
		a, b := split.Schedules[i], merged.Schedules[i]
		if got, want := activations(b.Schedule, from, 5), activations(a.Schedule, from, 5); !reflect.DeepEqual(got, want) {
			t.Errorf("schedule %d: got %v, want %v", i, got, want)
		}
		split.Schedules[i].Schedule, merged.Schedules[i].Schedule = nil, nil
	}
	if !reflect.DeepEqual(split, merged) {
		t.Errorf("split %+v\nmerged %+v", split, merged)
	}
}

// Regression test for output saved by PowerShell's `>` (UTF-16 with a byte
// order mark): it reads as the UTF-8 file, with the same lines.
func TestUTF16(t *testing.T) {
	data, err := os.ReadFile("testdata/bad-syntax.json")
	if err != nil {
		t.Fatal(err)
	}
	units := utf16.Encode([]rune(string(data)))
	le := []byte{0xFF, 0xFE}
	for _, u := range units {
		le = append(le, byte(u), byte(u>>8))
	}
	if !aws.Detect(le) {
		t.Error("Detect(UTF-16) = false")
	}
	_, _, err = aws.Parse("ps.json", le)
	policytest.CheckErrors(t, err, "ps.json", []wantErr{{9, "", "invalid character '}'"}})
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"scalable targets", `{"ScalableTargets": []}`, true},
		{"EC2 scheduled actions after another key", `{"NextToken": "abc", "ScheduledUpdateGroupActions": []}`, true},
		{"broken JSON that names a key", `{"ScalingPolicies": [ {`, true},
		{"the key only nested", `{"Data": {"ScalableTargets": []}}`, false},
		{"another AWS output", `{"Reservations": []}`, false},
		{"YAML", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n", false},
		{"a list", `[{"ScalableTargets": []}]`, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aws.Detect([]byte(tt.data)); got != tt.want {
				t.Errorf("Detect = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestParseFilesArguments(t *testing.T) {
	if _, _, err := aws.ParseFiles(nil, nil); headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("no files: got %v", err)
	}
	if _, _, err := aws.ParseFiles([]string{"a.json"}, nil); headroom.ErrorCode(err) != headroom.EINTERNAL {
		t.Errorf("mismatched arguments: got %v", err)
	}
}

func TestUnknownFieldsWarn(t *testing.T) {
	data := []byte(`{"ScalableTargets": [{"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount",
 "MinCapacity": 1, "MaxCapacity": 3, "BrandNewField": {"x": 1}}], "NextToken": "eyJ2IjoxfQ=="}`)
	p, warnings, err := aws.Parse("new.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Min != 1 || p.Max != 3 || p.Target != nil || p.Schedules != nil {
		t.Errorf("got %+v", p)
	}
	checkWarnings(t, warnings, []string{
		"new.json:1: scalable target ecs service/c/s (ecs:service:DesiredCount) has no scaling policy and no scheduled action here",
		"new.json:2: NextToken is set: this output is one page of several",
		"new.json:2: fields headroom does not know were ignored: ScalableTargets[0].BrandNewField",
	})
}
