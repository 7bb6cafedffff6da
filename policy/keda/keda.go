package keda

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/hpa"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Where the rules below come from.
const (
	// DocScaledObject is the ScaledObject specification: fields, defaults,
	// fallback, advanced.
	DocScaledObject = "https://keda.sh/docs/latest/reference/scaledobject/"
	// DocScalingDeployments explains pausing, activation versus scaling,
	// and that the HPA does the scaling between 1 and N.
	DocScalingDeployments = "https://keda.sh/docs/latest/concepts/scaling-deployments/"
	// DocCron, DocCPU and DocPrometheus are the scalers read.
	DocCron       = "https://keda.sh/docs/latest/scalers/cron/"
	DocCPU        = "https://keda.sh/docs/latest/scalers/cpu/"
	DocPrometheus = "https://keda.sh/docs/latest/scalers/prometheus/"
)

// Kind and APIVersion are those of the objects this package reads.
const (
	Kind       = "ScaledObject"
	APIVersion = "keda.sh/v1alpha1"
	// apiVersionV1 is KEDA 1.x's group, with another shape.
	apiVersionV1 = "keda.k8s.io/"
)

// KEDA's defaults (DocScaledObject, the spec's comments).
const (
	// DefaultMinReplicaCount: "minReplicaCount: 1 # Optional. Default: 0".
	DefaultMinReplicaCount = 0
	// DefaultMaxReplicaCount: "maxReplicaCount: 100 # Optional. Default: 100".
	DefaultMaxReplicaCount = 100
	// DefaultCooldownPeriod: "cooldownPeriod: 300 # Optional. Default: 300
	// seconds"; it only delays the last replica's removal (1 → 0).
	DefaultCooldownPeriod = 300
	// hpaMinReplicas is the floor of the HPA KEDA generates: minReplicas is
	// minReplicaCount when above 0, else 1 (GetHPAMinReplicas in KEDA's
	// apis/keda/v1alpha1/scaledobject_types.go); KEDA itself handles 1 ↔ 0.
	hpaMinReplicas = 1
	// defaultTargetKind: "kind: {kind-of-target-resource} # Optional.
	// Default: Deployment" (DocScaledObject#scaletargetref).
	defaultTargetKind = "Deployment"
)

// Annotations that pause autoscaling (DocScalingDeployments#pausing-autoscaling).
const (
	// AnnotationPaused "will pause scaling immediately and use the current
	// instance count".
	AnnotationPaused = "autoscaling.keda.sh/paused"
	// AnnotationPausedReplicas "will scale your current workload to
	// specified amount of replicas and pause autoscaling"; it wins over
	// AnnotationPaused when both are set.
	AnnotationPausedReplicas = "autoscaling.keda.sh/paused-replicas"
	// AnnotationPausedScaleIn and AnnotationPausedScaleOut set the
	// generated HPA's scaleDown (scaleUp) selectPolicy to Disabled.
	AnnotationPausedScaleIn  = "autoscaling.keda.sh/paused-scale-in"
	AnnotationPausedScaleOut = "autoscaling.keda.sh/paused-scale-out"
)

// The ScaledObject, as far as headroom reads it: the fields of KEDA's
// apis/keda/v1alpha1/scaledobject_types.go, with their JSON names, so that
// a misspelt field is an error naming the closest one.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              *scaledObjectSpec `json:"spec"`
	// Status, in what kubectl prints, is read and ignored.
	Status any `json:"status,omitempty"`
}

type scaledObjectSpec struct {
	ScaleTargetRef        *scaleTarget `json:"scaleTargetRef"`
	PollingInterval       *int32       `json:"pollingInterval,omitempty"`
	CooldownPeriod        *int32       `json:"cooldownPeriod,omitempty"`
	InitialCooldownPeriod *int32       `json:"initialCooldownPeriod,omitempty"`
	IdleReplicaCount      *int32       `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32       `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32       `json:"maxReplicaCount,omitempty"`
	Advanced              *advanced    `json:"advanced,omitempty"`
	Triggers              []trigger    `json:"triggers"`
	Fallback              *fallback    `json:"fallback,omitempty"`
}

type scaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type advanced struct {
	HorizontalPodAutoscalerConfig *hpaConfig       `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool             `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              scalingModifiers `json:"scalingModifiers,omitempty"`
}

type hpaConfig struct {
	// Behavior is "fed directly to the HPA's behavior field"
	// (DocScaledObject#horizontalpodautoscalerconfigbehavior).
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

type scalingModifiers struct {
	Formula          string `json:"formula,omitempty"`
	Target           string `json:"target,omitempty"`
	ActivationTarget string `json:"activationTarget,omitempty"`
	MetricType       string `json:"metricType,omitempty"`
}

type trigger struct {
	Type              string            `json:"type"`
	Name              string            `json:"name,omitempty"`
	UseCachedMetrics  bool              `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	AuthenticationRef *authRef          `json:"authenticationRef,omitempty"`
	MetricType        string            `json:"metricType,omitempty"`
}

type authRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

type fallback struct {
	FailureThreshold *int32 `json:"failureThreshold"`
	Replicas         *int32 `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

// Detect reports whether some document of data is a KEDA ScaledObject (of
// keda.sh, or of KEDA 1.x's keda.k8s.io so that Parse can say why it is
// refused). It never fails: a file that is not even YAML is looked at line
// by line, so that its YAML error is reported by Parse instead of "unknown
// format".
func Detect(data []byte) bool {
	objs, err := hpa.ReadObjects("", data)
	if err != nil {
		return kindLine.Match(data) && apiVersionLine.Match(data)
	}
	for _, o := range objs {
		if isScaledObject(o) {
			return true
		}
	}
	return false
}

var (
	kindLine       = regexp.MustCompile(`(?m)^\s*(?:-\s+)?kind:\s*["']?ScaledObject["']?\s*(?:#.*)?$`)
	apiVersionLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?apiVersion:\s*["']?keda\.(?:sh|k8s\.io)/`)
)

func isScaledObject(o *hpa.Object) bool {
	return o.Kind == Kind && (strings.HasPrefix(o.APIVersion, "keda.sh/") || strings.HasPrefix(o.APIVersion, apiVersionV1))
}

// Parse reads the one ScaledObject in data (a file that may also hold its
// Deployment or StatefulSet, and anything else) and translates it into the
// policy of the HPA KEDA generates from it. Warnings say where the
// translation had to approximate or ignores a field.
//
// Errors are *headroom.InputError or headroom.InputErrors naming path, the
// line, the field and what was expected: invalid YAML, not exactly one
// ScaledObject, an unknown field, a value KEDA would refuse, and what
// headroom does not model (memory and absolute CPU targets, trigger types
// other than cron, cpu and prometheus, scaling modifiers).
func Parse(path string, data []byte) (*headroom.Policy, []string, error) {
	objs, err := hpa.ReadObjects(path, data)
	if err != nil {
		return nil, nil, err
	}
	var found []*hpa.Object
	for _, o := range objs {
		if isScaledObject(o) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		return nil, nil, countError(path, objs, found)
	}
	return translate(found[0], objs)
}

// countError explains a file without exactly one ScaledObject: a policy is
// one autoscaler, and checking two at once would hide which one failed.
func countError(path string, objs, found []*hpa.Object) error {
	if len(found) == 0 {
		var kinds []string
		jobs := false
		for _, o := range objs {
			kinds = append(kinds, describe(o))
			jobs = jobs || o.Kind == "ScaledJob"
		}
		e := &headroom.InputError{File: path, Line: 1, Field: "kind",
			Expected: "a KEDA ScaledObject (apiVersion " + APIVersion + "), found none"}
		if len(kinds) > 0 {
			e.Expected += " among " + strings.Join(kinds, ", ")
		}
		if jobs {
			e.Expected += "; a ScaledJob runs a Job per event instead of scaling a workload, and is not read"
		}
		return e
	}
	var names []string
	for _, o := range found {
		names = append(names, fmt.Sprintf("%s (line %d)", strconv.Quote(o.Name), o.Node.Line))
	}
	return &headroom.InputError{File: path, Line: found[1].Node.Line, Field: "kind", Value: Kind,
		Expected: fmt.Sprintf("exactly one ScaledObject per file, found %d: %s; put each in a file of its own",
			len(found), strings.Join(names, ", "))}
}

func describe(o *hpa.Object) string {
	switch {
	case o.Kind == "":
		return fmt.Sprintf("a document without kind (line %d)", o.Node.Line)
	case o.Name == "":
		return fmt.Sprintf("%s (line %d)", o.Kind, o.Node.Line)
	}
	return fmt.Sprintf("%s %q (line %d)", o.Kind, o.Name, o.Node.Line)
}

// translator turns one ScaledObject into a policy, collecting every
// problem.
type translator struct {
	hpa.Findings
	// rates lists the prometheus triggers read as request rates, for one
	// warning; ratesLine is the first one's line.
	rates     []string
	ratesLine int
}

func translate(o *hpa.Object, objs []*hpa.Object) (*headroom.Policy, []string, error) {
	t := &translator{Findings: hpa.Findings{Obj: o}}
	if o.APIVersion != APIVersion {
		expected := APIVersion
		if strings.HasPrefix(o.APIVersion, apiVersionV1) {
			expected += " (KEDA 2; KEDA 1.x's keda.k8s.io objects have another shape: " +
				"https://keda.sh/docs/latest/migration/)"
		}
		t.Fail("apiVersion", o.APIVersion, expected)
		return nil, nil, t.Errs
	}
	var so scaledObject
	if err := o.Decode(&so); err != nil {
		return nil, nil, hpaFieldHints(err)
	}
	if so.Spec == nil {
		t.Fail("spec", "", "a spec with scaleTargetRef and triggers")
		return nil, nil, t.Errs
	}
	pol := t.policy(&so, objs)
	if len(t.Errs) > 0 {
		// In file order, as a user fixes them.
		sort.SliceStable(t.Errs, func(i, j int) bool { return t.Errs[i].Line < t.Errs[j].Line })
		return nil, nil, t.Errs
	}
	return pol, t.Warnings, nil
}

// hpaFields are HorizontalPodAutoscaler fields written in a ScaledObject,
// and what a ScaledObject calls them (DocScaledObject).
var hpaFields = map[string]string{
	"spec.minReplicas": "minReplicaCount",
	"spec.maxReplicas": "maxReplicaCount",
	"spec.metrics":     "triggers",
	"spec.behavior":    "advanced.horizontalPodAutoscalerConfig.behavior",
}

// hpaFieldHints rewrites the unknown-field errors of HPA field names, whose
// closest ScaledObject field is too far off to be suggested.
func hpaFieldHints(err error) error {
	list, ok := err.(headroom.InputErrors)
	if !ok {
		return err
	}
	for _, e := range list {
		if name, ok := hpaFields[e.Field]; ok && e.Value != "" {
			e.Expected = fmt.Sprintf("%q: %s is a HorizontalPodAutoscaler field, a ScaledObject says spec.%s", name, e.Value, name)
		}
	}
	return list
}

func (t *translator) policy(so *scaledObject, objs []*hpa.Object) *headroom.Policy {
	s := so.Spec
	pol := &headroom.Policy{Name: so.Name, File: t.Obj.File}
	if pol.Name == "" {
		t.Fail("metadata.name", "", "the ScaledObject's name")
	}
	p := t.pause(so.Annotations)
	minCount, lo, hi := t.bounds(s, !p.full())
	ref := t.scaleTarget(s.ScaleTargetRef)

	tt := &headroom.TargetTracking{
		Metrics: t.triggers(s, minCount, lo, hi),
		// KEDA leaves 1 ↔ N to the HPA, which "will also poll regularly
		// for metrics, based on the --horizontal-pod-autoscaler-sync-period
		// ... which by default is 15 seconds" (DocScaledObject#pollinginterval);
		// pollingInterval only paces KEDA's own checks at 0 replicas.
		SyncPeriod: policy.DefaultSyncPeriod,
		Window:     policy.DefaultObservationWindow,
		Delay:      policy.DefaultObservationDelay,
	}
	t.behavior(s, p, tt)
	tt.Fallback = t.fallback(s)
	pol.Target = tt
	for _, m := range tt.Metrics {
		if m.Window != nil {
			// Reports print times in the zone of the first window.
			pol.TimeZone = m.Window.TimeZone
			break
		}
	}
	t.ignored(s, minCount, tt.ScaleDown.StabilizationWindow)

	// Schedules: none. A KEDA cron trigger is not a scheduled action that
	// sets a count once: it is a metric the HPA reads at every sync, worth
	// desiredReplicas while the window is open and 1 after. So the HPA's
	// tolerance applies to it, and the end of a window is no scale-in
	// event but a fall of the metric, which the HPA follows only once the
	// window's last recommendations leave the 300 s scale-down
	// stabilization window: then it drops to the other metrics' count, or
	// to the minimum, in one step — a cliff. Modelled as a metric, the
	// engine gets both right. (DocCron, "How does it work?")
	switch {
	case p.replicas > 0:
		// "autoscaling.keda.sh/paused-replicas ... will scale your current
		// workload to specified amount of replicas and pause autoscaling"
		// (DocScalingDeployments#pausing-autoscaling).
		pol.Min, pol.Max, pol.Initial, pol.Target = p.replicas, p.replicas, p.replicas, nil
		t.Warn(p.path, "autoscaling is paused at %d replicas (%s): the policy holds %d and its triggers are not evaluated", p.replicas, AnnotationPausedReplicas, p.replicas)
	case p.paused:
		// "autoscaling.keda.sh/paused will pause scaling immediately and
		// use the current instance count" (DocScalingDeployments#pausing-autoscaling).
		pol.Min, pol.Max, pol.Target = hpaMinReplicas, hi, nil
		if ref != nil && hi >= hpaMinReplicas {
			pol.Initial = t.initial(ref, so.Namespace, objs, pol.Min, pol.Max)
		}
		t.Warn(p.path, "autoscaling is paused (%s): capacity is held where it is and the triggers are not evaluated; %s", AnnotationPaused, startingCount(pol.Initial))
	default:
		pol.Min, pol.Max = lo, hi
		if ref != nil && hi >= lo {
			pol.Initial = t.initial(ref, so.Namespace, objs, lo, hi)
		}
	}
	if len(t.rates) > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%s:%d: prometheus queries are read as the service's request rate in requests/s: %s; "+
			"headroom replays recorded traffic, so the recorded request rate stands in for each query's value",
			t.Obj.File, t.ratesLine, strings.Join(t.rates, "; ")))
	}
	return pol
}

