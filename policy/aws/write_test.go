package aws_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/aws"
	"github.com/headroomhq/headroom/schedule"
)

// floors builds the scheduled floors a recommendation writes, in zone.
func floors(t *testing.T, zone *time.Location, specs map[string]int) []headroom.ScheduledAction {
	t.Helper()
	var out []headroom.ScheduledAction
	for _, spec := range []string{"57 8 * * 1-5", "57 17 * * 1-5", "57 9 * * 0,6", "57 20 * * 0,6"} {
		n, ok := specs[spec]
		if !ok {
			continue
		}
		s, err := schedule.Parse(spec, zone)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, headroom.ScheduledAction{Name: "floor-" + strings.NewReplacer(" ", "-", "*", "x", ",", ".").Replace(spec),
			Spec: spec, TimeZone: zone, Schedule: s, Min: &n})
	}
	return out
}

// weekOfFloors lists when each scheduled action of p sets which minimum
// over a week: what a round trip must keep.
func weekOfFloors(p *headroom.Policy) map[time.Time]int {
	out := map[time.Time]int{}
	from := time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)
	for _, a := range p.Schedules {
		for at := a.Schedule.Next(from.Add(-time.Second)); at.Before(from.Add(7 * 24 * time.Hour)); at = a.Schedule.Next(at) {
			out[at] = *a.Min
		}
	}
	return out
}

func sameActivations(t *testing.T, got, want map[time.Time]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("activations: got %d, want %d", len(got), len(want))
	}
	for at, n := range want {
		if got[at] != n {
			t.Errorf("at %s: got min %d, want %d", at.Format(time.RFC3339), got[at], n)
		}
	}
}

// TestRewriteRoundTrip: the recommendation written into the shipped
// example's policy as Application Auto Scaling and as EC2 Auto Scaling
// output reads back as the same bounds, targets and floors, keeps every
// other field, and its script holds the commands that apply it.
func TestRewriteRoundTrip(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		keep       []string
		want       []string
	}{
		{"application auto scaling", "testdata/example-ecs.json",
			[]string{`"RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/`, `"ScaleInCooldown": 300,`, `"CreationTime": "2021-05-03T09:15:02.311000+00:00"`},
			[]string{`"Schedule": "cron(57 8 ? * MON-FRI *)"`, `"Schedule": "cron(57 9 ? * SUN,SAT *)"`, `"MinCapacity": 12,`, `"TargetValue": 66.0,`,
				"aws application-autoscaling register-scalable-target --service-namespace 'ecs' --resource-id 'service/prod/website-and-api' --scalable-dimension 'ecs:service:DesiredCount' --min-capacity '12' --max-capacity '110'",
				`--policy-name 'cpu60' --policy-type 'TargetTrackingScaling' --target-tracking-scaling-policy-configuration '{"TargetValue":66.0,`,
				"delete-scheduled-action --service-namespace 'ecs' --resource-id 'service/prod/website-and-api' --scalable-dimension 'ecs:service:DesiredCount' --scheduled-action-name 'night-floor'",
				"put-scheduled-action --service-namespace 'ecs' --resource-id 'service/prod/website-and-api' --scalable-dimension 'ecs:service:DesiredCount' --scheduled-action-name 'floor-57-8-x-x-1-5' --schedule 'cron(57 8 ? * MON-FRI *)' --timezone 'America/Los_Angeles' --scalable-target-action 'MinCapacity=30'"}},
		{"ec2 auto scaling", "testdata/example-ec2.json",
			[]string{`"LaunchTemplateName": "web",`, `"DefaultInstanceWarmup": 180`, `"DesiredCapacity": 24,`},
			[]string{`"ScheduledUpdateGroupActions": [`, `"Recurrence": "57 9 * * 0,6",`, `"MinSize": 12,`,
				"aws autoscaling update-auto-scaling-group --auto-scaling-group-name 'website-and-api' --min-size '12' --max-size '110'",
				"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name 'website-and-api' --scheduled-action-name 'floor-57-8-x-x-1-5' --recurrence '57 8 * * 1-5' --time-zone 'America/Los_Angeles' --min-size '30'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			cur, _, err := aws.Parse(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			p := *cur
			tr := *cur.Target
			tr.Metrics = append([]headroom.MetricTarget(nil), cur.Target.Metrics...)
			tr.Metrics[0].Target = 66
			p.Target, p.Min, p.Max, p.TimeZone = &tr, 12, 110, la
			p.Schedules = floors(t, la, map[string]int{"57 8 * * 1-5": 30, "57 17 * * 1-5": 12, "57 9 * * 0,6": 18, "57 20 * * 0,6": 12})
			out, err := aws.Rewrite(tt.file, data, &p)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := aws.Parse(tt.file, out)
			if err != nil {
				t.Fatalf("the written policy does not read back: %v\n%s", err, out)
			}
			if got.Min != 12 || got.Max != 110 || got.Target.Metrics[0].Target != 66 {
				t.Errorf("read back: min %d max %d target %v, want 12 110 66", got.Min, got.Max, got.Target.Metrics[0].Target)
			}
			if got.Zone().String() != "America/Los_Angeles" {
				t.Errorf("zone: got %s, want America/Los_Angeles", got.Zone())
			}
			sameActivations(t, weekOfFloors(got), weekOfFloors(&p))
			script, err := aws.Script(tt.file, data, &p)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.keep {
				if !strings.Contains(string(out), s) {
					t.Errorf("the written file lost %q", s)
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(string(out)+string(script), s) {
					t.Errorf("the output lacks %q:\n%s\n%s", s, out, script)
				}
			}
			// Written twice, the file does not change: the writer is
			// idempotent.
			again, err := aws.Rewrite(tt.file, out, got)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("rewriting the written file changed it:\n%s\nwant\n%s", again, out)
			}
		})
	}
}

// TestRewriteRefusesWhatAWSCannotHold: a scheduled action that sets a
// maximum, or a schedule that is not a weekly time of day, is refused.
func TestRewriteRefusesWhatAWSCannotHold(t *testing.T) {
	data, err := os.ReadFile("testdata/example-ecs.json")
	if err != nil {
		t.Fatal(err)
	}
	cur, _, err := aws.Parse("x.json", data)
	if err != nil {
		t.Fatal(err)
	}
	p := *cur
	p.Schedules = append([]headroom.ScheduledAction(nil), cur.Schedules...)
	n := 50
	p.Schedules[0].Max = &n
	if _, err := aws.Rewrite("x.json", data, &p); err == nil || !strings.Contains(err.Error(), "sets the minimum only") {
		t.Errorf("got %v, want a refusal of a scheduled maximum", err)
	}
}
