package hpadiff

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	scalefake "k8s.io/client-go/scale/fake"
	core "k8s.io/client-go/testing"
	autoscalingv2defaults "k8s.io/kubernetes/pkg/apis/autoscaling/v2"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
)

// UpStep is one sync of the upstream controller: when it ran, the replica
// count it left, and the HPA's ScalingLimited / AbleToScale condition
// reasons after it.
type UpStep struct {
	At       time.Time
	Replicas int
	Limited  string
	Able     string
}

var errs struct {
	sync.Mutex
	last []error
}

// controllerErrors returns the last errors the controller reported with
// utilruntime.HandleError.
func controllerErrors() []error {
	errs.Lock()
	defer errs.Unlock()
	return slices.Clone(errs.last)
}

// keepErrors replaces apimachinery's error handlers (a log line and a
// rate limiter that sleeps, which under a virtual clock would sleep
// across the bubble) with a record of the last few errors.
func keepErrors() {
	utilruntime.ErrorHandlers = []utilruntime.ErrorHandler{func(_ context.Context, err error, _ string, _ ...any) {
		errs.Lock()
		defer errs.Unlock()
		errs.last = append(errs.last, err)
		if len(errs.last) > 5 {
			errs.last = errs.last[1:]
		}
	}}
}

// target is the fake world the controller looks at: the Deployment's
// scale, its pods and their CPU. Every field is guarded by mu: the
// controller's worker and the test goroutine both touch it.
type target struct {
	mu       sync.Mutex
	s        *Scenario
	replicas int
	pods     []string // names, oldest first, as fleet.ReadyAt
	fleet    *Fleet
	syncs    []time.Time // scale reads, one per reconcile
}

func (w *target) sync() int { return len(w.syncs) - 1 }

// metricWindow is the window metrics-server reports a CPU sample over.
const metricWindow = 30 * time.Second

// GetResourceMetric answers with every ready pod at the scenario's
// utilization of this sync and every pod not ready yet at 0 (the
// controller leaves those out, or counts them at 0 on a scale-up), or with
// an error when the scenario's metric is missing.
func (w *target) GetResourceMetric(_ context.Context, _ corev1.ResourceName, _ string, _ labels.Selector, _ string) (metricsclient.PodMetricsInfo, time.Time, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := w.sync()
	now := time.Now()
	if k < 0 || k >= len(w.s.Demand) || w.s.Missing[k] {
		return nil, time.Time{}, fmt.Errorf("no sample at sync %d", k)
	}
	u := int64(w.s.Utilization(k, w.fleet.Ready(k)))
	info := metricsclient.PodMetricsInfo{}
	for i, p := range w.pods {
		v := int64(0)
		if w.fleet.ReadyAt[i] <= k {
			v = u * 10 // millicores of a 1000m request
		}
		info[p] = metricsclient.PodMetric{Timestamp: now, Window: metricWindow, Value: v}
	}
	return info, now, nil
}

// GetRawMetric answers a Pods metric: every ready pod at the scenario's
// requests/s per pod, in milli-units.
func (w *target) GetRawMetric(string, string, labels.Selector, labels.Selector) (metricsclient.PodMetricsInfo, time.Time, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := w.sync()
	now := time.Now()
	if k < 0 || k >= len(w.s.Demand) || w.s.Rate == nil || w.s.RateMissing[k] {
		return nil, time.Time{}, fmt.Errorf("no rate sample at sync %d", k)
	}
	v := int64(w.s.PerPodRate(k, w.fleet.Ready(k))) * 1000
	info := metricsclient.PodMetricsInfo{}
	for i, p := range w.pods {
		if w.fleet.ReadyAt[i] <= k {
			info[p] = metricsclient.PodMetric{Timestamp: now, Window: metricWindow, Value: v}
		}
	}
	return info, now, nil
}

func (w *target) GetObjectMetric(string, string, *autoscalingv2.CrossVersionObjectReference, labels.Selector) (int64, time.Time, error) {
	return 0, time.Time{}, fmt.Errorf("no object metrics")
}

// GetExternalMetric answers an External metric: the whole service's
// requests/s, in milli-units.
func (w *target) GetExternalMetric(string, string, labels.Selector) ([]int64, time.Time, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := w.sync()
	if k < 0 || k >= len(w.s.Demand) || w.s.Rate == nil || w.s.RateMissing[k] {
		return nil, time.Time{}, fmt.Errorf("no rate sample at sync %d", k)
	}
	return []int64{int64(w.s.TotalRate(k, w.fleet.Ready(k))) * 1000}, time.Now(), nil
}

// pod is a running pod with a 1-core request, started at started, whose
// Ready condition is ready since changed. A ready pod started an hour
// before the run is past the controller's CPU initialization period.
func pod(name string, started time.Time, ready bool, changed time.Time) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	t := metav1.NewTime(started)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000m")}}}}},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			StartTime:  &t,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(changed)}},
		},
	}
}

// Upstream runs k8s.io/kubernetes's HorizontalController on s, for
// len(s.Demand) syncs, inside a synctest bubble: time.Now and every timer
// in the controller, its work queue and the informers read the bubble's
// virtual clock, so the 15 s resync and the stabilization windows elapse
// instantly and deterministically. The controller is built with
// NewHorizontalController and runs with Run; nothing of it is replaced but
// its clients.
func Upstream(t *testing.T, s *Scenario) []UpStep {
	var steps []UpStep
	synctest.Test(t, func(t *testing.T) {
		steps = upstream(t, s)
	})
	return steps
}

