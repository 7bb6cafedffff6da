package k8s

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Defaults of the fields a Config leaves zero.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 3
	DefaultBackoff = 500 * time.Millisecond
	// GuardAnnotation holds, on an HPA headroom raised, what it replaced.
	GuardAnnotation = "headroom.dev/guard"
	// Component names headroom in the Events it writes.
	Component = "headroom"
)

// Kinds of workload the actuator scales.
const (
	Deployment  = "Deployment"
	StatefulSet = "StatefulSet"
)

// Config says which workload to scale.
type Config struct {
	Client    kubernetes.Interface
	Namespace string
	// Kind is Deployment or StatefulSet.
	Kind string
	Name string
	// HPA names the HorizontalPodAutoscaler that guard mode holds; empty
	// outside guard mode.
	HPA string
	// Timeout bounds each API call; Retries is how many more attempts a
	// server error gets (-1: none), Backoff the first wait, doubling.
	Timeout time.Duration
	Retries int
	Backoff time.Duration
}

// Actuator scales one workload. It implements headroom.Actuator and, with
// Config.HPA, headroom.FloorActuator.
type Actuator struct {
	c Config
}

var (
	_ headroom.Actuator      = (*Actuator)(nil)
	_ headroom.FloorActuator = (*Actuator)(nil)
)

// New checks c and fills its defaults.
func New(c Config) (*Actuator, error) {
	var problems []string
	if c.Client == nil {
		problems = append(problems, "client: expected a Kubernetes client")
	}
	if c.Namespace == "" {
		problems = append(problems, "namespace: expected the workload's namespace")
	}
	if c.Kind != Deployment && c.Kind != StatefulSet {
		problems = append(problems, fmt.Sprintf("kind: got %q, expected Deployment or StatefulSet", c.Kind))
	}
	if c.Name == "" {
		problems = append(problems, "name: expected the workload's name")
	}
	if len(problems) > 0 {
		return nil, headroom.Errorf(headroom.EINVALID, "kubernetes actuator: %s", strings.Join(problems, "; "))
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	return &Actuator{c: c}, nil
}

func (a *Actuator) what() string {
	return fmt.Sprintf("%s %s/%s", strings.ToLower(a.c.Kind), a.c.Namespace, a.c.Name)
}

// Capacity reads the workload's spec and status.
func (a *Actuator) Capacity(ctx context.Context) (headroom.Capacity, error) {
	var spec *int32
	var ready int32
	err := a.call(ctx, "read "+a.what(), func(ctx context.Context) error {
		switch a.c.Kind {
		case Deployment:
			d, err := a.c.Client.AppsV1().Deployments(a.c.Namespace).Get(ctx, a.c.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			spec, ready = d.Spec.Replicas, d.Status.ReadyReplicas
		default:
			s, err := a.c.Client.AppsV1().StatefulSets(a.c.Namespace).Get(ctx, a.c.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			spec, ready = s.Spec.Replicas, s.Status.ReadyReplicas
		}
		return nil
	})
	if err != nil {
		return headroom.Capacity{}, err
	}
	total := 1 // the API server's default for an unset spec.replicas
	if spec != nil {
		total = int(*spec)
	}
	r := min(int(ready), total)
	return headroom.Capacity{Ready: r, Launching: total - r}, nil
}

// Scale sets spec.replicas through the scale subresource.
func (a *Actuator) Scale(ctx context.Context, desired int, reason headroom.Reason) error {
	if desired < 0 {
		return headroom.Errorf(headroom.EINVALID, "scale %s to %d: expected a count of 0 or more", a.what(), desired)
	}
	var from int32
	var uid types.UID
	err := a.call(ctx, fmt.Sprintf("scale %s to %d", a.what(), desired), func(ctx context.Context) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			s, err := a.getScale(ctx)
			if err != nil {
				return err
			}
			from, uid = s.Spec.Replicas, s.UID
			if int(s.Spec.Replicas) == desired {
				return nil
			}
			s.Spec.Replicas = int32(desired)
			return a.updateScale(ctx, s)
		})
	})
	if err != nil {
		return err
	}
	if int(from) != desired {
		a.event(ctx, a.c.Kind, a.c.Name, uid, "Rescaled", fmt.Sprintf("New size: %d (was %d); reason: %s: %s", desired, from, reason.Code, reason.Message))
	}
	return nil
}