func startingCount(initial int) string {
	if initial > 0 {
		return fmt.Sprintf("the simulation starts and stays at the workload's %d", initial)
	}
	return "the workload is not in this file, so the starting count is derived from the traffic"
}

// pausing is what the pause annotations ask for.
type pausing struct {
	// replicas is paused-replicas' count (0 when unset), paused is set by
	// autoscaling.keda.sh/paused, path is the annotation's field path.
	replicas int
	paused   bool
	path     string
	// scaleIn and scaleOut are the one-direction pauses.
	scaleIn, scaleOut bool
}

// full reports whether autoscaling is paused in both directions.
func (p pausing) full() bool { return p.paused || p.replicas > 0 }

func annotationPath(key string) string { return fmt.Sprintf("metadata.annotations[%q]", key) }

// pause reads the pause annotations (DocScalingDeployments#pausing-autoscaling).
func (t *translator) pause(ann map[string]string) pausing {
	var p pausing
	if v, ok := ann[AnnotationPausedReplicas]; ok {
		p.path = annotationPath(AnnotationPausedReplicas)
		n, err := strconv.Atoi(strings.TrimSpace(v))
		switch {
		case err != nil:
			t.Fail(p.path, v, "a replica count in quotes, such as \"3\"")
		case n == 0:
			t.Fail(p.path, v, "at least 1: pausing at 0 replicas takes the service down, and scaling to zero is not modelled")
		case n < 0:
			t.Fail(p.path, v, "a replica count of at least 1")
		default:
			p.replicas = n
		}
		// "if both paused and paused-replicas are set, KEDA will scale your
		// current workload to the number specified count in paused-replicas
		// and then pause autoscaling."
		return p
	}
	if v, ok := ann[AnnotationPaused]; ok {
		p.path = annotationPath(AnnotationPaused)
		// KEDA reads the value with strconv.ParseBool and pauses when it is
		// not a boolean (NeedToBePausedByAnnotation in
		// apis/keda/v1alpha1/scaledobject_types.go); "false" unpauses.
		paused, err := strconv.ParseBool(v)
		if err != nil {
			t.Warn(p.path, "%q is not a boolean; KEDA pauses autoscaling anyway", v)
			paused = true
		}
		p.paused = paused
	}
	p.scaleIn = t.boolAnnotation(ann, AnnotationPausedScaleIn)
	p.scaleOut = t.boolAnnotation(ann, AnnotationPausedScaleOut)
	return p
}