func upstream(t *testing.T, s *Scenario) []UpStep {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	w := &target{s: s, replicas: s.Initial, fleet: NewFleet(s.Initial)}
	// The API server defaults what the manifest leaves out (behavior's
	// policies and windows); the controller relies on it. Headroom reads
	// the manifest as written and defaults on its own.
	h := s.HPA.DeepCopy()
	autoscalingv2defaults.SetObjectDefaults_HorizontalPodAutoscaler(h)
	objs := []runtime.Object{h}
	for i := range s.Initial {
		name := fmt.Sprintf("web-%d", i)
		w.pods = append(w.pods, name)
		objs = append(objs, pod(name, start.Add(-time.Hour), true, start.Add(-time.Hour)))
	}
	client := fake.NewSimpleClientset(objs...)

	scales := &scalefake.FakeScaleClient{}
	scales.AddReactor("get", "deployments", func(core.Action) (bool, runtime.Object, error) {
		w.mu.Lock()
		w.syncs = append(w.syncs, time.Now())
		w.mu.Unlock()
		// The API server's answer takes time; the work queue starts the
		// next 15 s once the sync is done, so syncs drift by it.
		time.Sleep(*latency)
		w.mu.Lock()
		defer w.mu.Unlock()
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: int32(w.replicas)},
			Status:     autoscalingv1.ScaleStatus{Replicas: int32(w.replicas), Selector: "app=web"},
		}, nil
	})
	scales.AddReactor("update", "deployments", func(a core.Action) (bool, runtime.Object, error) {
		obj := a.(core.UpdateAction).GetObject().(*autoscalingv1.Scale)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.replicas = int(obj.Spec.Replicas)
		return true, obj, nil
	})

	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{{Group: "apps", Version: "v1"}})
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)

	factory := informers.NewSharedInformerFactory(client, 0)
	// kube-controller-manager's defaults: sync period 15 s, downscale
	// stabilization 5 m, tolerance 0.1, CPU initialization 5 m, initial
	// readiness delay 30 s.
	// https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/
	c := podautoscaler.NewHorizontalController(ctx, client.CoreV1(), scales, client.AutoscalingV2(), mapper, w,
		factory.Autoscaling().V2().HorizontalPodAutoscalers(), factory.Core().V1().Pods(),
		SyncPeriod, 5*time.Minute, 0.1, 5*time.Minute, 30*time.Second)
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, 1)
	}()

	// The first sync comes once the informers have synced.
	for {
		synctest.Wait()
		w.mu.Lock()
		n := len(w.syncs)
		w.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("seed %d: no sync in a minute; controller errors: %v", s.Seed, controllerErrors())
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.mu.Lock()
	first := w.syncs[0]
	w.mu.Unlock()

	steps := make([]UpStep, 0, len(s.Demand))
	for k := range s.Demand {
		// Look half-way between sync k and k+1: sync k has run and
		// everything it started (status update, informer events) has
		// settled.
		time.Sleep(time.Until(first.Add(time.Duration(k)*SyncPeriod + SyncPeriod/2)))
		synctest.Wait()
		w.mu.Lock()
		if got := len(w.syncs); got != k+1 {
			w.mu.Unlock()
			t.Fatalf("seed %d: %d syncs by %v, want %d", s.Seed, got, time.Since(first), k+1)
		}
		step := UpStep{At: w.syncs[k], Replicas: w.replicas}
		// The pods follow the scale at once: a new pod runs from now and,
		// with a launch time, is not ready until it ends; a scale-in
		// removes the newest pods.
		w.fleet.Scale(w.replicas, k, s.Launch)
		now := time.Now()
		for len(w.pods) < w.replicas {
			name := fmt.Sprintf("web-%d-%d", k, len(w.pods))
			p := pod(name, start.Add(-time.Hour), true, start.Add(-time.Hour))
			if s.Launch > 0 {
				p = pod(name, now, false, now)
			}
			if _, err := client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			w.pods = append(w.pods, name)
		}
		for len(w.pods) > w.replicas {
			name := w.pods[len(w.pods)-1]
			if err := client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			w.pods = w.pods[:len(w.pods)-1]
		}
		// Pods whose launch ends become ready for the next sync. The
		// condition is dated one metric window back: the controller
		// ignores a starting pod's CPU sample until a whole window has
		// passed since its readiness changed (groupPods), and headroom's
		// launching capacity means "not counted yet".
		for i, name := range w.pods {
			if s.Launch > 0 && w.fleet.ReadyAt[i] == k+1 {
				p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				p.Status.Conditions[0].Status = corev1.ConditionTrue
				p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-metricWindow))
				if _, err := client.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.mu.Unlock()
		if k+1 == s.BoundsAt {
			// An edit of the HPA's bounds, seen by the next sync.
			h, err := client.AutoscalingV2().HorizontalPodAutoscalers("default").Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h.Spec.MinReplicas, h.Spec.MaxReplicas = &s.NewMin, s.NewMax
			if _, err := client.AutoscalingV2().HorizontalPodAutoscalers("default").Update(ctx, h, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		hpa, err := client.AutoscalingV2().HorizontalPodAutoscalers("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range hpa.Status.Conditions {
			switch {
			case c.Type == autoscalingv2.ScalingLimited && c.Status == corev1.ConditionTrue:
				step.Limited = c.Reason
			case c.Type == autoscalingv2.AbleToScale:
				step.Able = c.Reason
			}
		}
		steps = append(steps, step)
		synctest.Wait()
	}
	cancel()
	<-done
	return steps
}
