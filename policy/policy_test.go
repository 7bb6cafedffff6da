package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

func TestExampleFiles(t *testing.T) {
	p, err := LoadPolicy("testdata/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Min != 20 || p.Max != 120 || len(p.Schedules) != 4 || p.Zone().String() != "America/Los_Angeles" {
		t.Errorf("got min %d max %d, %d schedules, zone %s", p.Min, p.Max, len(p.Schedules), p.Zone())
	}
	night := p.Schedules[2]
	if night.TimeZone.String() != "Australia/Sydney" || *night.Desired != 12 || *night.Min != 10 || night.Max != nil {
		t.Errorf("night-savings: got %+v", night)
	}
	if at := night.Schedule.Next(time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)); at != time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC) {
		t.Errorf("night-savings fires at %s, want 17:00 UTC", at)
	}
	if p.Schedules[0].TimeZone.String() != "America/Los_Angeles" {
		t.Errorf("a schedule without timeZone takes the policy's, got %s", p.Schedules[0].TimeZone)
	}
	tt := p.Target
	if len(tt.Metrics) != 1 || tt.Metrics[0].Target != 60 || tt.Metrics[0].Kind != headroom.MetricCPU || tt.SyncPeriod != DefaultSyncPeriod || tt.ScaleUpTolerance != DefaultTolerance ||
		tt.ScaleDown.StabilizationWindow != DefaultScaleDownStabilization || len(tt.ScaleUp.Policies) != 2 {
		t.Errorf("HPA defaults not applied: %+v", tt)
	}

	svc, err := LoadService("testdata/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if svc.CapacityPerInstance != 100 || svc.StartupDelay != 3*time.Minute || svc.SLO.MaxLatency != 250*time.Millisecond || svc.SLO.Window != time.Minute {
		t.Errorf("service: got %+v", svc)
	}
}

func TestBehaviorOverlaysDefaults(t *testing.T) {
	f, err := LoadFile("testdata/behavior.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Policies) != 1 || len(f.Services) != 1 {
		t.Fatalf("got %d policies, %d services; want one of each", len(f.Policies), len(f.Services))
	}
	tt := f.Policies[0].Target
	down, up := tt.ScaleDown, tt.ScaleUp
	if down.StabilizationWindow != 600*time.Second || down.Select != headroom.SelectMin || len(down.Policies) != 2 || down.Policies[1].Value != 10 {
		t.Errorf("scaleDown: got %+v", down)
	}
	// scaleUp sets only selectPolicy: its policies and window stay default.
	if up.Select != headroom.SelectDisabled || len(up.Policies) != 2 || up.StabilizationWindow != 0 {
		t.Errorf("scaleUp: got %+v", up)
	}
	if tt.ScaleUpTolerance != 0.05 || tt.ScaleDownTolerance != DefaultTolerance {
		t.Errorf("tolerances: got up %v down %v", tt.ScaleUpTolerance, tt.ScaleDownTolerance)
	}
	if tt.Window != time.Minute || tt.Delay != 30*time.Second || tt.SyncPeriod != 30*time.Second {
		t.Errorf("observation: got window %s delay %s sync %s", tt.Window, tt.Delay, tt.SyncPeriod)
	}
	if f.Services[0].SLO.Window != DefaultSLOWindow || f.Services[0].Timeout() != headroom.DefaultRequestTimeout {
		t.Errorf("service defaults: got %+v", f.Services[0])
	}
}