func (t *translator) boolAnnotation(ann map[string]string, key string) bool {
	v, ok := ann[key]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		t.Fail(annotationPath(key), v, `"true" or "false"`)
	}
	return b
}

// bounds validates minReplicaCount, maxReplicaCount and idleReplicaCount
// as KEDA does (CheckReplicaCountBoundsAreValid) and returns
// minReplicaCount and the bounds of the HPA KEDA generates.
// https://keda.sh/docs/latest/reference/scaledobject/#minreplicacount
func (t *translator) bounds(s *scaledObjectSpec, warn bool) (minCount, lo, hi int) {
	minCount, hi = DefaultMinReplicaCount, DefaultMaxReplicaCount
	if s.MinReplicaCount != nil {
		if minCount = int(*s.MinReplicaCount); minCount < 0 {
			t.Fail("spec.minReplicaCount", strconv.Itoa(minCount), "a replica count of at least 0")
			minCount = 0
		}
	}
	lo = max(minCount, hpaMinReplicas)
	if s.MaxReplicaCount != nil {
		hi = int(*s.MaxReplicaCount)
	}
	switch {
	case hi < 1:
		t.Fail("spec.maxReplicaCount", strconv.Itoa(hi), "at least 1")
	case hi < lo && s.MaxReplicaCount != nil:
		t.Fail("spec.maxReplicaCount", strconv.Itoa(hi), fmt.Sprintf("at least minReplicaCount (%d)", lo))
	case hi < lo:
		t.Fail("spec.minReplicaCount", strconv.Itoa(minCount), fmt.Sprintf("at most maxReplicaCount (%d, its default)", hi))
	}
	if s.IdleReplicaCount != nil {
		idle := int(*s.IdleReplicaCount)
		// KEDA compares it with minReplicaCount as the HPA sees it, or 0
		// when minReplicaCount is left out: an idleReplicaCount then needs
		// minReplicaCount written.
		floor := 0
		if s.MinReplicaCount != nil {
			floor = lo
		}
		if idle >= floor || idle < 0 {
			t.Fail("spec.idleReplicaCount", strconv.Itoa(idle), fmt.Sprintf("less than minReplicaCount (%d)", floor))
		} else if warn {
			// "the only supported value for this property is 0"
			// (DocScaledObject#idlereplicacount): it is scaling to zero.
			t.Warn("spec.idleReplicaCount", "idleReplicaCount %d is ignored: KEDA scales to it when no trigger is active, and activation is not modelled; the service stays at %d or more", idle, lo)
		}
	}
	if minCount == 0 && warn {
		at, what := "spec", "minReplicaCount is left out (KEDA's default is 0)"
		if s.MinReplicaCount != nil {
			at, what = "spec.minReplicaCount", "minReplicaCount is 0"
		}
		cooldown := DefaultCooldownPeriod
		if s.CooldownPeriod != nil {
			cooldown = int(*s.CooldownPeriod)
		}
		t.Warn(at, "%s: in a cluster KEDA scales the workload to zero %d s (cooldownPeriod) after the last trigger was active, and back to 1 on activation; "+
			"scaling to zero is not modelled, so the service stays at 1 or more, the minReplicas of the HPA KEDA generates", what, cooldown)
	}
	return minCount, lo, hi
}

