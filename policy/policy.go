package policy

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"github.com/headroomhq/headroom/schedule"
	"go.yaml.in/yaml/v3"
)

// APIVersion is the apiVersion of headroom's own documents.
const APIVersion = "headroom.dev/v1alpha1"

// Kinds of documents.
const (
	KindService       = "Service"
	KindScalingPolicy = "ScalingPolicy"
)

// Defaults of the HPA algorithm, used where a policy leaves a field out.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior
const (
	// DefaultTolerance: "--horizontal-pod-autoscaler-tolerance, defaults to 0.1".
	DefaultTolerance = 0.1
	// DefaultSyncPeriod: "--horizontal-pod-autoscaler-sync-period ... 15 seconds".
	DefaultSyncPeriod = 15 * time.Second
	// DefaultScaleDownStabilization: scaleDown.stabilizationWindowSeconds 300.
	DefaultScaleDownStabilization = 300 * time.Second
	// DefaultObservationWindow and DefaultObservationDelay model
	// metrics-server, which scrapes every 15 s (--metric-resolution) a CPU
	// rate the kubelet averages over its own recent window.
	// https://github.com/kubernetes-sigs/metrics-server#configuration
	DefaultObservationWindow = 30 * time.Second
	DefaultObservationDelay  = 15 * time.Second
	// DefaultSLOWindow is the window an SLO is judged over.
	DefaultSLOWindow = time.Minute
	// maxStabilization and maxPeriod are the HPA API's validation limits.
	maxStabilization = 3600
	maxPeriod        = 1800
)

// DefaultScaleUp and DefaultScaleDown are HPA's default behavior: scale up
// by at most 4 pods or 100% per 15 s (whichever is more) with no
// stabilization; scale down by up to 100% per 15 s after a 300 s window.
func DefaultScaleUp() headroom.ScalingRules {
	return headroom.ScalingRules{Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
		{Kind: headroom.RatePods, Value: 4, Period: 15 * time.Second},
		{Kind: headroom.RatePercent, Value: 100, Period: 15 * time.Second},
	}}
}

func DefaultScaleDown() headroom.ScalingRules {
	return headroom.ScalingRules{StabilizationWindow: DefaultScaleDownStabilization, Select: headroom.SelectMax,
		Policies: []headroom.RatePolicy{{Kind: headroom.RatePercent, Value: 100, Period: 15 * time.Second}}}
}

// File is what one file holds.
type File struct {
	Path     string
	Services []*headroom.Service
	Policies []*headroom.Policy
}

type header struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   yamlnode.Metadata `yaml:"metadata"`
	Spec       yaml.Node         `yaml:"spec"`
}

type serviceSpec struct {
	CapacityPerInstance *float64          `yaml:"capacityPerInstance"`
	StartupDelay        yamlnode.Duration `yaml:"startupDelay"`
	BaseLatency         yamlnode.Duration `yaml:"baseLatency"`
	RequestTimeout      yamlnode.Duration `yaml:"requestTimeout"`
	SLO                 *sloSpec          `yaml:"slo"`
	Detection           *detectionSpec    `yaml:"detection"`
}

// detectionSpec is the detector's rules, usually written by
// `headroom detect tune`.
type detectionSpec struct {
	Rules []alertRuleSpec `yaml:"rules"`
}

type alertRuleSpec struct {
	Name          string            `yaml:"name"`
	Long          yamlnode.Duration `yaml:"long"`
	Short         yamlnode.Duration `yaml:"short"`
	Factor        *float64          `yaml:"factor"`
	Latency       yamlnode.Duration `yaml:"latency"`
	For           yamlnode.Duration `yaml:"for"`
	KeepFiringFor yamlnode.Duration `yaml:"keepFiringFor"`
	Severity      string            `yaml:"severity"`
}

type sloSpec struct {
	MaxErrorRatio *float64 `yaml:"maxErrorRatio"`
	// MaxLatency is a duration (the mean's bound) or a mapping of mean
	// and one percentile: {p99: 500ms} or {mean: 250ms, p99: 500ms}.
	MaxLatency yaml.Node         `yaml:"maxLatency"`
	Window     yamlnode.Duration `yaml:"window"`
}

