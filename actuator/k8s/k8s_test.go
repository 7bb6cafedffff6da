package k8s_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/actuator/k8s"
	"github.com/headroomhq/headroom/internal/kubetest"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

// deployment creates a Deployment with replicas, ready of them ready, in
// a namespace of the test's own.
func deployment(t *testing.T, s *kubetest.Server, name string, replicas, ready int32) (kubernetes.Interface, string) {
	t.Helper()
	c := s.Client(t)
	ns := s.NewNamespace(t)
	if _, err := c.AppsV1().Deployments(ns).Create(context.Background(), kubetest.Deployment(name, replicas), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.SetReady(t, c, ns, name, ready)
	return c, ns
}

func newActuator(t *testing.T, c kubernetes.Interface, ns, kind, name, hpa string) *k8s.Actuator {
	t.Helper()
	a, err := k8s.New(k8s.Config{Client: c, Namespace: ns, Kind: kind, Name: name, HPA: hpa, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func replicas(t *testing.T, c kubernetes.Interface, ns, name string) int32 {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

// events returns the messages of the events headroom wrote in ns.
func events(t *testing.T, c kubernetes.Interface, ns string) []string {
	t.Helper()
	list, err := c.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Source.Component == k8s.Component {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

func TestCapacityAndScale(t *testing.T) {
	s := kubetest.Shared(t)
	c, ns := deployment(t, s, "web", 5, 3)
	a := newActuator(t, c, ns, k8s.Deployment, "web", "")
	ctx := context.Background()
	got, err := a.Capacity(ctx)
	if err != nil || got != (headroom.Capacity{Ready: 3, Launching: 2}) {
		t.Fatalf("capacity: got %+v, %v; want 3 ready, 2 launching", got, err)
	}
	reason := headroom.Reason{Code: headroom.ReasonScaleUp, Message: "cpu 90 against target 60"}
	if err := a.Scale(ctx, 8, reason); err != nil {
		t.Fatal(err)
	}
	if n := replicas(t, c, ns, "web"); n != 8 {
		t.Errorf("spec.replicas %d, want 8", n)
	}
	// Setting the count it has is no change and no event.
	if err := a.Scale(ctx, 8, reason); err != nil {
		t.Fatal(err)
	}
	ev := events(t, c, ns)
	if len(ev) != 1 || !strings.Contains(ev[0], "New size: 8 (was 5); reason: ScaleUp: cpu 90 against target 60") {
		t.Errorf("events %q: want one Rescaled event with the reason", ev)
	}
	// kubectl describe finds an object's events by its UID.
	d, _ := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	byUID, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.uid=" + string(d.UID)})
	if err != nil || len(byUID.Items) != 1 {
		t.Errorf("events of the Deployment's UID: %d, %v; want the Rescaled one", len(byUID.Items), err)
	}

	// A StatefulSet through its own scale subresource.
	ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
		Replicas: ptr(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "registry.invalid/db:test"}}}}}}
	if _, err := c.AppsV1().StatefulSets(ns).Create(ctx, ss, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := newActuator(t, c, ns, k8s.StatefulSet, "db", "")
	if err := sa.Scale(ctx, 1, reason); err != nil {
		t.Fatal(err)
	}
	got, err = sa.Capacity(ctx)
	if err != nil || got != (headroom.Capacity{Launching: 1}) {
		t.Errorf("statefulset: got %+v, %v; want 1 launching (no status yet)", got, err)
	}

	// Refusals are not retried and say what was refused.
	missing := newActuator(t, c, ns, k8s.Deployment, "nope", "")
	err = missing.Scale(ctx, 3, reason)
	if headroom.ErrorCode(err) != headroom.EINVALID || !strings.Contains(err.Error(), "scale deployment "+ns+"/nope to 3") {
		t.Errorf("missing deployment: %v (%s), want invalid naming it", err, headroom.ErrorCode(err))
	}
}

func ptr[T any](v T) *T { return &v }

// faulty wraps a client's transport: before each request, hook may answer
// in the server's place or act first.
type faulty struct {
	next http.RoundTripper
	hook func(r *http.Request) *http.Response
}

func (f faulty) RoundTrip(r *http.Request) (*http.Response, error) {
	if resp := f.hook(r); resp != nil {
		return resp, nil
	}
	return f.next.RoundTrip(r)
}

func client(t *testing.T, cfg *rest.Config, hook func(r *http.Request) *http.Response) kubernetes.Interface {
	t.Helper()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return faulty{rt, hook} }
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A writer changes the Deployment between the actuator's read of the
// scale subresource and its write: the real API server answers 409
// Conflict to the stale resourceVersion, and the actuator reads again and
// writes again.
func TestScaleRetriesConflict(t *testing.T) {
	s := kubetest.Shared(t)
	admin, ns := deployment(t, s, "web", 5, 5)
	var puts atomic.Int32
	c := client(t, s.RESTConfig(), func(r *http.Request) *http.Response {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/scale") && puts.Add(1) == 1 {
			// Someone else scales first.
			d, err := admin.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
			if err == nil {
				d.Spec.Replicas = ptr(int32(6))
				_, err = admin.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
			}
			if err != nil {
				t.Errorf("the other writer: %v", err)
			}
		}
		return nil
	})
	a := newActuator(t, c, ns, k8s.Deployment, "web", "")
	if err := a.Scale(context.Background(), 9, headroom.Reason{Code: headroom.ReasonScaleUp}); err != nil {
		t.Fatal(err)
	}
	if n := replicas(t, admin, ns, "web"); n != 9 || puts.Load() != 2 {
		t.Errorf("replicas %d after %d writes; want 9 after a conflict and a second write", n, puts.Load())
	}
	ev := events(t, admin, ns)
	if len(ev) != 1 || !strings.Contains(ev[0], "(was 6)") {
		t.Errorf("events %q: want the count it replaced, 6, read again after the conflict", ev)
	}
}

// The API server answers 500: retried with a backoff, and reported as
// unavailable when it keeps failing.
func TestServerErrors(t *testing.T) {
	s := kubetest.Shared(t)
	admin, ns := deployment(t, s, "web", 5, 5)
	var failures atomic.Int32
	c := client(t, s.RESTConfig(), func(r *http.Request) *http.Response {
		if failures.Load() > 0 && !strings.Contains(r.URL.Path, "/events") {
			failures.Add(-1)
			return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Request: r, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","reason":"InternalError","code":500}`))}
		}
		return nil
	})
	a := newActuator(t, c, ns, k8s.Deployment, "web", "") // 3 retries
	ctx := context.Background()
	failures.Store(2)
	if err := a.Scale(ctx, 7, headroom.Reason{}); err != nil {
		t.Fatalf("two 500s then success: %v", err)
	}
	if n := replicas(t, admin, ns, "web"); n != 7 {
		t.Errorf("replicas %d, want 7", n)
	}
	failures.Store(100)
	_, err := a.Capacity(ctx)
	if headroom.ErrorCode(err) != headroom.EUNAVAILABLE || !strings.Contains(err.Error(), "leader changed") {
		t.Errorf("always 500: %v (%s), want unavailable with the server's message", err, headroom.ErrorCode(err))
	}
	if left := failures.Load(); left != 96 {
		t.Errorf("always 500: %d attempts, want 4 (1 + 3 retries)", 100-left)
	}
}

// proxy forwards a loopback port to the API server and can go down (the
// port refuses connections, open ones are cut) and come back on the same
// port: the API server unreachable, then reachable again.
type proxy struct {
	addr, to string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

func newProxy(t *testing.T, to string) *proxy {
	t.Helper()
	p := &proxy{to: to}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.ln = ln
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.to)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.serve(ln)
	p.mu.Unlock()
}

// The API server goes away: the actuator says unavailable within its
// timeout and retries, and works again when the server is back.
func TestAPIServerDown(t *testing.T) {
	s := kubetest.Shared(t)
	admin, ns := deployment(t, s, "web", 5, 5)
	p := newProxy(t, strings.TrimPrefix(s.URL, "https://"))
	cfg := s.RESTConfig()
	cfg.Host = "https://" + p.addr
	cfg.TLSClientConfig.ServerName = "127.0.0.1"
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := k8s.New(k8s.Config{Client: c, Namespace: ns, Kind: k8s.Deployment, Name: "web", Timeout: 2 * time.Second, Retries: 1, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.Capacity(ctx); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.down()
	start := time.Now()
	err = a.Scale(ctx, 2, headroom.Reason{})
	if headroom.ErrorCode(err) != headroom.EUNAVAILABLE {
		t.Fatalf("down: %v (%s), want unavailable", err, headroom.ErrorCode(err))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("down: gave up after %s, want within the timeouts", d)
	}
	if n := replicas(t, admin, ns, "web"); n != 5 {
		t.Errorf("replicas %d while down, want 5", n)
	}
	p.up(t)
	if err := a.Scale(ctx, 2, headroom.Reason{}); err != nil {
		t.Fatalf("back up: %v", err)
	}
	if n := replicas(t, admin, ns, "web"); n != 2 {
		t.Errorf("replicas %d, want 2", n)
	}
}

func hpa(name string, min, max int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
		MinReplicas:    &min, MaxReplicas: max,
		Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(60))}}}},
	}}
}

