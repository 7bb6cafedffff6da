package hpa

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// Where the rules below come from.
const (
	// DocHPA is the Horizontal Pod Autoscaling page: the algorithm, the
	// controller's flags and their defaults, behavior and its defaults.
	DocHPA = "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/"
	// DocAPIv2 is the autoscaling/v2 API reference: fields, defaults and
	// limits.
	DocAPIv2 = "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/"
	// DocAPIv1 is the autoscaling/v1 API reference.
	DocAPIv1 = "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v1/"
)

// Kind is the kind of the objects this package reads.
const Kind = "HorizontalPodAutoscaler"

// API versions of HorizontalPodAutoscaler. v2beta2 has the shape of v2 and
// was removed in Kubernetes 1.26; v2beta1 has another shape and was removed
// in 1.25.
// https://kubernetes.io/docs/reference/using-api/deprecation-guide/#horizontalpodautoscaler-v126
const (
	APIVersionV1      = "autoscaling/v1"
	APIVersionV2      = "autoscaling/v2"
	APIVersionV2beta2 = "autoscaling/v2beta2"
	APIVersionV2beta1 = "autoscaling/v2beta1"
)

// The controller's defaults, as kube-controller-manager ships them.
const (
	// DefaultCPUUtilization is the metric of an HPA that names none:
	// "If not set, the default metric will be set to 80% average CPU
	// utilization." (DocAPIv2, spec.metrics); autoscaling/v1's
	// targetCPUUtilizationPercentage falls back to the same 80%.
	DefaultCPUUtilization = 80
	// DefaultMinReplicas: "minReplicas ... It defaults to 1 pod." (DocAPIv2)
	DefaultMinReplicas = 1
	// DefaultDownscaleStabilization is "the
	// --horizontal-pod-autoscaler-downscale-stabilization flag, which
	// defaults to 5 minutes" (DocHPA#algorithm-details). It is the
	// scale-down window of an HPA without behavior, and of one whose
	// behavior.scaleDown leaves stabilizationWindowSeconds out.
	DefaultDownscaleStabilization = 5 * time.Minute
	// DefaultTargetReplicas is a Deployment's or StatefulSet's replicas
	// when the field is left out: "Defaults to 1."
	// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec
	DefaultTargetReplicas = 1
	// maxStabilizationWindow and maxPeriod are the API server's validation
	// limits for behavior (pkg/apis/autoscaling/validation:
	// MaxStabilizationWindowSeconds, MaxPeriodSeconds).
	maxStabilizationWindow = 3600
	maxPeriod              = 1800
)

// Annotations that carry autoscaling/v2 fields on an autoscaling/v1 object
// read back from a cluster.
var v1Annotations = []string{"autoscaling.alpha.kubernetes.io/metrics", "autoscaling.alpha.kubernetes.io/behavior"}

// Detect reports whether some document of data is a HorizontalPodAutoscaler
// (apiVersion autoscaling/v1, v2 or v2beta2, or the removed v2beta1, so
// that Parse can say why it is refused). It never fails: a file that is not
// even YAML is looked at line by line, so that its YAML error is reported by
// Parse instead of "unknown format".
func Detect(data []byte) bool {
	roots, err := parseYAML("", data)
	if err != nil {
		return detectText(data)
	}
	for _, root := range roots {
		o := newObject("", root)
		if isHPA(o) {
			return true
		}
		if items := field(root, "items"); strings.HasSuffix(o.Kind, "List") && items != nil {
			for _, it := range items.Content {
				if isHPA(newObject("", resolve(it))) {
					return true
				}
			}
		}
	}
	return false
}