type policySpec struct {
	MinInstances     *int           `yaml:"minInstances"`
	MaxInstances     *int           `yaml:"maxInstances"`
	InitialInstances *int           `yaml:"initialInstances"`
	TimeZone         string         `yaml:"timeZone"`
	Schedules        []scheduleSpec `yaml:"schedules"`
	TargetTracking   *targetSpec    `yaml:"targetTracking"`
}

type scheduleSpec struct {
	Name             string `yaml:"name"`
	Cron             string `yaml:"cron"`
	TimeZone         string `yaml:"timeZone"`
	MinInstances     *int   `yaml:"minInstances"`
	MaxInstances     *int   `yaml:"maxInstances"`
	DesiredInstances *int   `yaml:"desiredInstances"`
}

type targetSpec struct {
	Metric             string            `yaml:"metric"`
	Target             *float64          `yaml:"target"`
	Metrics            []metricSpec      `yaml:"metrics"`
	Tolerance          *float64          `yaml:"tolerance"`
	ScaleUpTolerance   *float64          `yaml:"scaleUpTolerance"`
	ScaleDownTolerance *float64          `yaml:"scaleDownTolerance"`
	SyncPeriod         yamlnode.Duration `yaml:"syncPeriod"`
	Observation        *observationSpec  `yaml:"observation"`
	Behavior           *behaviorSpec     `yaml:"behavior"`
}

// metricSpec is one entry of targetTracking.metrics; metric and target at
// the top of targetTracking are the shorthand for a single one.
type metricSpec struct {
	Metric string   `yaml:"metric"`
	Target *float64 `yaml:"target"`
	// Total makes an rps target one for the whole service.
	Total bool `yaml:"total"`
}

type observationSpec struct {
	Window yamlnode.Duration `yaml:"window"`
	Delay  yamlnode.Duration `yaml:"delay"`
}

// behaviorSpec mirrors autoscaling/v2 HorizontalPodAutoscalerBehavior field
// for field, so an HPA user can paste theirs.
type behaviorSpec struct {
	ScaleUp   *rulesSpec `yaml:"scaleUp"`
	ScaleDown *rulesSpec `yaml:"scaleDown"`
}

type rulesSpec struct {
	StabilizationWindowSeconds *int         `yaml:"stabilizationWindowSeconds"`
	SelectPolicy               *string      `yaml:"selectPolicy"`
	Policies                   []ratePolicy `yaml:"policies"`
}

type ratePolicy struct {
	Type          string `yaml:"type"`
	Value         *int   `yaml:"value"`
	PeriodSeconds *int   `yaml:"periodSeconds"`
}

// LoadFile reads and validates every document of a file.
func LoadFile(path string) (*File, error) {
	data, err := inputfile.Read(path, inputfile.MaxDocumentSize)
	if err != nil {
		return nil, &headroom.InputError{File: path, Expected: "a readable YAML file of at most 16 MiB", Err: err}
	}
	return Parse(path, data)
}