func (a *Actuator) getScale(ctx context.Context) (*autoscalingv1.Scale, error) {
	if a.c.Kind == Deployment {
		return a.c.Client.AppsV1().Deployments(a.c.Namespace).GetScale(ctx, a.c.Name, metav1.GetOptions{})
	}
	return a.c.Client.AppsV1().StatefulSets(a.c.Namespace).GetScale(ctx, a.c.Name, metav1.GetOptions{})
}

func (a *Actuator) updateScale(ctx context.Context, s *autoscalingv1.Scale) error {
	var err error
	if a.c.Kind == Deployment {
		_, err = a.c.Client.AppsV1().Deployments(a.c.Namespace).UpdateScale(ctx, a.c.Name, s, metav1.UpdateOptions{FieldManager: Component})
	} else {
		_, err = a.c.Client.AppsV1().StatefulSets(a.c.Namespace).UpdateScale(ctx, a.c.Name, s, metav1.UpdateOptions{FieldManager: Component})
	}
	return err
}

// guardNote is the GuardAnnotation's value: what headroom replaced.
type guardNote struct {
	MinReplicas int32 `json:"minReplicas"`
	MaxReplicas int32 `json:"maxReplicas"`
	Floor       int32 `json:"floor"`
}

// own returns the HPA's own bounds: the annotated ones while headroom holds
// it, unless someone changed the field since (then theirs).
func own(h *autoscalingv2.HorizontalPodAutoscaler) (lo, hi int32, note *guardNote) {
	lo, hi = 1, h.Spec.MaxReplicas // minReplicas defaults to 1
	if h.Spec.MinReplicas != nil {
		lo = *h.Spec.MinReplicas
	}
	raw, ok := h.Annotations[GuardAnnotation]
	if !ok {
		return lo, hi, nil
	}
	var n guardNote
	if json.Unmarshal([]byte(raw), &n) != nil {
		// Not ours to read: treat the spec as the HPA's own.
		return lo, hi, nil
	}
	if lo == n.Floor {
		lo = n.MinReplicas
	}
	if hi == max(n.Floor, n.MaxReplicas) {
		hi = n.MaxReplicas
	}
	return lo, hi, &n
}

func (a *Actuator) hpaName() (string, error) {
	if a.c.HPA == "" {
		return "", headroom.Errorf(headroom.EINVALID, "%s: guard mode needs the name of its HorizontalPodAutoscaler (hpa)", a.what())
	}
	return a.c.HPA, nil
}