var (
	kindLine       = regexp.MustCompile(`(?m)^\s*(?:-\s+)?kind:\s*["']?HorizontalPodAutoscaler["']?\s*(?:#.*)?$`)
	apiVersionLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?apiVersion:\s*["']?autoscaling/v`)
)

func detectText(data []byte) bool {
	return kindLine.Match(data) && apiVersionLine.Match(data)
}

func isHPA(o *Object) bool {
	return o.Kind == Kind && strings.HasPrefix(o.APIVersion, "autoscaling/")
}

// Parse reads the one HorizontalPodAutoscaler in data (a file that may also
// hold its Deployment or StatefulSet, and anything else) and translates it
// into a policy with the HPA controller's semantics and defaults. Warnings
// say where the translation had to approximate.
//
// Errors are *headroom.InputError or headroom.InputErrors naming path, the
// line, the field and what was expected: invalid YAML, not exactly one HPA,
// an unknown field, a value the API server would refuse, and what headroom
// does not model (memory and absolute CPU targets, scaling to zero).
func Parse(path string, data []byte) (*headroom.Policy, []string, error) {
	objs, err := ReadObjects(path, data)
	if err != nil {
		return nil, nil, err
	}
	var hpas []*Object
	for _, o := range objs {
		if isHPA(o) {
			hpas = append(hpas, o)
		}
	}
	if len(hpas) != 1 {
		return nil, nil, countError(path, objs, hpas)
	}
	return translate(hpas[0], objs)
}

// countError explains a file without exactly one HPA: a policy is one
// autoscaler, and checking two at once would hide which one failed.
func countError(path string, objs, hpas []*Object) error {
	if len(hpas) == 0 {
		var found []string
		for _, o := range objs {
			found = append(found, describe(o))
		}
		e := &headroom.InputError{File: path, Line: 1, Field: "kind",
			Expected: "a HorizontalPodAutoscaler (apiVersion autoscaling/v2), found none"}
		if len(found) > 0 {
			e.Expected += " among " + strings.Join(found, ", ")
		}
		return e
	}
	var found []string
	for _, o := range hpas {
		found = append(found, fmt.Sprintf("%s (line %d)", strconv.Quote(o.Name), o.Node.Line))
	}
	return &headroom.InputError{File: path, Line: hpas[1].Node.Line, Field: "kind", Value: Kind,
		Expected: fmt.Sprintf("exactly one HorizontalPodAutoscaler per file, found %d: %s; put each in a file of its own",
			len(hpas), strings.Join(found, ", "))}
}

func describe(o *Object) string {
	if o.Kind == "" {
		return fmt.Sprintf("a document without kind (line %d)", o.Node.Line)
	}
	if o.Name == "" {
		return fmt.Sprintf("%s (line %d)", o.Kind, o.Node.Line)
	}
	return fmt.Sprintf("%s %q (line %d)", o.Kind, o.Name, o.Node.Line)
}

// Findings collects what translating one object found: every problem, at
// its line, and the warnings. The KEDA reader embeds it too.
type Findings struct {
	Obj      *Object
	Errs     headroom.InputErrors
	Warnings []string
}

// Fail records a problem at the field path of the object.
func (f *Findings) Fail(path, value, expected string) {
	f.Errs = append(f.Errs, f.Obj.InputError(path, value, expected))
}

// Warn records a warning at the field path's line.
func (f *Findings) Warn(path, format string, args ...any) {
	f.Warnings = append(f.Warnings, fmt.Sprintf("%s:%d: %s", f.Obj.File, f.Obj.Line(path), fmt.Sprintf(format, args...)))
}

// translator turns one HPA object into a policy, collecting every problem.
type translator struct {
	Findings
	// rates lists the non-cpu metrics read as request rates, for one
	// warning.
	rates     []string
	ratesLine int
}

func translate(o *Object, objs []*Object) (*headroom.Policy, []string, error) {
	t := &translator{Findings: Findings{Obj: o}}
	h := t.decode()
	if h == nil {
		return nil, nil, t.Errs
	}
	pol := t.policy(h, objs)
	if len(t.Errs) > 0 {
		// In file order, as a user fixes them.
		sort.SliceStable(t.Errs, func(i, j int) bool { return t.Errs[i].Line < t.Errs[j].Line })
		return nil, nil, t.Errs
	}
	return pol, t.Warnings, nil
}

// decode reads the object as autoscaling/v2, converting the older versions.
func (t *translator) decode() *autoscalingv2.HorizontalPodAutoscaler {
	var h autoscalingv2.HorizontalPodAutoscaler
	switch t.Obj.APIVersion {
	case APIVersionV2:
	case APIVersionV2beta2:
		// v2beta2 and v2 have the same fields; v2 only graduated them.
		// https://kubernetes.io/docs/reference/using-api/deprecation-guide/#horizontalpodautoscaler-v126
		t.Warn("apiVersion", "autoscaling/v2beta2 was removed in Kubernetes 1.26; read as autoscaling/v2, which has the same fields")
	case APIVersionV1:
		return t.decodeV1()
	default:
		t.Fail("apiVersion", t.Obj.APIVersion, "autoscaling/v2, autoscaling/v2beta2 or autoscaling/v1 (autoscaling/v2beta1 was removed in Kubernetes 1.25: "+
			"https://kubernetes.io/docs/reference/using-api/deprecation-guide/#horizontalpodautoscaler-v125)")
		return nil
	}
	if !t.decodeInto(&h) {
		return nil
	}
	return &h
}

func (t *translator) decodeInto(v any) bool {
	if err := t.Obj.Decode(v); err != nil {
		t.Errs = append(t.Errs, err.(headroom.InputErrors)...)
		return false
	}
	if field(t.Obj.Node, "spec") == nil {
		t.Fail("spec", "", "a spec with scaleTargetRef, minReplicas, maxReplicas and metrics")
		return false
	}
	return true
}

// decodeV1 reads an autoscaling/v1 HPA and converts it as the API server
// does: targetCPUUtilizationPercentage becomes one cpu Utilization metric,
// and "if not specified the default autoscaling policy will be used"
// (DocAPIv1), which the v1 conversion (pkg/apis/autoscaling/v1) makes
// DefaultCPUUtilization.
func (t *translator) decodeV1() *autoscalingv2.HorizontalPodAutoscaler {
	var v1 autoscalingv1.HorizontalPodAutoscaler
	if !t.decodeInto(&v1) {
		return nil
	}
	// A v1 object read back from a cluster carries its v2-only fields as
	// JSON in annotations; reading the v1 fields alone would lose them.
	for _, a := range v1Annotations {
		if _, ok := v1.Annotations[a]; ok {
			t.Fail(join("metadata.annotations", a), "", fmt.Sprintf("the autoscaling/v2 form of this HPA: its v2 fields are kept in this annotation, which headroom does not read "+
				"(export it with `kubectl get hpa.v2.autoscaling %s -o yaml`)", v1.Name))
			return nil
		}
	}
	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: v1.ObjectMeta}
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference(v1.Spec.ScaleTargetRef)
	h.Spec.MinReplicas, h.Spec.MaxReplicas = v1.Spec.MinReplicas, v1.Spec.MaxReplicas
	cpu := int32(DefaultCPUUtilization)
	switch p := v1.Spec.TargetCPUUtilizationPercentage; {
	case p == nil:
	case *p < 1:
		t.Fail("spec.targetCPUUtilizationPercentage", strconv.Itoa(int(*p)), "a percentage of at least 1")
	default:
		cpu = *p
	}
	h.Spec.Metrics = []autoscalingv2.MetricSpec{cpuMetric(cpu)}
	return h
}

