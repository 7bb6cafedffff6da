package hpadiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SyncPeriod is kube-controller-manager's --horizontal-pod-autoscaler-sync-period
// default, the period headroom's HPA reader assumes.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#how-does-a-horizontalpodautoscaler-work
const SyncPeriod = 15 * time.Second

// Scenario is one differential case: an HPA, the Deployment's replica count
// when the HPA first looks at it, and the load over the syncs.
//
// The load is closed-loop: Demand[k] is the CPU the whole service needs at
// sync k, in cores, and each of the ready pods then runs at
// round(100·Demand[k]/ready) percent of its 1-core request, so a scale-up
// lowers the utilization both sides see once the new pods are ready.
// Missing[k] makes the CPU metric unavailable at sync k (the metrics API
// answers with an error).
//
// The other scenario classes (drawn from a second random stream, so a seed
// without them is the scenario it was before they existed):
//   - Rate, when the HPA has a Pods or an External request-rate metric
//     beside cpu: the requests/s of the whole service at each sync, spread
//     over the ready pods; RateMissing[k] makes it unavailable.
//   - Launch: a pod the HPA adds is not ready for Launch syncs (0: ready at
//     the next sync). Only in HPAs without a Pods metric: see docs/HPA.md.
//   - BoundsAt >= 0: before sync BoundsAt, minReplicas and maxReplicas are
//     edited to NewMin and NewMax.
type Scenario struct {
	Seed    uint64
	HPA     *autoscalingv2.HorizontalPodAutoscaler
	Initial int
	Demand  []float64
	Missing []bool

	Rate        []float64
	RateMissing []bool
	Launch      int

	BoundsAt       int
	NewMin, NewMax int32
}

// Utilization is what every ready pod reports at sync k with ready pods
// ready, in percent of its request: an integer, so the controller's
// integer utilization (sum of usage × 100 / sum of requests) is exactly
// this value.
func (s *Scenario) Utilization(k, ready int) int {
	if ready <= 0 {
		return 0
	}
	return int(math.Round(100 * s.Demand[k] / float64(ready)))
}

// PerPodRate is the requests/s every ready pod reports at sync k: an
// integer, so the controller's integer average (milli-units) is exact.
func (s *Scenario) PerPodRate(k, ready int) int {
	if ready <= 0 || s.Rate == nil {
		return 0
	}
	return int(math.Round(s.Rate[k] / float64(ready)))
}

// TotalRate is the whole service's requests/s at sync k, the sum of what
// the ready pods report.
func (s *Scenario) TotalRate(k, ready int) int { return s.PerPodRate(k, ready) * ready }

// HasPodsMetric says whether the HPA has a Pods metric.
func (s *Scenario) HasPodsMetric() bool {
	for _, m := range s.HPA.Spec.Metrics {
		if m.Type == autoscalingv2.PodsMetricSourceType {
			return true
		}
	}
	return false
}

// Bounds returns minReplicas and maxReplicas in force at sync k.
func (s *Scenario) Bounds(k int) (int, int) {
	if s.BoundsAt >= 0 && k >= s.BoundsAt {
		return int(s.NewMin), int(s.NewMax)
	}
	return int(*s.HPA.Spec.MinReplicas), int(s.HPA.Spec.MaxReplicas)
}

// Fleet is the Deployment's pods as both sides see them: for each pod,
// the first sync at which it is ready, oldest pod first.
type Fleet struct{ ReadyAt []int }

// NewFleet is n pods, ready from the start.
func NewFleet(n int) *Fleet { return &Fleet{ReadyAt: make([]int, n)} }

// Ready counts the pods ready at sync k.
func (f *Fleet) Ready(k int) int {
	n := 0
	for _, r := range f.ReadyAt {
		if r <= k {
			n++
		}
	}
	return n
}

// Scale sets the fleet to n pods after sync k: new pods are ready at sync
// k+1+launch; a scale-in removes the newest pods, which are the ones not
// ready yet, first (as headroom's engine assumes).
func (f *Fleet) Scale(n, k, launch int) {
	for len(f.ReadyAt) < n {
		f.ReadyAt = append(f.ReadyAt, k+1+launch)
	}
	f.ReadyAt = f.ReadyAt[:n]
}