// Parse validates the documents in data; path names them in errors.
func Parse(path string, data []byte) (*File, error) {
	docs, err := documents(path, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, &headroom.InputError{File: path, Line: 1, Expected: "at least one document with apiVersion " + APIVersion}
	}
	f := &File{Path: path}
	var errs headroom.InputErrors
	for _, d := range docs {
		p := &parser{file: path, root: d}
		p.document(f)
		errs = append(errs, p.errs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// LoadService reads the one Service in path.
func LoadService(path string) (*headroom.Service, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if len(f.Services) != 1 {
		return nil, &headroom.InputError{File: path, Field: "kind", Expected: fmt.Sprintf("exactly one document of kind %s, found %d", KindService, len(f.Services))}
	}
	return f.Services[0], nil
}

// LoadPolicy reads the one ScalingPolicy in path.
func LoadPolicy(path string) (*headroom.Policy, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return onePolicy(path, f)
}

// ParsePolicy reads the one ScalingPolicy in data; path names it in errors.
func ParsePolicy(path string, data []byte) (*headroom.Policy, error) {
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return onePolicy(path, f)
}

func onePolicy(path string, f *File) (*headroom.Policy, error) {
	if len(f.Policies) != 1 {
		return nil, &headroom.InputError{File: path, Field: "kind", Expected: fmt.Sprintf("exactly one document of kind %s, found %d", KindScalingPolicy, len(f.Policies))}
	}
	return f.Policies[0], nil
}

// parser validates one document, collecting every problem.
type parser struct {
	file string
	root *yaml.Node
	errs headroom.InputErrors
}

// fail records a problem at the field path (dot-separated, with numeric
// sequence indexes) of the document.
func (p *parser) fail(path, value, expected string) {
	p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: yamlnode.Line(p.root, path, false),
		Field: yamlnode.Display(path), Value: value, Expected: expected})
}

func (p *parser) document(f *File) {
	var h header
	if err := p.root.Decode(&h); err != nil {
		p.errs = append(p.errs, yamlnode.Errors(p.file, err)...)
		return
	}
	if h.APIVersion != APIVersion {
		p.fail("apiVersion", h.APIVersion, APIVersion)
		return
	}
	var spec any
	switch h.Kind {
	case KindService:
		spec = &serviceSpec{}
	case KindScalingPolicy:
		spec = &policySpec{}
	default:
		p.fail("kind", h.Kind, KindService+" or "+KindScalingPolicy)
		return
	}
	yamlnode.CheckFields(p.file, p.root, reflect.TypeOf(header{}), "", &p.errs)
	if h.Spec.Kind == 0 {
		p.fail("spec", "", "a spec mapping")
		return
	}
	yamlnode.CheckFields(p.file, &h.Spec, reflect.TypeOf(spec), "spec", &p.errs)
	if err := h.Spec.Decode(spec); err != nil {
		p.errs = append(p.errs, yamlnode.Errors(p.file, err)...)
		return
	}
	name := h.Metadata.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
	}
	switch s := spec.(type) {
	case *serviceSpec:
		if svc := p.service(name, s); svc != nil {
			f.Services = append(f.Services, svc)
		}
	case *policySpec:
		if pol := p.policy(name, s); pol != nil {
			f.Policies = append(f.Policies, pol)
		}
	}
}

// duration checks a duration field and returns its value or def.
func (p *parser) duration(path string, d yamlnode.Duration, required bool, def time.Duration) time.Duration {
	switch {
	case d.Bad:
		p.fail(path, d.Raw, "a duration such as 500ms, 30s or 3m ("+d.Problem()+")")
	case !d.Set && required:
		p.fail(path, "", "a duration such as 500ms, 30s or 3m")
	}
	return d.Or(def)
}

func (p *parser) service(name string, s *serviceSpec) *headroom.Service {
	n := len(p.errs)
	svc := &headroom.Service{Name: name}
	switch {
	case s.CapacityPerInstance == nil:
		p.fail("spec.capacityPerInstance", "", "requests per second one instance serves at 100% utilization, e.g. 50")
	case !(*s.CapacityPerInstance >= MinCapacityPerInstance && *s.CapacityPerInstance <= MaxCapacityPerInstance):
		p.fail("spec.capacityPerInstance", fmt.Sprint(*s.CapacityPerInstance),
			fmt.Sprintf("a finite number of requests per second from %g to %g", MinCapacityPerInstance, MaxCapacityPerInstance))
	default:
		svc.CapacityPerInstance = *s.CapacityPerInstance
	}
	svc.StartupDelay = p.duration("spec.startupDelay", s.StartupDelay, true, 0)
	svc.BaseLatency = p.duration("spec.baseLatency", s.BaseLatency, true, 0)
	if s.BaseLatency.Set && !s.BaseLatency.Bad && svc.BaseLatency <= 0 {
		p.fail("spec.baseLatency", s.BaseLatency.Raw, "a positive duration")
	}
	svc.RequestTimeout = p.duration("spec.requestTimeout", s.RequestTimeout, false, 0)
	if svc.RequestTimeout > 0 && svc.RequestTimeout <= svc.BaseLatency {
		p.fail("spec.requestTimeout", s.RequestTimeout.Raw, "a timeout longer than baseLatency")
	}
	if s.SLO == nil {
		p.fail("spec.slo", "", "an slo with maxErrorRatio and maxLatency")
		return nil
	}
	switch r := s.SLO.MaxErrorRatio; {
	case r == nil:
		p.fail("spec.slo.maxErrorRatio", "", "the highest acceptable ratio of failed requests, e.g. 0.001")
	case !(*r >= 0 && *r < 1):
		p.fail("spec.slo.maxErrorRatio", fmt.Sprint(*r), "a ratio in [0, 1), e.g. 0.001 for 99.9%")
	default:
		svc.SLO.MaxErrorRatio = *r
	}
	maxLatencyRaw := p.maxLatency(svc, &s.SLO.MaxLatency)
	svc.SLO.Window = p.duration("spec.slo.window", s.SLO.Window, false, DefaultSLOWindow)
	if svc.SLO.Window < time.Second || svc.SLO.Window%time.Second != 0 {
		p.fail("spec.slo.window", s.SLO.Window.Raw, "a whole number of seconds, at least 1s")
	}
	if d := s.Detection; d != nil {
		svc.Detection = p.detection(d)
	}
	for _, d := range []struct {
		path string
		raw  string
		v    time.Duration
	}{
		{"spec.startupDelay", s.StartupDelay.Raw, svc.StartupDelay},
		{"spec.baseLatency", s.BaseLatency.Raw, svc.BaseLatency},
		{"spec.requestTimeout", s.RequestTimeout.Raw, svc.RequestTimeout},
		{"spec.slo.maxLatency", maxLatencyRaw, max(svc.SLO.MaxLatency, svc.SLO.MaxPercentileLatency)},
		{"spec.slo.window", s.SLO.Window.Raw, svc.SLO.Window},
	} {
		if d.v > MaxServiceDuration*time.Second {
			p.fail(d.path, d.raw, "a duration of at most 24h")
		}
	}
	if len(p.errs) > n {
		return nil
	}
	return svc
}