func cpuMetric(percent int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &percent}}}
}

func (t *translator) policy(h *autoscalingv2.HorizontalPodAutoscaler, objs []*Object) *headroom.Policy {
	pol := &headroom.Policy{Name: h.Name, File: t.Obj.File}
	if pol.Name == "" {
		t.Fail("metadata.name", "", "the HPA's name")
	}
	pol.Min, pol.Max = t.bounds(&h.Spec)
	ref := h.Spec.ScaleTargetRef
	if ref.Kind == "" {
		t.Fail("spec.scaleTargetRef.kind", "", "the kind of the scaled workload, such as Deployment")
	}
	if ref.Name == "" {
		t.Fail("spec.scaleTargetRef.name", "", "the name of the scaled workload")
	}
	tt := &headroom.TargetTracking{
		Metrics: t.metrics(h.Spec.Metrics),
		// --horizontal-pod-autoscaler-sync-period: "the default interval
		// is 15 seconds" (DocHPA#how-does-a-horizontalpodautoscaler-work).
		SyncPeriod: policy.DefaultSyncPeriod,
		// The HPA sees metrics-server's averaged, scraped CPU; see
		// policy.DefaultObservationWindow.
		Window: policy.DefaultObservationWindow,
		Delay:  policy.DefaultObservationDelay,
	}
	b, errs := TranslateBehavior(t.Obj, "spec.behavior", h.Spec.Behavior)
	t.Errs = append(t.Errs, errs...)
	b.apply(tt)
	pol.Target = tt
	if ref.Kind != "" && ref.Name != "" && pol.Min > 0 && pol.Max >= pol.Min {
		pol.Initial = t.initial(h, objs, pol.Min, pol.Max)
	}
	if len(t.rates) > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%s:%d: %s; headroom simulates CPU and request rate only, so the recorded traffic stands in for these metrics",
			t.Obj.File, t.ratesLine, strings.Join(t.rates, "; ")))
	}
	return pol
}