func bounds(t *testing.T, c kubernetes.Interface, ns, name string) (int32, int32, string) {
	t.Helper()
	h, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Annotations[k8s.GuardAnnotation]
}

// Guard mode on a real HPA: raise minReplicas (and maxReplicas past it),
// survive a restart of headroom (the annotation remembers), adopt a value
// someone else wrote, restore.
func TestSetFloor(t *testing.T) {
	s := kubetest.Shared(t)
	c, ns := deployment(t, s, "web", 8, 8)
	ctx := context.Background()
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa("web", 2, 10), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := newActuator(t, c, ns, k8s.Deployment, "web", "web")
	held := headroom.Reason{Code: headroom.ReasonScaleInDeferred, Message: "410 req/s needs 6"}

	if err := a.SetFloor(ctx, 6, held); err != nil {
		t.Fatal(err)
	}
	if lo, hi, note := bounds(t, c, ns, "web"); lo != 6 || hi != 10 || note != `{"minReplicas":2,"maxReplicas":10,"floor":6}` {
		t.Fatalf("held at 6: min %d max %d note %s", lo, hi, note)
	}
	// A new actuator (headroom restarted) still knows the HPA's own.
	b := newActuator(t, c, ns, k8s.Deployment, "web", "web")
	if own, err := b.PlatformMin(ctx); err != nil || own != 2 {
		t.Fatalf("after a restart: platform min %d, %v; want 2", own, err)
	}
	if err := b.SetFloor(ctx, 12, held); err != nil {
		t.Fatal(err)
	}
	if lo, hi, note := bounds(t, c, ns, "web"); lo != 12 || hi != 12 || note != `{"minReplicas":2,"maxReplicas":10,"floor":12}` {
		t.Fatalf("held at 12: min %d max %d note %s", lo, hi, note)
	}

	// An engineer sets minReplicas to 4 by hand: that is the HPA's own now.
	h, _ := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "web", metav1.GetOptions{})
	h.Spec.MinReplicas = ptr(int32(4))
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(ctx, h, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if own, err := b.PlatformMin(ctx); err != nil || own != 4 {
		t.Fatalf("after a hand edit: platform min %d, %v; want 4", own, err)
	}
	if err := b.SetFloor(ctx, 4, headroom.Reason{Code: headroom.ReasonGuardIdle, Message: "quiet"}); err != nil {
		t.Fatal(err)
	}
	if lo, hi, note := bounds(t, c, ns, "web"); lo != 4 || hi != 10 || note != "" {
		t.Fatalf("restored: min %d max %d note %q; want the hand-set 4, the own 10, no note", lo, hi, note)
	}
	ev := events(t, c, ns)
	if len(ev) != 3 || !strings.Contains(strings.Join(ev, " "), "minReplicas held at 12 (its own 2): ScaleInDeferred: 410 req/s needs 6") {
		t.Errorf("events %q", ev)
	}
	// Held above the HPA's own max (an emergency floor of 15 over max 10),
	// then someone raises the minimum to 12: the restore keeps a valid
	// HPA (max 12), not min 12 over max 10, which the API server refuses.
	if err := b.SetFloor(ctx, 15, held); err != nil {
		t.Fatal(err)
	}
	h, _ = c.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "web", metav1.GetOptions{})
	h.Spec.MinReplicas = ptr(int32(12))
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(ctx, h, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetFloor(ctx, 2, headroom.Reason{Code: headroom.ReasonGuardIdle}); err != nil {
		t.Fatalf("restore under a raised minimum: %v", err)
	}
	if lo, hi, note := bounds(t, c, ns, "web"); lo != 12 || hi != 12 || note != "" {
		t.Errorf("restored: min %d max %d note %q; want 12, 12, none", lo, hi, note)
	}

	// Without an HPA name guard mode is a configuration error.
	if _, err := newActuator(t, c, ns, k8s.Deployment, "web", "").PlatformMin(ctx); headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("no hpa: %v", err)
	}
	var he *headroom.Error
	if err := newActuator(t, c, ns, k8s.Deployment, "web", "nope").SetFloor(ctx, 5, held); !errors.As(err, &he) || he.Code != headroom.EINVALID {
		t.Errorf("missing hpa: %v, want invalid", err)
	}
}
