package hpa_test

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/hpa"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// legacy is the TargetTracking of an HPA without behavior, before metrics.
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

// withBehavior is the TargetTracking of an HPA with a behavior section,
// starting from the API defaults.
func withBehavior(metrics ...headroom.MetricTarget) *headroom.TargetTracking {
	t := legacy(metrics...)
	t.Legacy = false
	t.ScaleUp = headroom.ScalingRules{Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
		{Kind: headroom.RatePods, Value: 4, Period: 15 * time.Second},
		{Kind: headroom.RatePercent, Value: 100, Period: 15 * time.Second},
	}}
	t.ScaleDown = headroom.ScalingRules{StabilizationWindow: 300 * time.Second, Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
		{Kind: headroom.RatePercent, Value: 100, Period: 15 * time.Second},
	}}
	return t
}

func cpu(percent float64) headroom.MetricTarget {
	return headroom.MetricTarget{Name: "cpu", Kind: headroom.MetricCPU, Target: percent}
}

func rate(name string, target float64) headroom.MetricTarget {
	return headroom.MetricTarget{Name: name, Kind: headroom.MetricRPS, Target: target}
}

func parseFile(t *testing.T, file string) (*headroom.Policy, []string, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return hpa.Parse(file, data)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		want     headroom.Policy
		warnings []string // substrings, one per warning, in order
	}{
		{
			name: "walkthrough php-apache: cpu 50%, no behavior takes the legacy path",
			file: "testdata/php-apache.yaml",
			want: headroom.Policy{Name: "php-apache", Min: 1, Max: 10, Target: legacy(cpu(50))},
		},
		{
			name: "Deployment in the same file: its replicas start the simulation",
			file: "testdata/deployment-and-hpa.yaml",
			want: headroom.Policy{Name: "checkout", Min: 2, Max: 20, Initial: 3, Target: legacy(cpu(70))},
		},
		{
			name: "no minReplicas, no metrics: min 1 and cpu 80%",
			file: "testdata/default-metrics.yaml",
			want: headroom.Policy{Name: "thumbnailer", Min: 1, Max: 5, Target: legacy(cpu(80))},
		},
		{
			name: "behavior with scaleDown policies, Min select and a 10 minute window",
			file: "testdata/behavior-scaledown.yaml",
			want: headroom.Policy{Name: "api", Min: 4, Max: 60, Target: func() *headroom.TargetTracking {
				tt := withBehavior(cpu(65))
				tt.ScaleUp.Policies = []headroom.RatePolicy{
					{Kind: headroom.RatePercent, Value: 100, Period: 15 * time.Second},
					{Kind: headroom.RatePods, Value: 4, Period: 15 * time.Second},
				}
				tt.ScaleDown = headroom.ScalingRules{StabilizationWindow: 600 * time.Second, Select: headroom.SelectMin, Policies: []headroom.RatePolicy{
					{Kind: headroom.RatePercent, Value: 10, Period: time.Minute},
					{Kind: headroom.RatePods, Value: 5, Period: time.Minute},
				}}
				return tt
			}()},
		},
		{
			name: "scaleUp Disabled keeps the default policies; scaleDown policies replace the default",
			file: "testdata/scaleup-disabled.yaml",
			want: headroom.Policy{Name: "batch-ingest", Min: 2, Max: 12, Target: func() *headroom.TargetTracking {
				tt := withBehavior(cpu(75))
				tt.ScaleUp.Select = headroom.SelectDisabled
				tt.ScaleDown.Policies = []headroom.RatePolicy{{Kind: headroom.RatePods, Value: 1, Period: 300 * time.Second}}
				return tt
			}()},
		},
		{
			name: "Pods metric read as requests per second per instance, beside cpu",
			file: "testdata/pods-metric.yaml",
			want: headroom.Policy{Name: "frontend", Min: 3, Max: 30, Target: func() *headroom.TargetTracking {
				tt := withBehavior(rate("http_requests_per_second", 100), cpu(80))
				tt.ScaleDown.StabilizationWindow = 120 * time.Second
				return tt
			}()},
			warnings: []string{`pods-metric.yaml:16: metric "http_requests_per_second" (Pods) is read as requests per second per instance`},
		},
		{
			name: "External Value is a whole-service target; AverageValue is divided by the instance count",
			file: "testdata/external-value.yaml",
			want: headroom.Policy{Name: "order-worker", Min: 1, Max: 25, Target: legacy(
				headroom.MetricTarget{Name: "queue_messages_ready", Kind: headroom.MetricRPS, Target: 30, Total: true},
				headroom.MetricTarget{Name: "sqs_messages_visible", Kind: headroom.MetricRPS, Target: 0.5, External: true},
			)},
			warnings: []string{`metric "queue_messages_ready" (External, Value) is read as requests per second for the whole service; metric "sqs_messages_visible" (External, AverageValue)`},
		},
		{
			name: "Object metric on an Ingress, Value 10k and AverageValue 250",
			file: "testdata/object-metric.yaml",
			want: headroom.Policy{Name: "main-route", Min: 2, Max: 40, Target: legacy(
				headroom.MetricTarget{Name: "requests-per-second", Kind: headroom.MetricRPS, Target: 10000, Total: true},
				headroom.MetricTarget{Name: "requests-per-second", Kind: headroom.MetricRPS, Target: 250, External: true},
			)},
			warnings: []string{`(Object, Value)`},
		},
		{
			name:     "autoscaling/v1 with its StatefulSet above maxReplicas: clamped, with a warning",
			file:     "testdata/v1.yaml",
			want:     headroom.Policy{Name: "search", Min: 3, Max: 10, Initial: 10, Target: legacy(cpu(60))},
			warnings: []string{`v1.yaml:29: StatefulSet "search" has replicas 12, above maxReplicas 10`},
		},
		{
			name: "autoscaling/v2beta2 is read as v2, with a warning",
			file: "testdata/v2beta2.yaml",
			want: headroom.Policy{Name: "legacy-web", Min: 2, Max: 8, Target: func() *headroom.TargetTracking {
				tt := withBehavior(cpu(60))
				tt.ScaleDown.StabilizationWindow = time.Minute
				return tt
			}()},
			warnings: []string{"v2beta2.yaml:2: autoscaling/v2beta2 was removed in Kubernetes 1.26"},
		},
		{
			name:     "ContainerResource cpu is taken as the pod's, with a warning",
			file:     "testdata/container-resource.yaml",
			want:     headroom.Policy{Name: "payments", Min: 2, Max: 16, Target: legacy(cpu(60))},
			warnings: []string{`container-resource.yaml:17: container "application": its CPU utilization is taken as the pod's`},
		},
		{
			name: "per-direction tolerance, as a number and as a quantity",
			file: "testdata/tolerance.yaml",
			want: headroom.Policy{Name: "ledger", Min: 6, Max: 48, Target: func() *headroom.TargetTracking {
				tt := withBehavior(cpu(55))
				tt.ScaleUpTolerance, tt.ScaleDownTolerance = 0.05, 0.15
				tt.ScaleDown.StabilizationWindow = 900 * time.Second
				return tt
			}()},
		},
		{
			name: "kubectl get -o yaml: a List with metadata and status",
			file: "testdata/kubectl-export.yaml",
			want: headroom.Policy{Name: "cart", Min: 3, Max: 15, Target: legacy(cpu(60))},
		},
		{
			name:     "scaleTargetRef naming a workload that is not in the file: a warning, no initial count",
			file:     "testdata/target-not-in-file.yaml",
			want:     headroom.Policy{Name: "web-v2", Min: 2, Max: 12, Target: legacy(cpu(80))},
			warnings: []string{`target-not-in-file.yaml:28: scaleTargetRef names Deployment "web", which is not in this file (it holds Deployment "web-v2")`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := parseFile(t, tt.file)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			tt.want.File = tt.file
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(&tt.want))
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("got warnings %q, want %d", warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d: got %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func show(p *headroom.Policy) string {
	s := fmt.Sprintf("%+v", *p)
	if p.Target != nil {
		s += fmt.Sprintf("\n     target %+v", *p.Target)
	}
	return s
}

type wantError policytest.WantError

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []wantError
	}{
		{"memory metric is not modelled", "testdata/bad-memory.yaml",
			[]wantError{{21, "spec.metrics[1].resource.name", "memory is not modelled"}}},
		{"misspelt field under behavior, with a suggestion", "testdata/bad-misspelt-behavior.yaml",
			[]wantError{{14, "spec.behavior.scaleDown.stabilisationWindowSeconds", `expected "stabilizationWindowSeconds"`}}},
		{"minReplicas above maxReplicas", "testdata/bad-min-gt-max.yaml",
			[]wantError{{11, "spec.maxReplicas", "at least minReplicas (8)"}}},
		{"two HPAs in one file, both named", "testdata/bad-two-hpas.yaml",
			[]wantError{{12, "kind", `found 2: "web" (line 1), "worker" (line 12)`}}},
		{"periodSeconds above the API limit", "testdata/bad-period.yaml",
			[]wantError{{17, "spec.behavior.scaleDown.policies[0].periodSeconds", "seconds in 1..1800"}}},
		{"absolute CPU target", "testdata/bad-absolute-cpu.yaml",
			[]wantError{{17, "spec.metrics[0].resource.target.averageValue", "absolute CPU targets are not modelled"}}},
		{"minReplicas 0 is scaling to zero", "testdata/bad-scale-to-zero.yaml",
			[]wantError{{10, "spec.minReplicas", "scaling to zero"}}},
		{"every behavior problem at once, in file order", "testdata/bad-select-policy.yaml", []wantError{
			{13, "spec.behavior.scaleUp.selectPolicy", "Max, Min or Disabled"},
			{14, "spec.behavior.scaleUp.stabilizationWindowSeconds", "seconds in 0..3600"},
			{16, "spec.behavior.scaleUp.policies[0].type", "Pods or Percent"},
			{17, "spec.behavior.scaleUp.policies[0].value", "positive"},
		}},
		{"quoted integer and malformed quantity", "testdata/bad-quantity.yaml", []wantError{
			{10, "spec.maxReplicas", "without quotes"},
			{18, "spec.metrics[0].pods.target.averageValue", "a quantity such as"},
		}},
		{"YAML syntax", "testdata/bad-yaml.yaml", []wantError{{10, "", "mapping values are not allowed"}}},
		{"no HPA in the file", "testdata/bad-no-hpa.yaml", []wantError{{1, "kind", `found none among Deployment "web" (line 1)`}}},
		{"autoscaling/v2beta1 has another shape", "testdata/bad-v2beta1.yaml", []wantError{{1, "apiVersion", "removed in Kubernetes 1.25"}}},
		{"autoscaling/v1 with v2 metrics in annotations", "testdata/bad-v1-annotations.yaml",
			[]wantError{{8, `metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"]`, "hpa.v2.autoscaling web"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parseFile(t, tt.file)
			if err == nil {
				t.Fatalf("got policy %+v, want an error", p)
			}
			policytest.CheckErrors(t, err, tt.file, tt.want)
		})
	}
}

// Inline cases for rules that need no corpus file.
func TestParseInline(t *testing.T) {
	const head = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n"
	tests := []struct {
		name string
		yaml string
		want []wantError // nil: no error
		// check inspects a successful result.
		check func(t *testing.T, p *headroom.Policy, warnings []string)
	}{
		{
			name: "misspelt field directly under spec",
			yaml: head + "  maxReplica: 10\n",
			want: []wantError{{7, "spec.maxReplica", `expected "maxReplicas"`}},
		},
		{
			name: "field names are case-sensitive, as the API server's",
			yaml: head + "  MaxReplicas: 10\n",
			want: []wantError{{7, "spec.MaxReplicas", `expected "maxReplicas"`}},
		},
		{
			name: "a field set twice",
			yaml: head + "  maxReplicas: 10\n  maxReplicas: 12\n",
			want: []wantError{{8, "spec.maxReplicas", "already set on line 7"}},
		},
		{
			name: "policies: [] is an error, not the defaults",
			yaml: head + "  maxReplicas: 10\n  behavior:\n    scaleUp:\n      policies: []\n",
			want: []wantError{{10, "spec.behavior.scaleUp.policies", "at least one policy"}},
		},
		{
			name: "negative tolerance",
			yaml: head + "  maxReplicas: 10\n  behavior:\n    scaleDown:\n      tolerance: -0.1\n",
			want: []wantError{{10, "spec.behavior.scaleDown.tolerance", "at least 0"}},
		},
		{
			name: "Pods metric with a Utilization target",
			yaml: head + "  maxReplicas: 10\n  metrics:\n  - type: Pods\n    pods:\n      metric: {name: rps}\n      target: {type: Utilization, averageUtilization: 50}\n",
			want: []wantError{{12, "spec.metrics[0].pods.target.averageValue", "AverageValue targets only"}},
		},
		{
			name: "metric type and source disagree",
			yaml: head + "  maxReplicas: 10\n  metrics:\n  - type: Pods\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n",
			want: []wantError{{9, "spec.metrics[0].pods", "a pods section"}, {10, "spec.metrics[0].resource", "only the pods section"}},
		},
		{
			name: "unknown metric type",
			yaml: head + "  maxReplicas: 10\n  metrics:\n  - type: Prometheus\n",
			want: []wantError{{9, "spec.metrics[0].type", "Resource, ContainerResource, Pods, Object or External"}},
		},
		{
			name: "cpu Value target is absolute",
			yaml: head + "  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Value, value: 2}}\n",
			want: []wantError{{10, "spec.metrics[0].resource.target.value", "absolute CPU"}},
		},
		{
			name: "ephemeral-storage is not modelled",
			yaml: head + "  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource:\n      name: ephemeral-storage\n      target: {type: Utilization, averageUtilization: 50}\n",
			want: []wantError{{11, "spec.metrics[0].resource.name", "only CPU and request rate"}},
		},
		{
			name: "no spec",
			yaml: "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n",
			want: []wantError{{1, "spec", "a spec with scaleTargetRef"}},
		},
		{
			name: "scaleTargetRef is required",
			yaml: "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  maxReplicas: 3\n",
			want: []wantError{{5, "spec.scaleTargetRef.kind", "kind of the scaled workload"}, {5, "spec.scaleTargetRef.name", "name of the scaled workload"}},
		},
		{
			name: "v1 targetCPUUtilizationPercentage 0",
			yaml: "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: 0\n",
			want: []wantError{{7, "spec.targetCPUUtilizationPercentage", "at least 1"}},
		},
		{
			name: "v1 without a target takes 80%",
			yaml: "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 3\n",
			check: func(t *testing.T, p *headroom.Policy, _ []string) {
				if !reflect.DeepEqual(p.Target.Metrics, []headroom.MetricTarget{cpu(80)}) || !p.Target.Legacy {
					t.Errorf("got %+v, want cpu 80 on the legacy path", p.Target)
				}
			},
		},
		{
			name: "Deployment without replicas starts at 1, raised to minReplicas",
			yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template: {}\n---\n" + head + "  minReplicas: 3\n  maxReplicas: 9\n",
			check: func(t *testing.T, p *headroom.Policy, warnings []string) {
				if p.Initial != 3 || len(warnings) != 1 || !strings.Contains(warnings[0], `Deployment "web" has replicas 1, below minReplicas 3`) {
					t.Errorf("got initial %d, warnings %q", p.Initial, warnings)
				}
			},
		},
		{
			name: "Deployment with replicas 0 deactivates the HPA in a cluster",
			yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 0\n---\n" + head + "  maxReplicas: 9\n",
			check: func(t *testing.T, p *headroom.Policy, warnings []string) {
				if p.Initial != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], "deactivates the HPA") {
					t.Errorf("got initial %d, warnings %q", p.Initial, warnings)
				}
			},
		},
		{
			name: "fields the apps/v1 types do not know are let through in the workload",
			yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  someFutureField: true\n---\n" + head + "  maxReplicas: 9\n",
			check: func(t *testing.T, p *headroom.Policy, _ []string) {
				if p.Initial != 4 {
					t.Errorf("got initial %d, want 4", p.Initial)
				}
			},
		},
		{
			name: "a workload's replicas of the wrong type is an error",
			yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n---\n" + head + "  maxReplicas: 9\n",
			want: []wantError{{5, "spec.replicas", "an integer"}},
		},
		{
			name: "a workload in another namespace is not the target",
			yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  replicas: 4\n---\n" +
				strings.Replace(head, "name: web\n", "name: web\n  namespace: b\n", 1) + "  maxReplicas: 9\n",
			check: func(t *testing.T, p *headroom.Policy, warnings []string) {
				if p.Initial != 0 || len(warnings) != 1 {
					t.Errorf("got initial %d, warnings %q; want 0 and one warning", p.Initial, warnings)
				}
			},
		},
		{
			name: "maxReplicas left out",
			yaml: head + "  minReplicas: 2\n",
			want: []wantError{{5, "spec.maxReplicas", "maxReplicas is required"}},
		},
		{
			name: "an aliased policy",
			yaml: head + "  maxReplicas: 9\n  behavior:\n    scaleUp:\n      policies:\n      - &p {type: Pods, value: 2, periodSeconds: 60}\n    scaleDown:\n      policies:\n      - *p\n",
			check: func(t *testing.T, p *headroom.Policy, _ []string) {
				want := []headroom.RatePolicy{{Kind: headroom.RatePods, Value: 2, Period: time.Minute}}
				if !reflect.DeepEqual(p.Target.ScaleDown.Policies, want) || !reflect.DeepEqual(p.Target.ScaleUp.Policies, want) {
					t.Errorf("got %+v", p.Target)
				}
			},
		},
		{
			name: "merge keys inside the HPA",
			yaml: head + "  maxReplicas: 9\n  behavior:\n    scaleUp: &up\n      policies:\n      - {type: Pods, value: 2, periodSeconds: 60}\n    scaleDown:\n      <<: *up\n      selectPolicy: Min\n",
			check: func(t *testing.T, p *headroom.Policy, _ []string) {
				want := []headroom.RatePolicy{{Kind: headroom.RatePods, Value: 2, Period: time.Minute}}
				if d := p.Target.ScaleDown; !reflect.DeepEqual(d.Policies, want) || d.Select != headroom.SelectMin {
					t.Errorf("scaleDown: got %+v, want the merged policies with select Min", d)
				}
			},
		},
		{
			name: "a label key with dots names its line",
			yaml: strings.Replace(head, "name: web\n", "name: web\n  labels:\n    app.kubernetes.io/part-of: 7\n", 1) + "  maxReplicas: 9\n",
			want: []wantError{{6, `metadata.labels["app.kubernetes.io/part-of"]`, "a string"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := hpa.Parse("hpa.yaml", []byte(tt.yaml))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				if tt.check != nil {
					tt.check(t, p, warnings)
				}
				return
			}
			if err == nil {
				t.Fatalf("got policy %s, want an error", show(p))
			}
			policytest.CheckErrors(t, err, "hpa.yaml", tt.want)
		})
	}
}