// bounds validates minReplicas and maxReplicas as the API server does.
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/#HorizontalPodAutoscalerSpec
func (t *translator) bounds(s *autoscalingv2.HorizontalPodAutoscalerSpec) (lo, hi int) {
	lo = DefaultMinReplicas
	if s.MinReplicas != nil {
		lo = int(*s.MinReplicas)
		switch {
		case lo == 0:
			// minReplicas 0 needs the alpha HPAScaleToZero gate and an
			// Object or External metric (DocAPIv2, minReplicas).
			t.Fail("spec.minReplicas", "0", "at least 1: scaling to zero (the alpha HPAScaleToZero feature gate) is not modelled")
		case lo < 0:
			t.Fail("spec.minReplicas", strconv.Itoa(lo), "at least 1")
		}
	}
	if field(field(t.Obj.Node, "spec"), "maxReplicas") == nil {
		t.Fail("spec.maxReplicas", "", "the upper limit of replicas (maxReplicas is required)")
		return lo, 0
	}
	hi = int(s.MaxReplicas)
	switch {
	case hi < 1:
		t.Fail("spec.maxReplicas", strconv.Itoa(hi), "at least 1")
	case hi < lo:
		t.Fail("spec.maxReplicas", strconv.Itoa(hi), fmt.Sprintf("at least minReplicas (%d)", lo))
	}
	return lo, hi
}

// metrics translates spec.metrics. The HPA computes a replica count for
// each metric and takes the highest (DocHPA#scaling-on-multiple-metrics).
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/#HorizontalPodAutoscalerSpec
func (t *translator) metrics(specs []autoscalingv2.MetricSpec) []headroom.MetricTarget {
	if len(specs) == 0 {
		// "If not set, the default metric will be set to 80% average CPU
		// utilization." (DocAPIv2, spec.metrics)
		specs = []autoscalingv2.MetricSpec{cpuMetric(DefaultCPUUtilization)}
	}
	var out []headroom.MetricTarget
	for i, m := range specs {
		at := fmt.Sprintf("spec.metrics[%d]", i)
		if !t.oneSource(at, m) {
			continue
		}
		var mt *headroom.MetricTarget
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			mt = t.resource(at+".resource", m.Resource.Name, m.Resource.Target)
		case autoscalingv2.ContainerResourceMetricSourceType:
			mt = t.containerResource(at+".containerResource", m.ContainerResource)
		case autoscalingv2.PodsMetricSourceType:
			mt = t.pods(at+".pods", m.Pods)
		case autoscalingv2.ObjectMetricSourceType:
			mt = t.object(at+".object", m.Object)
		case autoscalingv2.ExternalMetricSourceType:
			mt = t.external(at+".external", m.External)
		}
		if mt != nil {
			out = append(out, *mt)
		}
	}
	return out
}

var sourceTypes = "Resource, ContainerResource, Pods, Object or External"

// oneSource checks that a metric names a known type and fills exactly the
// source of that type, as the API server requires.
func (t *translator) oneSource(at string, m autoscalingv2.MetricSpec) bool {
	sources := map[string]bool{"resource": m.Resource != nil, "containerResource": m.ContainerResource != nil,
		"pods": m.Pods != nil, "object": m.Object != nil, "external": m.External != nil}
	var want string
	switch m.Type {
	case "":
		t.Fail(at+".type", "", sourceTypes)
		return false
	case autoscalingv2.ResourceMetricSourceType:
		want = "resource"
	case autoscalingv2.ContainerResourceMetricSourceType:
		want = "containerResource"
	case autoscalingv2.PodsMetricSourceType:
		want = "pods"
	case autoscalingv2.ObjectMetricSourceType:
		want = "object"
	case autoscalingv2.ExternalMetricSourceType:
		want = "external"
	default:
		t.Fail(at+".type", string(m.Type), sourceTypes)
		return false
	}
	ok := true
	if !sources[want] {
		t.Fail(at+"."+want, "", fmt.Sprintf("a %s section, since type is %s", want, m.Type))
		ok = false
	}
	for _, s := range []string{"resource", "containerResource", "pods", "object", "external"} {
		if s != want && sources[s] {
			t.Fail(at+"."+s, "", fmt.Sprintf("only the %s section, since type is %s", want, m.Type))
			ok = false
		}
	}
	return ok
}