// PlatformMin returns the HPA's own minReplicas.
func (a *Actuator) PlatformMin(ctx context.Context) (int, error) {
	name, err := a.hpaName()
	if err != nil {
		return 0, err
	}
	var lo int32
	err = a.call(ctx, "read horizontalpodautoscaler "+a.c.Namespace+"/"+name, func(ctx context.Context) error {
		h, err := a.c.Client.AutoscalingV2().HorizontalPodAutoscalers(a.c.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		lo, _, _ = own(h)
		return nil
	})
	return int(lo), err
}

// SetFloor raises the HPA's minReplicas to floor, or restores it.
func (a *Actuator) SetFloor(ctx context.Context, floor int, reason headroom.Reason) error {
	name, err := a.hpaName()
	if err != nil {
		return err
	}
	var message string
	var uid types.UID
	err = a.call(ctx, fmt.Sprintf("hold horizontalpodautoscaler %s/%s at %d", a.c.Namespace, name, floor), func(ctx context.Context) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			hpas := a.c.Client.AutoscalingV2().HorizontalPodAutoscalers(a.c.Namespace)
			h, err := hpas.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			message, uid = "", h.UID
			lo, hi, note := own(h)
			if int32(floor) <= lo {
				if note == nil {
					return nil // not held: nothing to restore
				}
				// max(hi, lo): a minimum someone raised above the
				// replaced maximum while it was held would make the
				// API server refuse the restore forever.
				h.Spec.MinReplicas, h.Spec.MaxReplicas = &lo, max(hi, lo)
				delete(h.Annotations, GuardAnnotation)
				message = fmt.Sprintf("minReplicas restored to %d, maxReplicas %d: %s", lo, hi, reason.Message)
			} else {
				f := int32(floor)
				if note != nil && note.Floor == f && h.Spec.MinReplicas != nil && *h.Spec.MinReplicas == f {
					return nil // already held there
				}
				n, _ := json.Marshal(guardNote{MinReplicas: lo, MaxReplicas: hi, Floor: f})
				if h.Annotations == nil {
					h.Annotations = map[string]string{}
				}
				h.Annotations[GuardAnnotation] = string(n)
				h.Spec.MinReplicas, h.Spec.MaxReplicas = &f, max(hi, f)
				message = fmt.Sprintf("minReplicas held at %d (its own %d): %s: %s", f, lo, reason.Code, reason.Message)
			}
			_, err = hpas.Update(ctx, h, metav1.UpdateOptions{FieldManager: Component})
			return err
		})
	})
	if err == nil && message != "" {
		a.event(ctx, "HorizontalPodAutoscaler", name, uid, "GuardFloor", message)
	}
	return err
}

// event records a change on the object for `kubectl describe`. An event
// that cannot be written loses nothing but the note: the change is made
// and the decision journaled.
func (a *Actuator) event(ctx context.Context, kind, name string, uid types.UID, why, message string) {
	now := metav1.Now()
	const limit = 1024 // the API server refuses longer event messages
	if len(message) > limit {
		message = message[:limit-3] + "..."
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: name + ".headroom.", Namespace: a.c.Namespace},
		// The UID: kubectl describe finds an object's events by it.
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: a.c.Namespace, Name: name, UID: uid,
			APIVersion: apiVersion(kind)},
		Reason: why, Message: message, Type: corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: Component},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.Timeout)
	defer cancel()
	a.c.Client.CoreV1().Events(a.c.Namespace).Create(ctx, ev, metav1.CreateOptions{}) //nolint:errcheck // best effort, see above
}

func apiVersion(kind string) string {
	if kind == "HorizontalPodAutoscaler" {
		return "autoscaling/v2"
	}
	return "apps/v1"
}

// call runs f with a timeout per attempt, retrying server errors with a
// doubling backoff that ends with ctx, and turns the last error into a
// *headroom.Error.
func (a *Actuator) call(ctx context.Context, what string, f func(context.Context) error) error {
	backoff := wait.Backoff{Duration: a.c.Backoff, Factor: 2, Steps: a.c.Retries + 1, Cap: 30 * time.Second}
	var err error
	// WithContext: the waits end with ctx (shutdown, the lease's
	// deadline), where retry.OnError would sleep on.
	waitErr := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		attempt, cancel := context.WithTimeout(ctx, a.c.Timeout)
		defer cancel()
		if err = f(attempt); err != nil && !retryable(err) {
			return false, err
		}
		return err == nil, nil
	})
	if waitErr == nil {
		return nil
	}
	if err == nil {
		err = waitErr
	}
	if ctx.Err() != nil {
		// Our own shutdown or deadline, not the platform's failure.
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: what + ": stopped before the platform answered", Err: ctx.Err()}
	}
	code := headroom.EUNAVAILABLE
	if refused(err) {
		code = headroom.EINVALID
	}
	return &headroom.Error{Code: code, Message: what, Err: err}
}

// refused says whether the API server refused the request itself: another
// attempt would get the same answer.
func refused(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) ||
		apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsMethodNotSupported(err)
}

// retryable says whether another attempt may succeed: the server failed or
// was too busy, or the attempt timed out. Not a refusal, and not a 409
// (the conflict retries within an attempt already read afresh each time).
func retryable(err error) bool {
	return !refused(err) && !apierrors.IsConflict(err)
}