// maxLatency reads the SLO's latency bounds into svc.SLO: a duration bounds
// the mean; a mapping holds mean and one percentile, pNN (p50 to p99.99).
// A percentile alone bounds the mean by the same value, for what reads a
// mean (the detector's latency rules, the guards, Required's mean). It
// returns what was written, for messages.
func (p *parser) maxLatency(svc *headroom.Service, n *yaml.Node) string {
	const path = "spec.slo.maxLatency"
	const expected = "a duration such as 250ms (the mean) or a mapping such as {p99: 500ms} or {mean: 250ms, p99: 500ms}"
	above := func(at string, line int, raw string, d time.Duration) {
		if d <= svc.BaseLatency {
			p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: line, Field: at, Value: raw,
				Expected: "a latency above baseLatency (no instance count can do better than an idle one)"})
		}
	}
	duration := func(at string, v *yaml.Node) (time.Duration, bool) {
		var d yamlnode.Duration
		d.UnmarshalYAML(v)
		if d.Bad {
			p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: v.Line, Field: at, Value: d.Raw,
				Expected: "a duration such as 500ms, 30s or 3m (" + d.Problem() + ")"})
			return 0, false
		}
		return d.D, true
	}
	switch n.Kind {
	case 0:
		p.fail(path, "", expected)
		return ""
	case yaml.ScalarNode:
		d, ok := duration(path, n)
		if ok {
			svc.SLO.MaxLatency = d
			above(path, n.Line, n.Value, d)
		}
		return n.Value
	case yaml.MappingNode:
	default:
		p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: n.Line, Field: path, Expected: expected})
		return ""
	}
	var mean bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		at := path + "." + k.Value
		d, ok := duration(at, v)
		if !ok {
			continue
		}
		if k.Value == "mean" {
			svc.SLO.MaxLatency, mean = d, true
			above(at, v.Line, v.Value, d)
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimPrefix(k.Value, "p"), 64)
		switch {
		case !strings.HasPrefix(k.Value, "p") || err != nil || !(pct >= 50 && pct < 100) || math.Round(pct*100) != pct*100:
			p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: k.Line, Field: at, Value: k.Value,
				Expected: "mean or a percentile from p50 to p99.99, such as p95 or p99"})
		case svc.SLO.Percentile > 0:
			p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: k.Line, Field: at, Value: k.Value,
				Expected: fmt.Sprintf("one percentile (p%g is already bounded)", svc.SLO.Percentile)})
		default:
			svc.SLO.Percentile, svc.SLO.MaxPercentileLatency = pct, d
			above(at, v.Line, v.Value, d)
		}
	}
	switch {
	case len(n.Content) == 0:
		p.errs = append(p.errs, &headroom.InputError{File: p.file, Line: n.Line, Field: path, Expected: expected})
	case !mean && svc.SLO.Percentile > 0:
		svc.SLO.MaxLatency = svc.SLO.MaxPercentileLatency
	}
	return fmt.Sprintf("mean %s, p%g %s", svc.SLO.MaxLatency, svc.SLO.Percentile, svc.SLO.MaxPercentileLatency)
}