// target validates a MetricTarget as the API server does: a known type and
// positive values.
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/#MetricTarget
func (t *translator) target(at string, mt autoscalingv2.MetricTarget) bool {
	n := len(t.Errs)
	switch mt.Type {
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	default:
		t.Fail(at+".type", string(mt.Type), "Utilization, Value or AverageValue")
	}
	if mt.Value != nil && mt.Value.Sign() != 1 {
		t.Fail(at+".value", mt.Value.String(), "a positive quantity")
	}
	if mt.AverageValue != nil && mt.AverageValue.Sign() != 1 {
		t.Fail(at+".averageValue", mt.AverageValue.String(), "a positive quantity")
	}
	if mt.AverageUtilization != nil && *mt.AverageUtilization < 1 {
		t.Fail(at+".averageUtilization", strconv.Itoa(int(*mt.AverageUtilization)), "a percentage of at least 1")
	}
	return len(t.Errs) == n
}

// resource translates a Resource (or ContainerResource) metric. Only cpu
// against a Utilization target is modelled: the service model has a
// utilization but neither memory nor a CPU request to turn millicores into
// percent. The controller goes by the field that is set: averageValue
// means a raw value, else averageUtilization (pkg/controller/podautoscaler,
// computeStatusForResourceMetric).
func (t *translator) resource(at string, name corev1.ResourceName, mt autoscalingv2.MetricTarget) *headroom.MetricTarget {
	switch {
	case name == "":
		t.Fail(at+".name", "", "a resource name: cpu")
		return nil
	case name == corev1.ResourceMemory:
		t.Fail(at+".name", string(name), "cpu: memory is not modelled; headroom simulates CPU and request rate")
		return nil
	case name != corev1.ResourceCPU:
		t.Fail(at+".name", string(name), "cpu: only CPU and request rate are modelled")
		return nil
	}
	if !t.target(at+".target", mt) {
		return nil
	}
	switch {
	case mt.AverageValue != nil && mt.AverageUtilization != nil:
		t.Fail(at+".target.averageValue", mt.AverageValue.String(), "either averageUtilization or averageValue, not both")
	case mt.AverageValue != nil || mt.AverageUtilization == nil && mt.Value != nil:
		path, q := at+".target.averageValue", mt.AverageValue
		if q == nil {
			path, q = at+".target.value", mt.Value
		}
		t.Fail(path, q.String(), "a Utilization target (averageUtilization, percent of the CPU request): absolute CPU "+
			"targets are not modelled, since the service model has no CPU request to compare millicores with")
	case mt.AverageUtilization == nil:
		t.Fail(at+".target.averageUtilization", "", "the target average CPU utilization in percent of the request, e.g. 70")
	default:
		return &headroom.MetricTarget{Name: string(corev1.ResourceCPU), Kind: headroom.MetricCPU, Target: float64(*mt.AverageUtilization)}
	}
	return nil
}

// containerResource reads a ContainerResource cpu metric as the pod's.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#container-resource-metrics
func (t *translator) containerResource(at string, c *autoscalingv2.ContainerResourceMetricSource) *headroom.MetricTarget {
	if c.Container == "" {
		t.Fail(at+".container", "", "the name of the container whose usage is tracked")
	}
	mt := t.resource(at, c.Name, c.Target)
	if mt != nil && c.Container != "" {
		t.Warn(at+".container", "container %q: its CPU utilization is taken as the pod's (headroom models one container per instance)", c.Container)
	}
	return mt
}

// rate records a metric read as a request rate, for the file's warning.
func (t *translator) rate(at, name, kind, reading string) {
	if len(t.rates) == 0 {
		t.ratesLine = t.Obj.Line(at)
	}
	t.rates = append(t.rates, fmt.Sprintf("metric %q (%s) is read as %s", name, kind, reading))
}

func (t *translator) metricName(at string, id autoscalingv2.MetricIdentifier) bool {
	if id.Name == "" {
		t.Fail(at+".metric.name", "", "the metric's name")
		return false
	}
	return true
}

// pods translates a Pods metric: a per-pod average against an AverageValue
// target, "the only supported target type" for Pods (DocAPIv2,
// PodsMetricSource). headroom reads it as requests per second per instance.
func (t *translator) pods(at string, p *autoscalingv2.PodsMetricSource) *headroom.MetricTarget {
	if !t.metricName(at, p.Metric) || !t.target(at+".target", p.Target) {
		return nil
	}
	if p.Target.AverageValue == nil {
		t.Fail(at+".target.averageValue", "", "the per-pod target value (Pods metrics support AverageValue targets only)")
		return nil
	}
	t.rate(at, p.Metric.Name, "Pods", "requests per second per instance")
	return &headroom.MetricTarget{Name: p.Metric.Name, Kind: headroom.MetricRPS, Target: p.Target.AverageValue.AsApproximateFloat64()}
}