func TestTranslateBehaviorNil(t *testing.T) {
	b, errs := hpa.TranslateBehavior(nil, "spec.behavior", nil)
	want := hpa.Behavior{Legacy: true, ScaleDown: headroom.ScalingRules{StabilizationWindow: 5 * time.Minute}, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1}
	if len(errs) > 0 || !reflect.DeepEqual(b, want) {
		t.Errorf("got %+v, %v; want %+v", b, errs, want)
	}
	// An empty behavior section is not the legacy path: it takes every default.
	b, errs = hpa.TranslateBehavior(nil, "spec.behavior", &autoscalingv2.HorizontalPodAutoscalerBehavior{})
	if len(errs) > 0 || b.Legacy || b.ScaleDown.StabilizationWindow != 5*time.Minute || len(b.ScaleUp.Policies) != 2 {
		t.Errorf("empty behavior: got %+v, %v", b, errs)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want bool
	}{
		{"v2", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n", true},
		{"v1", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\n", true},
		{"v2beta2 after a Deployment", "apiVersion: apps/v1\nkind: Deployment\n---\napiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\n", true},
		{"inside a List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: autoscaling/v2\n  kind: HorizontalPodAutoscaler\n", true},
		{"broken YAML still recognised by its lines", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  a: b\n   c: d\n", true},
		{"headroom's own policy", "apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\n", false},
		{"KEDA", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n", false},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\n", false},
		{"another group's kind of the same name", "apiVersion: example.com/v1\nkind: HorizontalPodAutoscaler\n", false},
		{"JSON", `{"ScalableTargets": []}`, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hpa.Detect([]byte(tt.yaml)); got != tt.want {
				t.Errorf("Detect = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestObjectLine(t *testing.T) {
	objs, err := hpa.ReadObjects("f.yaml", []byte("a: 1\nb:\n  c:\n  - x: 1\n  - y: 2\n    z: 3\n  \"d.e\": 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := objs[0]
	for path, want := range map[string]int{
		"":          1,
		"b":         2,
		"b.c[1].z":  6,
		"b.c[1].no": 5, // missing: the deepest ancestor written
		"b.c[9]":    3,
		`b["d.e"]`:  7,
		"nothing":   1,
	} {
		if got := o.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
}