// detection reads the detector's rules; see docs/DETECT.md.
func (p *parser) detection(d *detectionSpec) []headroom.AlertRule {
	if len(d.Rules) == 0 {
		p.fail("spec.detection.rules", "", "at least one rule with name, long, factor or latency (leave detection out for the SRE workbook's defaults)")
		return nil
	}
	rules := []headroom.AlertRule{}
	seen := map[string]bool{}
	for i, r := range d.Rules {
		at := fmt.Sprintf("spec.detection.rules.%d", i)
		rule := headroom.AlertRule{Name: r.Name, Severity: headroom.Severity(r.Severity)}
		switch {
		case r.Name == "" || r.Name == "capacity" || r.Name == "blind":
			p.fail(at+".name", r.Name, "a name for the rule other than capacity and blind (the built-in signals), such as fast")
		case seen[r.Name]:
			p.fail(at+".name", r.Name, "a name no other rule has")
		}
		seen[r.Name] = true
		if rule.Severity == "" {
			rule.Severity = headroom.SeverityPage
		} else if rule.Severity != headroom.SeverityPage && rule.Severity != headroom.SeverityTicket {
			p.fail(at+".severity", r.Severity, "page or ticket")
		}
		rule.Long = p.duration(at+".long", r.Long, true, 0)
		if r.Long.Set && !r.Long.Bad && rule.Long <= 0 {
			p.fail(at+".long", r.Long.Raw, "a window longer than 0, such as 5m")
		}
		rule.Short = p.duration(at+".short", r.Short, false, 0)
		if rule.Short < 0 || (rule.Long > 0 && rule.Short > rule.Long) {
			p.fail(at+".short", r.Short.Raw, "a window no longer than long, or none")
		}
		if f := r.Factor; f != nil {
			if !(*f > 0) || math.IsInf(*f, 0) {
				p.fail(at+".factor", fmt.Sprint(*f), "a finite burn rate above 0, such as 14.4")
			} else {
				rule.Factor = *f
			}
		}
		rule.Latency = p.duration(at+".latency", r.Latency, false, 0)
		if r.Factor == nil && !r.Latency.Set {
			p.fail(at, "", "factor (a burn rate), latency, or both")
		}
		rule.For = p.duration(at+".for", r.For, false, 0)
		rule.KeepFiringFor = p.duration(at+".keepFiringFor", r.KeepFiringFor, false, 0)
		if rule.Latency < 0 || rule.For < 0 || rule.KeepFiringFor < 0 {
			p.fail(at, "", "durations of 0 or more")
		}
		rules = append(rules, rule)
	}
	return rules
}

func (p *parser) zone(path, name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		p.fail(path, name, "an IANA time zone name such as UTC, Europe/London or America/Los_Angeles")
		return nil
	}
	return loc
}

func (p *parser) count(path string, v *int, min int) {
	if v != nil && (*v < min || *v > MaxInstances) {
		p.fail(path, strconv.Itoa(*v), fmt.Sprintf("an instance count from %d to %d", min, MaxInstances))
	}
}