// object translates an Object metric: "a single metric is fetched, which
// describes the object in question. This metric is compared to the target
// value ... this value can optionally be divided by the number of Pods"
// (DocHPA#how-does-a-horizontalpodautoscaler-work). The controller goes by
// target.type: Value compares the value with the target, AverageValue
// divides it by the replica count first (pkg/controller/podautoscaler,
// computeStatusForObjectMetric).
func (t *translator) object(at string, o *autoscalingv2.ObjectMetricSource) *headroom.MetricTarget {
	if o.DescribedObject.Kind == "" || o.DescribedObject.Name == "" {
		t.Fail(at+".describedObject", "", "the kind and name of the object the metric describes")
	}
	if !t.metricName(at, o.Metric) || !t.target(at+".target", o.Target) {
		return nil
	}
	switch o.Target.Type {
	case autoscalingv2.ValueMetricType:
		if o.Target.Value == nil {
			t.Fail(at+".target.value", "", "the target value, since target.type is Value")
			return nil
		}
		t.rate(at, o.Metric.Name, "Object, Value", "requests per second for the whole service")
		return &headroom.MetricTarget{Name: o.Metric.Name, Kind: headroom.MetricRPS, Target: o.Target.Value.AsApproximateFloat64(), Total: true}
	case autoscalingv2.AverageValueMetricType:
		if o.Target.AverageValue == nil {
			t.Fail(at+".target.averageValue", "", "the per-pod target value, since target.type is AverageValue")
			return nil
		}
		t.rate(at, o.Metric.Name, "Object, AverageValue", "requests per second for the whole service, divided by the instance count")
		return &headroom.MetricTarget{Name: o.Metric.Name, Kind: headroom.MetricRPS, Target: o.Target.AverageValue.AsApproximateFloat64(), External: true}
	}
	t.Fail(at+".target.type", string(o.Target.Type), "Value or AverageValue (Object metrics have no Utilization target)")
	return nil
}

// external translates an External metric. The controller goes by the
// field that is set: averageValue first, then value
// (pkg/controller/podautoscaler, computeStatusForExternalMetric).
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/#ExternalMetricSource
func (t *translator) external(at string, e *autoscalingv2.ExternalMetricSource) *headroom.MetricTarget {
	if !t.metricName(at, e.Metric) || !t.target(at+".target", e.Target) {
		return nil
	}
	switch {
	case e.Target.AverageValue != nil && e.Target.Value != nil:
		t.Fail(at+".target.value", e.Target.Value.String(), "either value (for the whole metric) or averageValue (per pod), not both")
	case e.Target.AverageValue != nil:
		t.rate(at, e.Metric.Name, "External, AverageValue", "requests per second for the whole service, divided by the instance count")
		return &headroom.MetricTarget{Name: e.Metric.Name, Kind: headroom.MetricRPS, Target: e.Target.AverageValue.AsApproximateFloat64(), External: true}
	case e.Target.Value != nil:
		t.rate(at, e.Metric.Name, "External, Value", "requests per second for the whole service")
		return &headroom.MetricTarget{Name: e.Metric.Name, Kind: headroom.MetricRPS, Target: e.Target.Value.AsApproximateFloat64(), Total: true}
	default:
		t.Fail(at+".target.value", "", "value (for the whole metric) or averageValue (per pod)")
	}
	return nil
}

// Behavior is what an HPA's behavior section means for the engine. KEDA's
// advanced.horizontalPodAutoscalerConfig.behavior has the same type and
// meaning.
type Behavior struct {
	// Legacy is set when there is no behavior section: the controller
	// then uses its older path (a scale-down window and a scale-up limit
	// of max(2 × current, 4)), not the default policies.
	Legacy             bool
	ScaleUp, ScaleDown headroom.ScalingRules
	// ScaleUpTolerance and ScaleDownTolerance are the per-direction
	// tolerance fields, or the cluster's --horizontal-pod-autoscaler-tolerance.
	ScaleUpTolerance, ScaleDownTolerance float64
}

func (b Behavior) apply(t *headroom.TargetTracking) {
	t.Legacy, t.ScaleUp, t.ScaleDown = b.Legacy, b.ScaleUp, b.ScaleDown
	t.ScaleUpTolerance, t.ScaleDownTolerance = b.ScaleUpTolerance, b.ScaleDownTolerance
}