// scaleTarget checks scaleTargetRef: "name ... Mandatory", kind
// "Default: Deployment" (DocScaledObject#scaletargetref).
func (t *translator) scaleTarget(ref *scaleTarget) *scaleTarget {
	if ref == nil {
		t.Fail("spec.scaleTargetRef", "", "the workload to scale: scaleTargetRef with its name (kind defaults to Deployment)")
		return nil
	}
	if ref.Name == "" {
		t.Fail("spec.scaleTargetRef.name", "", "the name of the scaled workload")
		return nil
	}
	out := *ref
	if out.Kind == "" {
		out.Kind = defaultTargetKind
	}
	return &out
}

// behavior sets the HPA's behavior. KEDA "would feed values from this
// section directly to the HPA's behavior field"
// (DocScaledObject#horizontalpodautoscalerconfigbehavior), so it means what
// it means in an HPA; without it KEDA creates the HPA without behavior, and
// the controller takes its legacy path. The one-direction pause
// annotations set a selectPolicy of Disabled on the generated HPA
// (DocScalingDeployments#pausing-autoscaling), which gives it a behavior.
func (t *translator) behavior(s *scaledObjectSpec, p pausing, tt *headroom.TargetTracking) {
	const at = "spec.advanced.horizontalPodAutoscalerConfig.behavior"
	var b *autoscalingv2.HorizontalPodAutoscalerBehavior
	if a := s.Advanced; a != nil && a.HorizontalPodAutoscalerConfig != nil {
		b = a.HorizontalPodAutoscalerConfig.Behavior
	}
	if p.scaleIn || p.scaleOut {
		b = b.DeepCopy()
		if b == nil {
			b = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		}
		disabled := autoscalingv2.DisabledPolicySelect
		if p.scaleIn {
			if b.ScaleDown == nil {
				b.ScaleDown = &autoscalingv2.HPAScalingRules{}
			}
			b.ScaleDown.SelectPolicy = &disabled
			t.Warn(annotationPath(AnnotationPausedScaleIn), "scale-in is paused (%s): the generated HPA's scaleDown.selectPolicy is Disabled", AnnotationPausedScaleIn)
		}
		if p.scaleOut {
			if b.ScaleUp == nil {
				b.ScaleUp = &autoscalingv2.HPAScalingRules{}
			}
			b.ScaleUp.SelectPolicy = &disabled
			t.Warn(annotationPath(AnnotationPausedScaleOut), "scale-out is paused (%s): the generated HPA's scaleUp.selectPolicy is Disabled", AnnotationPausedScaleOut)
		}
	}
	out, errs := hpa.TranslateBehavior(t.Obj, at, b)
	t.Errs = append(t.Errs, errs...)
	tt.Legacy, tt.ScaleUp, tt.ScaleDown = out.Legacy, out.ScaleUp, out.ScaleDown
	tt.ScaleUpTolerance, tt.ScaleDownTolerance = out.ScaleUpTolerance, out.ScaleDownTolerance
}