const head = "apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nmetadata:\n  name: p\nspec:\n"

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want lists "line:field" of every problem, in order.
		want []string
		// text must appear in the messages.
		text string
	}{
		{"missing bounds", head + "  timeZone: UTC\n", []string{"6:spec.minInstances", "6:spec.maxInstances"}, "expected the lowest instance count"},
		{"misspelt field names the known ones", head + "  minInstances: 1\n  maxInstance: 5\n",
			[]string{"7:spec.maxInstance", "6:spec.maxInstances"}, "one of initialInstances, maxInstances"},
		{"bad time zone", head + "  minInstances: 1\n  maxInstances: 5\n  timeZone: Australia/Sidney\n", []string{"8:spec.timeZone"}, `got "Australia/Sidney"`},
		{"four-field cron", head + "  minInstances: 1\n  maxInstances: 5\n  schedules:\n  - name: n\n    cron: \"0 3 * *\"\n    minInstances: 2\n",
			[]string{"10:spec.schedules[0].cron"}, "5-field cron"},
		{"action that sets nothing", head + "  minInstances: 1\n  maxInstances: 5\n  schedules:\n  - name: n\n    cron: \"0 3 * * *\"\n",
			[]string{"9:spec.schedules[0]"}, "at least one of minInstances"},
		{"cpu target over 100", head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: cpu\n    target: 150\n",
			[]string{"10:spec.targetTracking.target"}, "at most 100 for cpu"},
		{"bare number duration", head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: cpu\n    target: 50\n    syncPeriod: 15\n",
			[]string{"11:spec.targetTracking.syncPeriod"}, "a bare number is ambiguous"},
		{"negative target and unknown metric", head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: memory\n    target: -5\n",
			[]string{"9:spec.targetTracking.metric", "10:spec.targetTracking.target"}, "cpu (utilization percent) or rps"},
		{"behavior limits", head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: cpu\n    target: 50\n    behavior:\n      scaleDown:\n        stabilizationWindowSeconds: 4000\n        policies:\n        - type: Pod\n          value: 0\n          periodSeconds: 15\n",
			[]string{"13:spec.targetTracking.behavior.scaleDown.stabilizationWindowSeconds", "15:spec.targetTracking.behavior.scaleDown.policies[0].type",
				"16:spec.targetTracking.behavior.scaleDown.policies[0].value"}, "Pods or Percent"},
		{"wrong type", head + "  minInstances: many\n  maxInstances: 5\n", []string{"6:"}, "cannot unmarshal"},
		{"wrong apiVersion", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {}\n", []string{"1:apiVersion"}, "headroom.dev/v1alpha1"},
		{"not a mapping", "- a\n- b\n", []string{"1:"}, "a mapping"},
		{"syntax error", head + "  minInstances: [1\n", []string{"5:"}, "valid YAML"},
		// Regression tests for numbers that broke the model: 4e18
		// instances overflowed the worker count, an infinite target passed.
		{"instance counts above the model's range", head + "  minInstances: 4000000000000000000\n  maxInstances: 4000000000000000000\n  schedules:\n  - name: n\n    cron: \"0 3 * * *\"\n    desiredInstances: 2000000\n",
			[]string{"6:spec.minInstances", "7:spec.maxInstances", "11:spec.schedules[0].desiredInstances"}, "at most 1000000"},
		{"infinite rps target", head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: rps\n    target: .inf\n",
			[]string{"10:spec.targetTracking.target"}, "a finite request rate from 0.001 to 1e+09"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("got no error")
			}
			if headroom.ErrorCode(err) != headroom.EINVALID {
				t.Errorf("code: got %s, want invalid", headroom.ErrorCode(err))
			}
			var got []string
			for _, e := range headroom.AsInputErrors(err) {
				got = append(got, strings.TrimSuffix(itoa(e.Line)+":"+e.Field, ":"))
			}
			if strings.Join(got, " ") != strings.TrimSuffix(strings.Join(tc.want, " "), ":") && !sameLines(got, tc.want) {
				t.Errorf("problems: got %v, want %v\n%v", got, tc.want, err)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "p.yaml:") {
				t.Errorf("message %q does not contain %q and the file name", err, tc.text)
			}
		})
	}
}