// TranslateBehavior translates the behavior written at path at of o (nil
// when the object has none). Its errors name the lines of the fields the
// API server would refuse.
//
// Without a behavior section the controller takes its legacy path: the
// downscale stabilization window of
// --horizontal-pod-autoscaler-downscale-stabilization (5m) and a scale-up
// limit of max(2 × current, 4) (pkg/controller/podautoscaler,
// normalizeDesiredReplicas). With one, each direction starts from the
// defaults the API server fills in, and each field written replaces its
// default; policies written replace the default policies as a whole.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior
func TranslateBehavior(o *Object, at string, b *autoscalingv2.HorizontalPodAutoscalerBehavior) (Behavior, headroom.InputErrors) {
	// The controller skips scaling "if the ratio is sufficiently close to
	// 1.0 (within a globally-configurable tolerance, 0.1 by default)"
	// (DocHPA#algorithm-details): --horizontal-pod-autoscaler-tolerance.
	out := Behavior{ScaleUpTolerance: policy.DefaultTolerance, ScaleDownTolerance: policy.DefaultTolerance}
	if b == nil {
		out.Legacy = true
		out.ScaleDown = headroom.ScalingRules{StabilizationWindow: DefaultDownscaleStabilization}
		return out, nil
	}
	t := &translator{Findings: Findings{Obj: o}}
	// scaleUp: no stabilization, the higher of 4 pods and 100% per 15 s
	// (DocHPA#default-behavior, and the API server's defaults in
	// pkg/apis/autoscaling/v2/defaults.go; the API reference's "per 60
	// seconds" for scaleUp is out of date).
	out.ScaleUp = policy.DefaultScaleUp()
	// scaleDown: 100% per 15 s after a window of "300 seconds (or the value
	// of the --horizontal-pod-autoscaler-downscale-stabilization flag if
	// provided)" (DocHPA#default-behavior): the API server leaves the window
	// unset and the controller fills in its flag.
	out.ScaleDown = policy.DefaultScaleDown()
	out.ScaleDown.StabilizationWindow = DefaultDownscaleStabilization
	out.ScaleUpTolerance = t.rules(at+".scaleUp", b.ScaleUp, &out.ScaleUp, out.ScaleUpTolerance)
	out.ScaleDownTolerance = t.rules(at+".scaleDown", b.ScaleDown, &out.ScaleDown, out.ScaleDownTolerance)
	return out, t.Errs
}

// rules overlays one direction of behavior on its defaults and returns its
// tolerance. Limits are the API server's validation.
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/#HorizontalPodAutoscalerSpec
func (t *translator) rules(at string, s *autoscalingv2.HPAScalingRules, r *headroom.ScalingRules, tol float64) float64 {
	if s == nil {
		return tol
	}
	if w := s.StabilizationWindowSeconds; w != nil {
		if *w < 0 || *w > maxStabilizationWindow {
			t.Fail(at+".stabilizationWindowSeconds", strconv.Itoa(int(*w)), fmt.Sprintf("seconds in 0..%d", maxStabilizationWindow))
		}
		r.StabilizationWindow = time.Duration(*w) * time.Second
	}
	if sp := s.SelectPolicy; sp != nil {
		switch v := headroom.SelectPolicy(*sp); v {
		case headroom.SelectMax, headroom.SelectMin, headroom.SelectDisabled:
			r.Select = v
		default:
			t.Fail(at+".selectPolicy", string(*sp), "Max, Min or Disabled")
		}
	}
	// tolerance (the HPAConfigurableTolerance feature): "the tolerance on
	// the ratio between the current and desired metric value under which
	// no updates are made ... Must be greater than or equal to zero. If not
	// set, the default cluster-wide tolerance is applied" (DocAPIv2,
	// HPAScalingRules).
	if q := s.Tolerance; q != nil {
		if q.Sign() < 0 {
			t.Fail(at+".tolerance", q.String(), "a ratio of at least 0, such as 0.05 for 5%")
		} else {
			tol = q.AsApproximateFloat64()
		}
	}
	if s.Policies == nil {
		return tol
	}
	if len(s.Policies) == 0 {
		t.Fail(at+".policies", "[]", "at least one policy (leave policies out to keep the defaults)")
	}
	r.Policies = nil
	for i, p := range s.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", at, i)
		kind := headroom.RateKind(p.Type)
		if kind != headroom.RatePods && kind != headroom.RatePercent {
			t.Fail(pp+".type", string(p.Type), "Pods or Percent")
		}
		if p.Value <= 0 {
			t.Fail(pp+".value", strconv.Itoa(int(p.Value)), "a positive number of pods or percent")
		}
		if p.PeriodSeconds <= 0 || p.PeriodSeconds > maxPeriod {
			t.Fail(pp+".periodSeconds", strconv.Itoa(int(p.PeriodSeconds)), fmt.Sprintf("seconds in 1..%d", maxPeriod))
		}
		r.Policies = append(r.Policies, headroom.RatePolicy{Kind: kind, Value: int(p.Value), Period: time.Duration(p.PeriodSeconds) * time.Second})
	}
	return tol
}