// fallback reads the fallback section: "failureThreshold: 3 # Mandatory if
// fallback section is included", "replicas: 6 # Mandatory", behavior
// "Default: static" (DocScaledObject#fallback).
func (t *translator) fallback(s *scaledObjectSpec) *headroom.Fallback {
	f := s.Fallback
	if f == nil {
		return nil
	}
	const at = "spec.fallback"
	out := &headroom.Fallback{}
	for _, c := range []struct {
		field string
		v     *int32
		dst   *int
		what  string
	}{
		{"failureThreshold", f.FailureThreshold, &out.FailureThreshold, "the number of consecutive failed metric reads before falling back"},
		{"replicas", f.Replicas, &out.Replicas, "the replica count to fall back to"},
	} {
		switch {
		case c.v == nil:
			t.Fail(at+"."+c.field, "", c.what+" (required in a fallback section)")
		case *c.v < 1:
			t.Fail(at+"."+c.field, strconv.Itoa(int(*c.v)), "at least 1: "+c.what)
		default:
			*c.dst = int(*c.v)
		}
	}
	switch f.Behavior {
	case "", "static":
	default:
		t.Fail(at+".behavior", f.Behavior, "static (the default): the behaviours that read the current replica count are not modelled")
	}
	// "It only supports scalers whose target is an AverageValue metric.
	// Thus, it is not supported by the CPU & memory scalers, or by scalers
	// whose metric target type is Value. In these cases, it will assume
	// that fallback is disabled." (DocScaledObject#fallback)
	var uncovered []string
	for i, tr := range s.Triggers {
		switch {
		case tr.Type == "cpu":
			uncovered = append(uncovered, fmt.Sprintf("%s (cpu)", triggerName(i, tr)))
		case tr.MetricType == string(autoscalingv2.ValueMetricType):
			uncovered = append(uncovered, fmt.Sprintf("%s (metricType Value)", triggerName(i, tr)))
		}
	}
	if len(uncovered) > 0 {
		t.Warn(at, "KEDA falls back only for triggers with an AverageValue target, so not for %s; headroom's engine applies the fallback to every metric, "+
			"so the simulation may fall back where KEDA would leave the metric missing", strings.Join(uncovered, ", "))
	}
	return out
}

