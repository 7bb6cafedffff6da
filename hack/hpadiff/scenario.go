package hpadiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// SyncPeriod is kube-controller-manager's --horizontal-pod-autoscaler-sync-period
// default, the period headroom's HPA reader assumes.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#how-does-a-horizontalpodautoscaler-work
const SyncPeriod = 15 * time.Second

// Scenario is one differential case: an HPA, the Deployment's replica count
// when the HPA first looks at it, and the load over the syncs.
//
// The load is closed-loop: Demand[k] is the CPU the whole service needs at
// sync k, in cores, and each of the n pods then runs at
// round(100·Demand[k]/n) percent of its 1-core request, so a scale-up lowers
// the utilization both sides see at the next sync. Missing[k] makes the
// metric unavailable at sync k (the metrics API answers with an error).
type Scenario struct {
	Seed    uint64
	HPA     *autoscalingv2.HorizontalPodAutoscaler
	Initial int
	Demand  []float64
	Missing []bool
}

// Utilization is what every pod reports at sync k with n pods, in percent
// of its request: an integer, so the controller's integer utilization
// (sum of usage × 100 / sum of requests) is exactly this value.
func (s *Scenario) Utilization(k, n int) int {
	if n <= 0 {
		return 0
	}
	return int(math.Round(100 * s.Demand[k] / float64(n)))
}

// YAML is the HPA as a manifest, what headroom's reader parses.
func (s *Scenario) YAML() ([]byte, error) {
	return yaml.Marshal(s.HPA)
}

// HasBehavior says whether the HPA has a behavior section.
func (s *Scenario) HasBehavior() bool { return s.HPA.Spec.Behavior != nil }

// Describe is a one-line summary of the HPA for reports.
func (s *Scenario) Describe() string {
	h := s.HPA.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d min %d max %d target %d%% initial %d", s.Seed, *h.MinReplicas, h.MaxReplicas,
		*h.Metrics[0].Resource.Target.AverageUtilization, s.Initial)
	if h.Behavior != nil {
		for _, r := range []struct {
			name string
			r    *autoscalingv2.HPAScalingRules
		}{{"up", h.Behavior.ScaleUp}, {"down", h.Behavior.ScaleDown}} {
			if r.r == nil {
				continue
			}
			fmt.Fprintf(&b, " %s{", r.name)
			if r.r.StabilizationWindowSeconds != nil {
				fmt.Fprintf(&b, "window %ds ", *r.r.StabilizationWindowSeconds)
			}
			if r.r.SelectPolicy != nil {
				fmt.Fprintf(&b, "select %s ", *r.r.SelectPolicy)
			}
			for _, p := range r.r.Policies {
				fmt.Fprintf(&b, "%s %d/%ds ", p.Type, p.Value, p.PeriodSeconds)
			}
			b.WriteString("}")
		}
	}
	return b.String()
}

// Generate draws scenario seed: bounds, a utilization target, an optional
// behavior section, a starting replica count (sometimes outside the
// bounds) and a demand curve of syncs syncs made of a random walk, steps
// and spikes.
func Generate(seed uint64, syncs int) *Scenario {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	minR := int32(1 + r.IntN(5))
	maxR := minR + int32(1+r.IntN(30))
	target := int32(30 + r.IntN(61))
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minR,
			MaxReplicas:    maxR,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   "cpu",
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
				},
			}},
		},
	}
	if r.IntN(10) >= 4 {
		hpa.Spec.Behavior = behavior(r)
	}
	s := &Scenario{Seed: seed, HPA: hpa}
	s.Initial = int(minR) + r.IntN(int(maxR-minR)+1)
	switch r.IntN(20) {
	case 0:
		s.Initial = int(maxR) + 1 + r.IntN(5)
	case 1:
		if minR > 1 {
			s.Initial = 1 + r.IntN(int(minR-1))
		}
	}

	// Demand in cores: start near what the initial count serves at the
	// target, then walk, step and spike.
	d := float64(s.Initial) * float64(target) / 100 * (0.5 + r.Float64())
	missing := r.IntN(4) == 0
	for range syncs {
		switch x := r.Float64(); {
		case x < 0.05:
			d *= 0.3 + 2.5*r.Float64() // step
		case x < 0.10:
			d *= 1 + 3*r.Float64() // spike, one sync
			s.Demand = append(s.Demand, max(d, 0))
			s.Missing = append(s.Missing, missing && r.IntN(15) == 0)
			d /= 1 + 3*r.Float64()
			continue
		default:
			d *= 1 + 0.15*(r.Float64()*2-1) // walk
		}
		d = min(max(d, 0.05), float64(maxR)*1.5)
		s.Demand = append(s.Demand, d)
		s.Missing = append(s.Missing, missing && r.IntN(15) == 0)
	}
	return s
}

func behavior(r *rand.Rand) *autoscalingv2.HorizontalPodAutoscalerBehavior {
	b := &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	upWindows := []int32{0, 0, 15, 30, 60, 120, 180}
	downWindows := []int32{0, 15, 30, 60, 120, 300, 600}
	if r.IntN(4) != 0 {
		b.ScaleUp = rules(r, upWindows)
	}
	if r.IntN(4) != 0 {
		b.ScaleDown = rules(r, downWindows)
	}
	return b
}

func rules(r *rand.Rand, windows []int32) *autoscalingv2.HPAScalingRules {
	rr := &autoscalingv2.HPAScalingRules{}
	if r.IntN(3) != 0 {
		w := windows[r.IntN(len(windows))]
		rr.StabilizationWindowSeconds = &w
	}
	periods := []int32{15, 30, 60, 120, 300}
	for range r.IntN(3) {
		p := autoscalingv2.HPAScalingPolicy{PeriodSeconds: periods[r.IntN(len(periods))]}
		if r.IntN(2) == 0 {
			p.Type, p.Value = autoscalingv2.PodsScalingPolicy, int32(1+r.IntN(6))
		} else {
			p.Type, p.Value = autoscalingv2.PercentScalingPolicy, int32(10+r.IntN(191))
		}
		rr.Policies = append(rr.Policies, p)
	}
	if r.IntN(4) == 0 {
		sel := []autoscalingv2.ScalingPolicySelect{autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect}[r.IntN(3)]
		rr.SelectPolicy = &sel
	}
	return rr
}