// initial finds the workload scaleTargetRef names in the same file and
// returns its replicas as the starting count. The controller brings a count
// outside minReplicas..maxReplicas into range at its first sync, before
// behavior applies (pkg/controller/podautoscaler, reconcileAutoscaler), so
// the count is clamped, with a warning.
func (t *translator) initial(h *autoscalingv2.HorizontalPodAutoscaler, objs []*Object, lo, hi int) int {
	ref := h.Spec.ScaleTargetRef
	o, replicas := t.Workload(objs, ref.Kind, ref.Name, h.Namespace)
	if o == nil {
		return 0
	}
	what := fmt.Sprintf("%s %q has replicas %d", o.Kind, o.Name, replicas)
	switch {
	case replicas == 0:
		// "If the target's desired replica count is set to 0, and the
		// HPA's minimum replica count is greater than 0, the HPA stops
		// adjusting the target" (DocHPA#implicit-maintenance-mode-deactivation).
		t.Warn("spec.scaleTargetRef", "%s, which deactivates the HPA in a cluster until it is raised; the simulation starts at minReplicas %d", what, lo)
		return lo
	case replicas < lo:
		t.Warn("spec.scaleTargetRef", "%s, below minReplicas %d: the HPA raises it at its first sync; the simulation starts at %d", what, lo, lo)
		return lo
	case replicas > hi:
		t.Warn("spec.scaleTargetRef", "%s, above maxReplicas %d: the HPA lowers it at its first sync; the simulation starts at %d", what, hi, hi)
		return hi
	}
	return replicas
}

// Workload finds, among objs, the Deployment or StatefulSet the object's
// scaleTargetRef names (in namespace: objects that name none are applied to
// the same one) and returns it with its spec.replicas. o is nil when the
// file does not hold it, with a warning listing the file's workloads (a
// misspelt reference), or when its replicas are invalid, with the problem.
// The KEDA reader uses it too.
func (f *Findings) Workload(objs []*Object, kind, name, namespace string) (o *Object, replicas int) {
	var workloads []string
	for _, w := range objs {
		if w.Kind != "Deployment" && w.Kind != "StatefulSet" {
			continue
		}
		workloads = append(workloads, fmt.Sprintf("%s %q", w.Kind, w.Name))
		sameNS := w.Namespace == "" || namespace == "" || w.Namespace == namespace
		if o != nil || w.Kind != kind || w.Name != name || !sameNS {
			continue
		}
		r, errs := replicasOf(w)
		if errs != nil {
			f.Errs = append(f.Errs, errs...)
			return nil, 0
		}
		o, replicas = w, r
	}
	if o == nil && len(workloads) > 0 {
		f.Warn("spec.scaleTargetRef.name", "scaleTargetRef names %s %q, which is not in this file (it holds %s); the starting count is derived from the traffic",
			kind, name, strings.Join(workloads, ", "))
	}
	return o, replicas
}

// replicasOf reads spec.replicas of a Deployment or StatefulSet (default
// DefaultTargetReplicas). Fields the apps/v1 types do not know are let
// through: the workload is read for its replica count, and its pod template
// is not headroom's to judge.
func replicasOf(o *Object) (int, headroom.InputErrors) {
	var r *int32
	var err error
	switch o.Kind {
	case "Deployment":
		var d appsv1.Deployment
		err = o.decode(&d, false)
		r = d.Spec.Replicas
	case "StatefulSet":
		var s appsv1.StatefulSet
		err = o.decode(&s, false)
		r = s.Spec.Replicas
	}
	if err != nil {
		return 0, err.(headroom.InputErrors)
	}
	if r == nil {
		return DefaultTargetReplicas, nil
	}
	if *r < 0 {
		return 0, headroom.InputErrors{o.InputError("spec.replicas", strconv.Itoa(int(*r)), "a replica count of at least 0")}
	}
	return int(*r), nil
}