// ignored warns about fields that change nothing between 1 and N replicas
// but read as if they did.
func (t *translator) ignored(s *scaledObjectSpec, minCount int, downWindow time.Duration) {
	if s.CooldownPeriod != nil && minCount > 0 {
		// "the KEDA cooldownPeriod only applies when scaling to 0; scaling
		// from 1 to N replicas is handled by the Kubernetes Horizontal Pod
		// Autoscaler" (DocScaledObject#cooldownperiod).
		t.Warn("spec.cooldownPeriod", "cooldownPeriod %d only delays scaling to zero, which minReplicaCount %d rules out: it has no effect; "+
			"scale-down from N waits for the HPA's scale-down stabilization window, here %v "+
			"(advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds)",
			*s.CooldownPeriod, minCount, downWindow)
	}
	if a := s.Advanced; a != nil && a.ScalingModifiers != (scalingModifiers{}) {
		t.Fail("spec.advanced.scalingModifiers", "", "no scalingModifiers: a formula composing the triggers into one metric is not modelled "+
			"(https://keda.sh/docs/latest/concepts/scaling-deployments/#scaling-modifiers)")
	}
}

// initial finds the workload scaleTargetRef names in the same file and
// returns its replicas as the starting count, clamped into lo..hi with a
// warning: KEDA "will immediately scale it to minReplicaCount" when the
// ScaledObject is created (DocScaledObject#cooldownperiod), and the HPA
// brings a count above its max down at its first sync.
func (t *translator) initial(ref *scaleTarget, namespace string, objs []*hpa.Object, lo, hi int) int {
	o, replicas := t.Workload(objs, ref.Kind, ref.Name, namespace)
	if o == nil {
		return 0
	}
	what := fmt.Sprintf("%s %q has replicas %d", o.Kind, o.Name, replicas)
	switch {
	case replicas < lo:
		t.Warn("spec.scaleTargetRef", "%s, below the minimum of %d: KEDA and the HPA raise it at once; the simulation starts at %d", what, lo, lo)
		return lo
	case replicas > hi:
		t.Warn("spec.scaleTargetRef", "%s, above maxReplicaCount %d: the HPA lowers it at its first sync; the simulation starts at %d", what, hi, hi)
		return hi
	}
	return replicas
}

// loadZone loads an IANA time zone; "Local" would be the zone of the KEDA
// operator's container, not one a file can name.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, fmt.Errorf("Local is the zone of the machine, not a zone name")
	}
	return time.LoadLocation(name)
}