func (p *parser) policy(name string, s *policySpec) *headroom.Policy {
	n := len(p.errs)
	pol := &headroom.Policy{Name: name, File: p.file}
	switch {
	case s.MinInstances == nil:
		p.fail("spec.minInstances", "", "the lowest instance count, at least 1")
	case *s.MinInstances < 1:
		p.fail("spec.minInstances", strconv.Itoa(*s.MinInstances), "at least 1 (scaling to zero is not modelled)")
	case *s.MinInstances > MaxInstances:
		p.fail("spec.minInstances", strconv.Itoa(*s.MinInstances), fmt.Sprintf("at most %d", MaxInstances))
	default:
		pol.Min = *s.MinInstances
	}
	switch {
	case s.MaxInstances == nil:
		p.fail("spec.maxInstances", "", "the highest instance count")
	case *s.MaxInstances < 1 || *s.MaxInstances < pol.Min:
		p.fail("spec.maxInstances", strconv.Itoa(*s.MaxInstances), fmt.Sprintf("at least minInstances (%d)", pol.Min))
	case *s.MaxInstances > MaxInstances:
		p.fail("spec.maxInstances", strconv.Itoa(*s.MaxInstances), fmt.Sprintf("at most %d", MaxInstances))
	default:
		pol.Max = *s.MaxInstances
	}
	if v := s.InitialInstances; v != nil {
		if *v < pol.Min || *v > pol.Max {
			p.fail("spec.initialInstances", strconv.Itoa(*v), fmt.Sprintf("a count within minInstances..maxInstances (%d..%d)", pol.Min, pol.Max))
		}
		pol.Initial = *v
	}
	pol.TimeZone = p.zone("spec.timeZone", s.TimeZone)
	seen := map[string]int{}
	for i, sc := range s.Schedules {
		at := fmt.Sprintf("spec.schedules.%d", i)
		a := headroom.ScheduledAction{Name: sc.Name, Spec: sc.Cron, Min: sc.MinInstances, Max: sc.MaxInstances, Desired: sc.DesiredInstances}
		if sc.Name == "" {
			p.fail(at+".name", "", "a name, used in reports (\"night\", \"morning\")")
		} else if j, dup := seen[sc.Name]; dup {
			p.fail(at+".name", sc.Name, fmt.Sprintf("a unique name (schedules[%d] has it too)", j))
		}
		seen[sc.Name] = i
		a.TimeZone = p.zone(at+".timeZone", sc.TimeZone)
		if a.TimeZone == nil && sc.TimeZone == "" {
			a.TimeZone = pol.TimeZone
		}
		if a.TimeZone == nil {
			a.TimeZone = time.UTC
		}
		if sc.Cron == "" {
			p.fail(at+".cron", "", "a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. \"0 22 * * 1-5\"")
		} else if c, err := schedule.Parse(sc.Cron, a.TimeZone); err != nil {
			p.fail(at+".cron", sc.Cron, "a 5-field cron expression (minute hour day-of-month month day-of-week): "+err.Error())
		} else {
			a.Schedule = c
		}
		if a.Min == nil && a.Max == nil && a.Desired == nil {
			p.fail(at, "", "at least one of minInstances, maxInstances, desiredInstances")
		}
		p.count(at+".minInstances", a.Min, 1)
		p.count(at+".maxInstances", a.Max, 1)
		p.count(at+".desiredInstances", a.Desired, 1)
		if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
			p.fail(at+".maxInstances", strconv.Itoa(*a.Max), fmt.Sprintf("at least this action's minInstances (%d)", *a.Min))
		}
		pol.Schedules = append(pol.Schedules, a)
	}
	if s.TargetTracking != nil {
		pol.Target = p.target(s.TargetTracking)
	}
	if len(p.errs) > n {
		return nil
	}
	return pol
}

func (p *parser) ratio(path string, v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	if !(*v >= 0 && *v < 1) {
		p.fail(path, fmt.Sprint(*v), "a ratio in [0, 1), e.g. 0.1")
		return def
	}
	return *v
}

func (p *parser) target(s *targetSpec) *headroom.TargetTracking {
	const at = "spec.targetTracking"
	t := &headroom.TargetTracking{}
	switch {
	case len(s.Metrics) > 0 && (s.Metric != "" || s.Target != nil):
		p.fail(at+".metrics", "", "either metric and target, or a metrics list, not both")
	case len(s.Metrics) > 0:
		for i, m := range s.Metrics {
			t.Metrics = append(t.Metrics, p.metric(fmt.Sprintf("%s.metrics.%d", at, i), metricSpec(m)))
		}
	default:
		t.Metrics = append(t.Metrics, p.metric(at, metricSpec{Metric: s.Metric, Target: s.Target}))
	}
	tol := p.ratio(at+".tolerance", s.Tolerance, DefaultTolerance)
	t.ScaleUpTolerance = p.ratio(at+".scaleUpTolerance", s.ScaleUpTolerance, tol)
	t.ScaleDownTolerance = p.ratio(at+".scaleDownTolerance", s.ScaleDownTolerance, tol)
	t.SyncPeriod = p.duration(at+".syncPeriod", s.SyncPeriod, false, DefaultSyncPeriod)
	if t.SyncPeriod < time.Second || t.SyncPeriod%time.Second != 0 {
		p.fail(at+".syncPeriod", s.SyncPeriod.Raw, "a whole number of seconds, at least 1s")
	}
	t.Window, t.Delay = DefaultObservationWindow, DefaultObservationDelay
	if o := s.Observation; o != nil {
		t.Window = p.duration(at+".observation.window", o.Window, false, DefaultObservationWindow)
		t.Delay = p.duration(at+".observation.delay", o.Delay, false, DefaultObservationDelay)
		if t.Window < time.Second || t.Window%time.Second != 0 {
			p.fail(at+".observation.window", o.Window.Raw, "a whole number of seconds, at least 1s")
		}
		if t.Delay%time.Second != 0 {
			p.fail(at+".observation.delay", o.Delay.Raw, "a whole number of seconds")
		}
	}
	t.ScaleUp, t.ScaleDown = DefaultScaleUp(), DefaultScaleDown()
	if b := s.Behavior; b != nil {
		p.rules(at+".behavior.scaleUp", b.ScaleUp, &t.ScaleUp)
		p.rules(at+".behavior.scaleDown", b.ScaleDown, &t.ScaleDown)
	}
	return t
}