// HasBehavior says whether the HPA has a behavior section.
func (s *Scenario) HasBehavior() bool { return s.HPA.Spec.Behavior != nil }

// Describe is a one-line summary of the HPA for reports.
func (s *Scenario) Describe() string {
	h := s.HPA.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d min %d max %d cpu %d%%", s.Seed, *h.MinReplicas, h.MaxReplicas,
		*h.Metrics[0].Resource.Target.AverageUtilization)
	for _, m := range h.Metrics[1:] {
		switch m.Type {
		case autoscalingv2.PodsMetricSourceType:
			fmt.Fprintf(&b, " pods %s/pod", m.Pods.Target.AverageValue)
		case autoscalingv2.ExternalMetricSourceType:
			fmt.Fprintf(&b, " external %s/pod", m.External.Target.AverageValue)
		}
	}
	fmt.Fprintf(&b, " initial %d", s.Initial)
	if s.Launch > 0 {
		fmt.Fprintf(&b, " launch %d syncs", s.Launch)
	}
	if s.BoundsAt >= 0 {
		fmt.Fprintf(&b, " bounds %d..%d from sync %d", s.NewMin, s.NewMax, s.BoundsAt)
	}
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
			if r.r.Tolerance != nil {
				fmt.Fprintf(&b, "tolerance %s ", r.r.Tolerance)
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
	s := &Scenario{Seed: seed, HPA: hpa, BoundsAt: -1}
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
	more(s, rand.New(rand.NewPCG(seed, 0x6a09e667f3bcc909)), syncs)
	return s
}

// more draws the later scenario classes from their own stream r: a second
// metric (Pods or External request rate), launch time, an edit of the
// bounds, per-direction tolerances.
func more(s *Scenario, r *rand.Rand, syncs int) {
	h := &s.HPA.Spec
	if r.IntN(10) < 3 {
		// A request-rate metric beside cpu; the highest proposal wins.
		target := 10 + r.IntN(91)
		q := resource.NewQuantity(int64(target), resource.DecimalSI)
		id := autoscalingv2.MetricIdentifier{Name: "requests_per_second"}
		mt := autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q}
		if r.IntN(2) == 0 {
			h.Metrics = append(h.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType,
				Pods: &autoscalingv2.PodsMetricSource{Metric: id, Target: mt}})
		} else {
			h.Metrics = append(h.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType,
				External: &autoscalingv2.ExternalMetricSource{Metric: id, Target: mt}})
		}
		rate := float64(s.Initial*target) * (0.5 + r.Float64())
		missing := r.IntN(4) == 0
		for range syncs {
			switch x := r.Float64(); {
			case x < 0.05:
				rate *= 0.3 + 2.5*r.Float64()
			case x < 0.10:
				rate *= 1 + 3*r.Float64()
			default:
				rate *= 1 + 0.15*(r.Float64()*2-1)
			}
			rate = min(max(rate, 1), float64(int(h.MaxReplicas)*target)*1.5)
			s.Rate = append(s.Rate, rate)
			s.RateMissing = append(s.RateMissing, missing && r.IntN(15) == 0)
		}
	}
	if r.IntN(4) == 0 && !s.HasPodsMetric() {
		s.Launch = 1 + r.IntN(6)
	}
	if r.IntN(5) == 0 {
		s.BoundsAt = 5 + r.IntN(syncs-10)
		s.NewMin = int32(1 + r.IntN(5))
		s.NewMax = s.NewMin + int32(r.IntN(31))
	}
	if b := h.Behavior; b != nil && r.IntN(3) == 0 {
		tolerances := []string{"0", "10m", "50m", "200m", "500m"}
		for _, rr := range []*autoscalingv2.HPAScalingRules{b.ScaleUp, b.ScaleDown} {
			if rr != nil && r.IntN(3) != 0 {
				q := resource.MustParse(tolerances[r.IntN(len(tolerances))])
				rr.Tolerance = &q
			}
		}
	}
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