// sameLines compares "line:field" lists where a want of "N:" only pins the line.
func sameLines(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if strings.HasSuffix(want[i], ":") {
			if !strings.HasPrefix(got[i]+":", want[i]) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestWrongKindForRole(t *testing.T) {
	if _, err := LoadService("testdata/proposed.yaml"); err == nil || !strings.Contains(err.Error(), "exactly one document of kind Service") {
		t.Errorf("a policy file given as service: got %v", err)
	}
	if _, err := LoadPolicy(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("missing file: got %v, want an input error", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(head + "  minInstances: 1\n  maxInstances: 5\n"))
	// Numbers that broke the model (issue 11), refused at the boundary.
	f.Add([]byte(head + "  minInstances: 4000000000000000000\n  maxInstances: 4000000000000000000\n"))
	f.Add([]byte(head + "  minInstances: 1\n  maxInstances: 5\n  targetTracking:\n    metric: rps\n    target: .inf\n"))
	f.Add([]byte(strings.Replace(serviceHead, "capacityPerInstance: 100", "capacityPerInstance: .inf", 1)))
	f.Add([]byte(strings.Replace(serviceHead, "capacityPerInstance: 100", "capacityPerInstance: 6e18", 1)))
	f.Add([]byte(strings.Replace(serviceHead, "startupDelay: 3m", "startupDelay: -1s", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			if headroom.ErrorCode(err) != headroom.EINVALID {
				t.Fatalf("error of code %s: %v", headroom.ErrorCode(err), err)
			}
			return
		}
		for _, p := range file.Policies {
			if p.Min < 1 || p.Max < p.Min || p.Max > MaxInstances {
				t.Fatalf("accepted bounds %d..%d", p.Min, p.Max)
			}
			for _, s := range p.Schedules {
				if s.Schedule == nil || s.TimeZone == nil {
					t.Fatalf("accepted schedule without a parsed cron or zone: %+v", s)
				}
			}
		}
		for _, s := range file.Services {
			if !(s.CapacityPerInstance >= MinCapacityPerInstance && s.CapacityPerInstance <= MaxCapacityPerInstance) || s.SLO.Window < time.Second || s.StartupDelay < 0 {
				t.Fatalf("accepted service %+v", s)
			}
		}
	})
}

const serviceHead = `apiVersion: headroom.dev/v1alpha1
kind: Service
metadata:
  name: web
spec:
  capacityPerInstance: 100
  startupDelay: 3m
  baseLatency: 80ms
  slo:
    maxErrorRatio: 0.001
    maxLatency: 250ms
`

func parseService(t *testing.T, yaml string) (*headroom.Service, error) {
	t.Helper()
	f, err := Parse("s.yaml", []byte(yaml))
	if err != nil {
		return nil, err
	}
	return f.Services[0], nil
}

func TestDetectionRules(t *testing.T) {
	svc, err := parseService(t, (serviceHead + `  detection:
    rules:
    - name: fast
      long: 2m
      short: 30s
      factor: 50
      for: 30s
      keepFiringFor: 5m
    - name: slow-latency
      long: 10m
      latency: 1s
      severity: ticket
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []headroom.AlertRule{
		{Name: "fast", Long: 2 * time.Minute, Short: 30 * time.Second, Factor: 50, For: 30 * time.Second, KeepFiringFor: 5 * time.Minute, Severity: headroom.SeverityPage},
		{Name: "slow-latency", Long: 10 * time.Minute, Latency: time.Second, Severity: headroom.SeverityTicket},
	}
	if !reflect.DeepEqual(svc.Detection, want) {
		t.Errorf("got %+v, want %+v", svc.Detection, want)
	}

	_, err = parseService(t, (serviceHead + `  detection:
    rules:
    - name: capacity
      long: 2m
      short: 5m
      factor: -1
      severity: loud
`))
	var got []string
	for _, e := range headroom.AsInputErrors(err) {
		got = append(got, itoa(e.Line)+":"+e.Field)
	}
	wantErrs := []string{"14:spec.detection.rules[0].name", "18:spec.detection.rules[0].severity", "16:spec.detection.rules[0].short", "17:spec.detection.rules[0].factor"}
	if !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("problems: got %v, want %v\n%v", got, wantErrs, err)
	}
}

// Regression test for service numbers that broke the model: a
// capacityPerInstance of .inf passed every check, and one between 5e18 and
// 1e20 overflowed the worker count into "∞ failed requests".
func TestServiceNumbersInRange(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           string // "line:field"
	}{
		{"infinite capacity", "capacityPerInstance: 100", "capacityPerInstance: .inf", "6:spec.capacityPerInstance"},
		{"capacity past the model's range", "capacityPerInstance: 100", "capacityPerInstance: 6e18", "6:spec.capacityPerInstance"},
		{"NaN capacity", "capacityPerInstance: 100", "capacityPerInstance: .nan", "6:spec.capacityPerInstance"},
		{"startup delay of a year", "startupDelay: 3m", "startupDelay: 8760h", "7:spec.startupDelay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseService(t, strings.Replace(serviceHead, tt.from, tt.to, 1))
			errs := headroom.AsInputErrors(err)
			if len(errs) != 1 || itoa(errs[0].Line)+":"+errs[0].Field != tt.want {
				t.Fatalf("got %v, want one problem at %s", err, tt.want)
			}
		})
	}
}

func TestSLOPercentile(t *testing.T) {
	svcHead := strings.TrimSuffix(serviceHead, "    maxLatency: 250ms\n")
	tests := []struct {
		name                 string
		maxLatency           string
		wantMean, wantBound  time.Duration
		wantPercentile       float64
		wantErr, wantMessage string // "line:field", text
	}{
		{name: "a duration is the mean", maxLatency: "250ms", wantMean: 250 * time.Millisecond},
		{name: "a percentile alone bounds the mean too", maxLatency: "{p99: 500ms}",
			wantMean: 500 * time.Millisecond, wantPercentile: 99, wantBound: 500 * time.Millisecond},
		{name: "mean and a percentile", maxLatency: "\n      mean: 200ms\n      p99.9: 1s",
			wantMean: 200 * time.Millisecond, wantPercentile: 99.9, wantBound: time.Second},
		{name: "an unknown key", maxLatency: "\n      p100: 1s", wantErr: "12:spec.slo.maxLatency.p100", wantMessage: "from p50 to p99.99"},
		{name: "two percentiles", maxLatency: "\n      p95: 300ms\n      p99: 1s", wantErr: "13:spec.slo.maxLatency.p99", wantMessage: "one percentile"},
		{name: "a bare number", maxLatency: "\n      p99: 500", wantErr: "12:spec.slo.maxLatency.p99", wantMessage: "a bare number is ambiguous"},
		{name: "under the base latency", maxLatency: "{p95: 50ms}", wantErr: "11:spec.slo.maxLatency.p95", wantMessage: "above baseLatency"},
		{name: "empty mapping", maxLatency: "{}", wantErr: "11:spec.slo.maxLatency", wantMessage: "{p99: 500ms}"},
		{name: "a list", maxLatency: "[250ms]", wantErr: "11:spec.slo.maxLatency", wantMessage: "a duration such as 250ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := parseService(t, svcHead+"    maxLatency: "+tt.maxLatency+"\n")
			if tt.wantErr != "" {
				errs := headroom.AsInputErrors(err)
				if len(errs) != 1 || itoa(errs[0].Line)+":"+errs[0].Field != tt.wantErr || !strings.Contains(err.Error(), tt.wantMessage) {
					t.Fatalf("got %v, want one error at %s saying %q", err, tt.wantErr, tt.wantMessage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := svc.SLO
			if got.MaxLatency != tt.wantMean || got.Percentile != tt.wantPercentile || got.MaxPercentileLatency != tt.wantBound {
				t.Errorf("got mean %v, p%g %v; want mean %v, p%g %v", got.MaxLatency, got.Percentile, got.MaxPercentileLatency,
					tt.wantMean, tt.wantPercentile, tt.wantBound)
			}
		})
	}
}