// metric validates one metric target at path (whose metric and target
// fields it checks).
func (p *parser) metric(at string, s metricSpec) headroom.MetricTarget {
	m := headroom.MetricTarget{Name: s.Metric, Kind: headroom.MetricKind(s.Metric), Total: s.Total}
	if !m.Kind.Valid() {
		p.fail(at+".metric", s.Metric, "cpu (utilization percent) or rps (requests per second per instance)")
	}
	if s.Total && m.Kind != headroom.MetricRPS {
		p.fail(at+".total", "true", "total only with metric rps (a target for the whole service)")
	}
	switch {
	case s.Target == nil:
		p.fail(at+".target", "", "the metric value to hold, e.g. 60 for 60% cpu")
	case m.Kind == headroom.MetricCPU && !(*s.Target > 0 && *s.Target <= 100):
		p.fail(at+".target", fmt.Sprint(*s.Target), "a positive value (at most 100 for cpu)")
	case m.Kind != headroom.MetricCPU && !(*s.Target >= MinMetricTarget && *s.Target <= MaxMetricTarget):
		p.fail(at+".target", fmt.Sprint(*s.Target), fmt.Sprintf("a finite request rate from %g to %g", MinMetricTarget, MaxMetricTarget))
	default:
		m.Target = *s.Target
	}
	return m
}

// rules overlays what a behavior direction sets on the defaults, as the HPA
// API server does: unset fields keep their default.
func (p *parser) rules(at string, s *rulesSpec, r *headroom.ScalingRules) {
	if s == nil {
		return
	}
	if w := s.StabilizationWindowSeconds; w != nil {
		if *w < 0 || *w > maxStabilization {
			p.fail(at+".stabilizationWindowSeconds", strconv.Itoa(*w), fmt.Sprintf("seconds in 0..%d", maxStabilization))
		}
		r.StabilizationWindow = time.Duration(*w) * time.Second
	}
	if sp := s.SelectPolicy; sp != nil {
		switch v := headroom.SelectPolicy(*sp); v {
		case headroom.SelectMax, headroom.SelectMin, headroom.SelectDisabled:
			r.Select = v
		default:
			p.fail(at+".selectPolicy", *sp, "Max, Min or Disabled")
		}
	}
	if s.Policies == nil {
		return
	}
	r.Policies = nil
	for i, rp := range s.Policies {
		pp := fmt.Sprintf("%s.policies.%d", at, i)
		kind := headroom.RateKind(rp.Type)
		if kind != headroom.RatePods && kind != headroom.RatePercent {
			p.fail(pp+".type", rp.Type, "Pods or Percent")
		}
		if rp.Value == nil || *rp.Value <= 0 {
			p.fail(pp+".value", intString(rp.Value), "a positive integer")
		}
		if rp.PeriodSeconds == nil || *rp.PeriodSeconds <= 0 || *rp.PeriodSeconds > maxPeriod {
			p.fail(pp+".periodSeconds", intString(rp.PeriodSeconds), fmt.Sprintf("seconds in 1..%d", maxPeriod))
		}
		if rp.Value != nil && rp.PeriodSeconds != nil {
			r.Policies = append(r.Policies, headroom.RatePolicy{Kind: kind, Value: *rp.Value, Period: time.Duration(*rp.PeriodSeconds) * time.Second})
		}
	}
}

func intString(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}
