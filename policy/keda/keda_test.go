package keda_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/hpa"
	"github.com/headroomhq/headroom/policy/keda"
)

func parseFile(t *testing.T, file string) (*headroom.Policy, []string, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return keda.Parse(file, data)
}

func mustParse(t *testing.T, data string) (*headroom.Policy, []string) {
	t.Helper()
	p, warnings, err := keda.Parse("so.yaml", []byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p, warnings
}

// legacy is the TargetTracking of the HPA KEDA generates without a
// behavior section, before metrics.
func legacy(metrics ...headroom.MetricTarget) *headroom.TargetTracking {
	return &headroom.TargetTracking{
		Metrics:          metrics,
		ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		SyncPeriod: 15 * time.Second,
		Window:     policy.DefaultObservationWindow, Delay: policy.DefaultObservationDelay,
		Legacy:    true,
		ScaleDown: headroom.ScalingRules{StabilizationWindow: 300 * time.Second},
	}
}

func cpu(name string, percent float64) headroom.MetricTarget {
	return headroom.MetricTarget{Name: name, Kind: headroom.MetricCPU, Target: percent}
}

// withoutWindows returns the metrics with their cron windows cut out, to
// compare the rest with reflect.DeepEqual; the windows are checked apart.
func withoutWindows(t *headroom.TargetTracking) *headroom.TargetTracking {
	if t == nil {
		return nil
	}
	c := *t
	c.Metrics = nil
	for _, m := range t.Metrics {
		m.Window = nil
		c.Metrics = append(c.Metrics, m)
	}
	return &c
}

func TestParse(t *testing.T) {
	cron := func(name string) headroom.MetricTarget {
		return headroom.MetricTarget{Name: name, Kind: headroom.MetricCron, Target: 1, External: true}
	}
	rps := func(name string, target float64, total bool) headroom.MetricTarget {
		return headroom.MetricTarget{Name: name, Kind: headroom.MetricRPS, Target: target, Total: total, External: !total}
	}
	withFallback := func(tt *headroom.TargetTracking, threshold, replicas int) *headroom.TargetTracking {
		tt.Fallback = &headroom.Fallback{FailureThreshold: threshold, Replicas: replicas}
		return tt
	}
	tests := []struct {
		name     string
		file     string
		want     headroom.Policy
		warnings []string // substrings, one per warning, in order
	}{
		{
			name: "KEDA's cron example: minReplicaCount 0 becomes the HPA's 1, with a warning; max 100 by default",
			file: "testdata/docs-cron-kolkata.yaml",
			want: headroom.Policy{Name: "cron-scaledobject", Min: 1, Max: 100, Target: legacy(cron("cron[0]"))},
			warnings: []string{"docs-cron-kolkata.yaml:12: minReplicaCount is 0: in a cluster KEDA scales the workload to zero 300 s (cooldownPeriod) " +
				"after the last trigger was active, and back to 1 on activation; scaling to zero is not modelled, so the service stays at 1 or more"},
		},
		{
			name: "office hours: a named cron trigger and cpu, one metric each in order",
			file: "testdata/office-hours-cpu.yaml",
			want: headroom.Policy{Name: "api-gateway", Min: 2, Max: 20, Target: legacy(cron("office-hours"), cpu("cpu[1]", 70))},
		},
		{
			name: "several windows and cpu",
			file: "testdata/weekday-weekend-windows.yaml",
			want: headroom.Policy{Name: "orders", Min: 3, Max: 40, Target: legacy(cron("weekday"), cron("weekend"), cron("nightly-batch"), cpu("cpu[3]", 65))},
		},
		{
			name: "prometheus AverageValue (the default): External, threshold per replica; activationThreshold ignored",
			file: "testdata/prometheus-threshold.yaml",
			want: headroom.Policy{Name: "checkout-rps", Min: 3, Max: 30, Target: legacy(rps("prometheus[0]", 100, false))},
			warnings: []string{"prometheus-threshold.yaml:19: prometheus[0]: activationThreshold ignored: KEDA ignores it too, since minReplicaCount 3 keeps the scaler active",
				"prometheus-threshold.yaml:14: prometheus queries are read as the service's request rate in requests/s"},
		},
		{
			name:     "prometheus Value: the whole service's value against the threshold",
			file:     "testdata/prometheus-value.yaml",
			want:     headroom.Policy{Name: "search-latency", Min: 2, Max: 12, Target: legacy(rps("search-rps", 850.5, true))},
			warnings: []string{"threshold for the whole service (Value)"},
		},
		{
			name: "Deployment in the same file: its replicas start the simulation",
			file: "testdata/deployment-and-scaledobject.yaml",
			want: headroom.Policy{Name: "catalog", Min: 2, Max: 16, Initial: 4, Target: legacy(cpu("cpu[0]", 70), cron("cron[1]"))},
		},
		{
			name:     "StatefulSet above maxReplicaCount: clamped, with a warning",
			file:     "testdata/statefulset.yaml",
			want:     headroom.Policy{Name: "ingest", Min: 3, Max: 30, Initial: 30, Target: legacy(rps("prometheus[0]", 2000, false))},
			warnings: []string{`statefulset.yaml:23: StatefulSet "ingest" has replicas 40, above maxReplicaCount 30`, "prometheus queries"},
		},
		{
			name: "fallback: failureThreshold and replicas; cpu is not covered by KEDA's fallback",
			file: "testdata/fallback.yaml",
			want: headroom.Policy{Name: "notifications", Min: 2, Max: 24, Target: withFallback(legacy(rps("prometheus[0]", 40, false), cpu("cpu[1]", 75)), 3, 6)},
			warnings: []string{"fallback.yaml:12: KEDA falls back only for triggers with an AverageValue target, so not for cpu[1] (cpu)",
				"prometheus queries"},
		},
		{
			name:     "paused-replicas: fixed at N",
			file:     "testdata/paused-replicas.yaml",
			want:     headroom.Policy{Name: "reports", Min: 5, Max: 5, Initial: 5},
			warnings: []string{"paused-replicas.yaml:7: autoscaling is paused at 5 replicas"},
		},
		{
			name:     "paused: held where the workload is, between 1 and maxReplicaCount",
			file:     "testdata/paused.yaml",
			want:     headroom.Policy{Name: "billing", Min: 1, Max: 15, Initial: 7},
			warnings: []string{"paused.yaml:23: autoscaling is paused (autoscaling.keda.sh/paused): capacity is held where it is"},
		},
		{
			name: "deprecated metadata.type and containerName",
			file: "testdata/metadata-type-deprecated.yaml",
			want: headroom.Policy{Name: "legacy-worker", Min: 1, Max: 6, Target: legacy(cpu("cpu[0]", 80))},
			warnings: []string{"metadata-type-deprecated.yaml:14: cpu[0]: metadata.type is deprecated",
				`metadata-type-deprecated.yaml:16: cpu[0]: container "worker"`},
		},
		{
			name: "kubectl List export with status",
			file: "testdata/kubectl-export.yaml",
			want: headroom.Policy{Name: "frontend", Min: 3, Max: 25, Target: legacy(cron("cron[0]"), cpu("cpu[1]", 55))},
			warnings: []string{"kubectl-export.yaml:23: cooldownPeriod 300 only delays scaling to zero, which minReplicaCount 3 rules out: it has no effect; " +
				"scale-down from N waits for the HPA's scale-down stabilization window, here 5m0s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := parseFile(t, tt.file)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			tt.want.File = tt.file
			gotTarget, wantTarget := withoutWindows(got.Target), tt.want.Target
			g, w := *got, tt.want
			g.Target, w.Target, g.TimeZone = nil, nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("policy:\ngot  %+v\nwant %+v", g, w)
			}
			if !reflect.DeepEqual(gotTarget, wantTarget) {
				t.Errorf("target:\ngot  %+v\nwant %+v", gotTarget, wantTarget)
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("got %d warnings %q, want %d", len(warnings), warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d: got %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestCronWindow(t *testing.T) {
	p, _, err := parseFile(t, "testdata/docs-cron-kolkata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := p.Target.Metrics[0].Window
	if w == nil || w.StartSpec != "0 6 * * *" || w.EndSpec != "0 20 * * *" || w.Desired != 10 || w.TimeZone.String() != "Asia/Kolkata" {
		t.Fatalf("window: got %+v", w)
	}
	if p.Zone().String() != "Asia/Kolkata" {
		t.Errorf("policy zone: got %s, want the window's", p.Zone())
	}
	ist, _ := time.LoadLocation("Asia/Kolkata")
	from := time.Date(2021, 6, 30, 12, 0, 0, 0, ist)
	if got, want := w.Start.Next(from), time.Date(2021, 7, 1, 6, 0, 0, 0, ist); !got.Equal(want) {
		t.Errorf("next start: got %s, want %s", got.In(ist), want)
	}
	if got, want := w.End.Next(from), time.Date(2021, 6, 30, 20, 0, 0, 0, ist); !got.Equal(want) {
		t.Errorf("next end: got %s, want %s", got.In(ist), want)
	}
}

// TestNoBehaviorIsTheHPAsLegacyPath pins that a ScaledObject without
// advanced.horizontalPodAutoscalerConfig.behavior reads exactly as an HPA
// without behavior: KEDA creates its HPA without one.
func TestNoBehaviorIsTheHPAsLegacyPath(t *testing.T) {
	so, _ := mustParse(t, `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 2
  maxReplicaCount: 10
  triggers:
  - type: cpu
    metricType: Utilization
    metadata: {value: "60"}
`)
	h, _, err := hpa.Parse("hpa.yaml", []byte(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`))
	if err != nil {
		t.Fatal(err)
	}
	so.Target.Metrics[0].Name = "cpu"
	if !reflect.DeepEqual(so.Target, h.Target) {
		t.Errorf("ScaledObject:\n%+v\nHPA:\n%+v", so.Target, h.Target)
	}
}

func TestBehavior(t *testing.T) {
	p, _, err := parseFile(t, "testdata/advanced-behavior.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &headroom.TargetTracking{
		Metrics:          []headroom.MetricTarget{cpu("cpu[0]", 60), {Name: "prometheus[1]", Kind: headroom.MetricRPS, Target: 250, External: true}},
		ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		SyncPeriod: 15 * time.Second, Window: policy.DefaultObservationWindow, Delay: policy.DefaultObservationDelay,
		ScaleUp: headroom.ScalingRules{Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
			{Kind: headroom.RatePercent, Value: 200, Period: 30 * time.Second},
			{Kind: headroom.RatePods, Value: 8, Period: 30 * time.Second},
		}},
		ScaleDown: headroom.ScalingRules{StabilizationWindow: 600 * time.Second, Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
			{Kind: headroom.RatePods, Value: 2, Period: 60 * time.Second},
		}},
	}
	if !reflect.DeepEqual(p.Target, want) {
		t.Errorf("got  %+v\nwant %+v", p.Target, want)
	}
}

func TestPauseOneDirection(t *testing.T) {
	p, warnings, err := parseFile(t, "testdata/paused-scale-in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The generated HPA gets a behavior: the defaults, with scale-down
	// disabled.
	if p.Target.Legacy || p.Target.ScaleDown.Select != headroom.SelectDisabled || p.Target.ScaleUp.Select != headroom.SelectMax {
		t.Errorf("got legacy %t, scaleDown %q, scaleUp %q; want a behavior with scale-down disabled", p.Target.Legacy, p.Target.ScaleDown.Select, p.Target.ScaleUp.Select)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "paused-scale-in.yaml:7: scale-in is paused") {
		t.Errorf("warnings: %q", warnings)
	}
	p, _ = mustParse(t, `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  annotations: {autoscaling.keda.sh/paused-scale-out: "true"}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleUp: {stabilizationWindowSeconds: 60}
  triggers:
  - {type: cpu, metricType: Utilization, metadata: {value: "60"}}
`)
	if p.Target.ScaleUp.Select != headroom.SelectDisabled || p.Target.ScaleUp.StabilizationWindow != time.Minute {
		t.Errorf("scaleUp: got %+v, want the file's window with selectPolicy Disabled", p.Target.ScaleUp)
	}
}

const minimal = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
ANNOTATIONS
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 2
  maxReplicaCount: 9
  triggers:
  - type: cpu
    metricType: Utilization
    metadata: {value: "60"}
`

func withAnnotations(a string) string { return strings.Replace(minimal, "ANNOTATIONS", a, 1) }

func TestPause(t *testing.T) {
	tests := []struct {
		name        string
		annotations string
		// wantTarget says whether target tracking runs; min, max and
		// initial are the policy's.
		wantTarget         bool
		min, max, initial  int
		warning            string
		wantErrField       string
		wantErrLine        int
		wantErrExpectation string
	}{
		{name: "no annotation", annotations: "", wantTarget: true, min: 2, max: 9},
		{name: "paused: false unpauses", annotations: `  annotations: {autoscaling.keda.sh/paused: "false"}`, wantTarget: true, min: 2, max: 9},
		{name: "paused: true", annotations: `  annotations: {autoscaling.keda.sh/paused: "true"}`, min: 1, max: 9, warning: "autoscaling is paused"},
		{name: "paused: not a boolean still pauses, as KEDA does", annotations: `  annotations: {autoscaling.keda.sh/paused: "yes"}`, min: 1, max: 9,
			warning: `"yes" is not a boolean; KEDA pauses autoscaling anyway`},
		{name: "paused-replicas wins over paused", annotations: "  annotations:\n    autoscaling.keda.sh/paused: \"true\"\n    autoscaling.keda.sh/paused-replicas: \"3\"",
			min: 3, max: 3, initial: 3, warning: "paused at 3 replicas"},
		{name: "paused-replicas beyond maxReplicaCount: KEDA scales to it all the same", annotations: `  annotations: {autoscaling.keda.sh/paused-replicas: "12"}`,
			min: 12, max: 12, initial: 12, warning: "paused at 12 replicas"},
		{name: "paused-replicas 0 is scaling to zero", annotations: `  annotations: {autoscaling.keda.sh/paused-replicas: "0"}`,
			wantErrField: `metadata.annotations["autoscaling.keda.sh/paused-replicas"]`, wantErrLine: 5, wantErrExpectation: "at least 1"},
		{name: "paused-replicas not a number", annotations: `  annotations: {autoscaling.keda.sh/paused-replicas: "five"}`,
			wantErrField: `metadata.annotations["autoscaling.keda.sh/paused-replicas"]`, wantErrLine: 5, wantErrExpectation: `a replica count in quotes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := keda.Parse("so.yaml", []byte(withAnnotations(tt.annotations)))
			if tt.wantErrField != "" {
				policytest.CheckErrors(t, err, "so.yaml", []wantErr{{tt.wantErrLine, tt.wantErrField, tt.wantErrExpectation}})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p.Target != nil) != tt.wantTarget || p.Min != tt.min || p.Max != tt.max || p.Initial != tt.initial {
				t.Errorf("got target %t min %d max %d initial %d, want %t %d %d %d", p.Target != nil, p.Min, p.Max, p.Initial, tt.wantTarget, tt.min, tt.max, tt.initial)
			}
			if tt.warning == "" && len(warnings) > 0 || tt.warning != "" && (len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), tt.warning)) {
				t.Errorf("warnings %q, want %q", warnings, tt.warning)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	p, warnings := mustParse(t, `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web}
spec:
  scaleTargetRef: {name: web}
  triggers:
  - type: prometheus
    metadata: {serverAddress: "http://prom:9090", query: "sum(rate(x[1m]))", threshold: "10"}
  - type: prometheus
    metricType: AverageValue
    metadata: {serverAddress: "http://prom:9090", query: "sum(rate(y[1m]))", threshold: "0.5"}
`)
	// minReplicaCount 0 and maxReplicaCount 100 are KEDA's defaults; the
	// HPA's floor is 1.
	if p.Min != 1 || p.Max != 100 {
		t.Errorf("bounds: got %d..%d, want 1..100", p.Min, p.Max)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "so.yaml:4: minReplicaCount is left out (KEDA's default is 0)") {
		t.Fatalf("warnings: %q", warnings)
	}
	// One warning for all prometheus triggers, at the first.
	if !strings.Contains(warnings[1], "so.yaml:7: prometheus queries are read as the service's request rate in requests/s: prometheus[0]") ||
		!strings.Contains(warnings[1], "; prometheus[1]") {
		t.Errorf("prometheus warning: %q", warnings[1])
	}
}

func TestFallbackWarnsAboutValueTriggers(t *testing.T) {
	_, warnings := mustParse(t, `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
  fallback: {failureThreshold: 2, replicas: 4}
  triggers:
  - type: prometheus
    name: total
    metricType: Value
    metadata: {serverAddress: "http://prom:9090", query: "sum(rate(x[1m]))", threshold: "10"}
`)
	if len(warnings) != 2 || !strings.Contains(warnings[0], "so.yaml:7: KEDA falls back only for triggers with an AverageValue target, so not for total (metricType Value)") {
		t.Errorf("warnings: %q", warnings)
	}
}

type wantErr policytest.WantError

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []wantErr
	}{
		{"a time zone that is not in the IANA database", "testdata/bad-timezone.yaml",
			[]wantErr{{12, "spec.triggers[0].metadata.timezone", "an IANA time zone name"}}},
		{"start == end", "testdata/bad-start-equals-end.yaml",
			[]wantErr{{14, "spec.triggers[0].metadata.end", "a time other than start"}}},
		{"memory trigger", "testdata/bad-memory.yaml",
			[]wantErr{{14, "spec.triggers[1].type", "memory is not modelled"}}},
		{"another scaler", "testdata/bad-unknown-trigger.yaml",
			[]wantErr{{11, "spec.triggers[0].type", "a trigger type headroom models: cron, cpu or prometheus"}}},
		{`desiredReplicas "ten"`, "testdata/bad-desired-ten.yaml",
			[]wantErr{{15, "spec.triggers[0].metadata.desiredReplicas", `a whole number of replicas in quotes, such as "10"`}}},
		{"desiredReplicas unquoted: metadata holds strings", "testdata/bad-unquoted-desired.yaml",
			[]wantErr{{15, "spec.triggers[0].metadata.desiredReplicas", `a string (write it in quotes: "10")`}}},
		{"two ScaledObjects", "testdata/bad-two-scaledobjects.yaml",
			[]wantErr{{14, "kind", `exactly one ScaledObject per file, found 2: "web" (line 1), "worker" (line 14)`}}},
		{"cpu without metricType: KEDA has no default", "testdata/bad-cpu-no-metrictype.yaml",
			[]wantErr{{10, "spec.triggers[0].metricType", "KEDA's cpu scaler has no default"}}},
		{"an HPA field name", "testdata/bad-misspelt-field.yaml",
			[]wantErr{{8, "spec.minReplicas", "a ScaledObject says spec.minReplicaCount"}}},
		{"no triggers", "testdata/bad-no-triggers.yaml",
			[]wantErr{{10, "spec.triggers", "at least one trigger"}}},
		{"fallback: missing replicas, threshold 0, another behavior; a quantity threshold", "testdata/bad-fallback.yaml", []wantErr{
			{9, "spec.fallback.replicas", "required in a fallback section"},
			{10, "spec.fallback.failureThreshold", "at least 1"},
			{11, "spec.fallback.behavior", "static (the default)"},
			{17, "spec.triggers[0].metadata.threshold", "a positive number"},
		}},
		{"scaling modifiers; a trigger name used twice", "testdata/bad-scaling-modifiers.yaml", []wantErr{
			{10, "spec.advanced.scalingModifiers", "not modelled"},
			{21, "spec.triggers[1].name", "a name no other trigger has"},
		}},
		{"KEDA 1.x", "testdata/bad-keda-v1.yaml", []wantErr{{1, "apiVersion", "keda.sh/v1alpha1"}}},
		{"no ScaledObject, a ScaledJob", "testdata/bad-no-scaledobject.yaml",
			[]wantErr{{1, "kind", `found none among Deployment "jobs" (line 1), ScaledJob "jobs" (line 8); a ScaledJob runs a Job per event`}}},
		{"invalid YAML", "testdata/bad-yaml.yaml", []wantErr{{9, "", "valid YAML"}}},
		{"every problem at once, in file order", "testdata/bad-bounds.yaml", []wantErr{
			{6, `metadata.annotations["autoscaling.keda.sh/paused-scale-out"]`, `"true" or "false"`},
			{11, "spec.maxReplicaCount", "at least minReplicaCount (12)"},
			{12, "spec.idleReplicaCount", "less than minReplicaCount (12)"},
			{15, "spec.triggers[0].metricType", "AverageValue (the default)"},
			{17, "spec.triggers[0].metadata.timezone", "an IANA time zone name"},
			{18, "spec.triggers[0].metadata.start", "no descriptors such as @daily"},
			{19, "spec.triggers[0].metadata.end", "above maximum (23)"},
			{20, "spec.triggers[0].metadata.desiredReplicas", "at least 1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := parseFile(t, tt.file)
			if p != nil || warnings != nil {
				t.Errorf("got a policy or warnings with an error")
			}
			policytest.CheckErrors(t, err, tt.file, tt.want)
			if err != nil && !strings.HasPrefix(err.Error(), tt.file+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestTriggerErrors(t *testing.T) {
	const head = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
  triggers:
`
	tests := []struct {
		name    string
		trigger string
		want    []wantErr
	}{
		{"cron without timezone", "  - type: cron\n    metadata: {start: 0 6 * * *, end: 0 20 * * *, desiredReplicas: \"4\"}\n",
			[]wantErr{{9, "spec.triggers[0].metadata.timezone", "timezone is required"}}},
		{"cron without desiredReplicas", "  - type: cron\n    metadata: {timezone: UTC, start: 0 6 * * *, end: 0 20 * * *}\n",
			[]wantErr{{9, "spec.triggers[0].metadata.desiredReplicas", "desiredReplicas is required"}}},
		{"cron with six fields", "  - type: cron\n    metadata: {timezone: UTC, start: 0 0 6 * * *, end: 0 20 * * *, desiredReplicas: \"4\"}\n",
			[]wantErr{{9, "spec.triggers[0].metadata.start", "a 5-field cron expression"}}},
		{"start == end, spelt differently", "  - type: cron\n    metadata: {timezone: UTC, start: 0 6 * * *, end: \"0  6 * * *\", desiredReplicas: \"4\"}\n",
			[]wantErr{{9, "spec.triggers[0].metadata.end", "a time other than start"}}},
		{"cpu AverageValue: absolute CPU", "  - type: cpu\n    metricType: AverageValue\n    metadata: {value: 500m}\n",
			[]wantErr{{9, "spec.triggers[0].metricType", "absolute CPU targets are not modelled"}}},
		{"cpu with metricType and metadata.type", "  - type: cpu\n    metricType: Utilization\n    metadata: {type: Utilization, value: \"60\"}\n",
			[]wantErr{{10, "spec.triggers[0].metadata.type", "KEDA refuses a cpu trigger with both"}}},
		{"cpu value in percent with a decimal", "  - type: cpu\n    metricType: Utilization\n    metadata: {value: \"62.5\"}\n",
			[]wantErr{{10, "spec.triggers[0].metadata.value", "a whole percentage"}}},
		{"prometheus without query and threshold", "  - type: prometheus\n    metadata: {serverAddress: \"http://prom:9090\"}\n",
			[]wantErr{{9, "spec.triggers[0].metadata.query", "query is required"}, {9, "spec.triggers[0].metadata.threshold", "threshold is required"}}},
		{"prometheus Utilization", "  - type: prometheus\n    metricType: Utilization\n    metadata: {serverAddress: \"http://prom:9090\", query: up, threshold: \"1\"}\n",
			[]wantErr{{9, "spec.triggers[0].metricType", "only the cpu and memory scalers have Utilization"}}},
		{"a trigger without type", "  - metadata: {value: \"60\"}\n",
			[]wantErr{{8, "spec.triggers[0].type", "the trigger's type"}}},
		{"a misspelt trigger field", "  - type: cpu\n    metrictype: Utilization\n    metadata: {value: \"60\"}\n",
			[]wantErr{{9, "spec.triggers[0].metrictype", `"metricType"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := keda.Parse("so.yaml", []byte(head+tt.trigger))
			policytest.CheckErrors(t, err, "so.yaml", tt.want)
		})
	}
}

func TestBehaviorErrorsNameTheirLines(t *testing.T) {
	_, _, err := keda.Parse("so.yaml", []byte(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          selectPolicy: Slowest
          stabilizationWindowSeconds: 7200
  triggers:
  - {type: cpu, metricType: Utilization, metadata: {value: "60"}}
`))
	policytest.CheckErrors(t, err, "so.yaml", []wantErr{
		{11, "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.selectPolicy", "Max, Min or Disabled"},
		{12, "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds", "seconds in 0..3600"},
	})
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"a ScaledObject", withAnnotations(""), true},
		{"after its Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n" + withAnnotations(""), true},
		{"with a YAML error, by its lines", withAnnotations("") + "  bad: [\n", true},
		{"in a List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: keda.sh/v1alpha1\n  kind: ScaledObject\n  metadata: {name: web}\n", true},
		{"an HPA", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n", false},
		{"a ScaledJob", "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\n", false},
		{"another group's ScaledObject", "apiVersion: example.com/v1\nkind: ScaledObject\n", false},
		{"not YAML", "\x00\x01[", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keda.Detect([]byte(tt.data)); got != tt.want {
				t.Errorf("Detect = %t, want %t", got, tt.want)
			}
		})
	}
}
