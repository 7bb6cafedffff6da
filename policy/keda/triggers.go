package keda

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// supported names the trigger types headroom models, for errors.
const supported = "cron, cpu or prometheus"

// triggerName is the name a trigger's metric goes by in reasons: its name
// when it has one, else its type and index ("cron[0]").
func triggerName(i int, tr trigger) string {
	switch {
	case tr.Name != "":
		return tr.Name
	case tr.Type == "":
		return fmt.Sprintf("trigger[%d]", i)
	}
	return fmt.Sprintf("%s[%d]", tr.Type, i)
}

// triggers translates spec.triggers, one metric per trigger in order. KEDA
// hands each trigger's metric to the HPA it generates, which computes a
// replica count for each and takes the highest.
// https://keda.sh/docs/latest/reference/scaledobject/#triggers
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-on-multiple-metrics
func (t *translator) triggers(s *scaledObjectSpec, minCount, lo, hi int) []headroom.MetricTarget {
	if len(s.Triggers) == 0 {
		t.Fail("spec.triggers", "", "at least one trigger: "+supported)
		return nil
	}
	var out []headroom.MetricTarget
	names := map[string]int{}
	for i, tr := range s.Triggers {
		at := fmt.Sprintf("spec.triggers[%d]", i)
		name := triggerName(i, tr)
		if tr.Name != "" {
			// KEDA's admission webhook refuses a trigger name used twice:
			// metrics are told apart by it.
			if j, dup := names[tr.Name]; dup {
				t.Fail(at+".name", tr.Name, fmt.Sprintf("a name no other trigger has (spec.triggers[%d] has it)", j))
			}
			names[tr.Name] = i
		}
		var m *headroom.MetricTarget
		switch tr.Type {
		case "cron":
			m = t.cron(at, name, tr, lo, hi)
		case "cpu":
			m = t.cpu(at, name, tr)
		case "prometheus":
			m = t.prometheus(at, name, tr)
		case "memory":
			t.Fail(at+".type", tr.Type, supported+": memory is not modelled; headroom simulates CPU and request rate")
		case "":
			t.Fail(at+".type", "", "the trigger's type: "+supported)
		default:
			t.Fail(at+".type", tr.Type, "a trigger type headroom models: "+supported+"; other scalers measure what recorded traffic cannot replay")
		}
		if m != nil {
			out = append(out, *m)
		}
		t.activation(at, name, tr, minCount)
		if tr.UseCachedMetrics {
			t.Warn(at+".useCachedMetrics", "%s: useCachedMetrics is not modelled: in a cluster the HPA reads the value KEDA cached at its last poll (pollingInterval), "+
				"up to that much older than the simulation's (and KEDA ignores it for cpu and cron triggers)", name)
		}
	}
	return out
}

// activation warns about activation thresholds: they decide "if the
// workload should be scaled from/to zero ... and only applies to 0<->1
// scaling", and "if the minimum replicas is >= 1, the scaler is always
// active and the activation value will be ignored"
// (DocScalingDeployments#activating-and-scaling-thresholds).
func (t *translator) activation(at, name string, tr trigger, minCount int) {
	var keys []string
	for k := range tr.Metadata {
		if strings.HasPrefix(k, "activation") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	why := "it only decides scaling between 0 and 1, which is not modelled"
	if minCount > 0 {
		why = fmt.Sprintf("KEDA ignores it too, since minReplicaCount %d keeps the scaler active", minCount)
	}
	t.Warn(at+".metadata."+keys[0], "%s: %s ignored: %s", name, strings.Join(keys, ", "), why)
}

// externalType reads the metricType of a trigger KEDA turns into an
// External metric: "Values: AverageValue, Value, Utilization, Default:
// AverageValue", and "All scalers, except CPU and Memory, support metric
// types AverageValue and Value" (DocScaledObject#triggers).
func (t *translator) externalType(at string, tr trigger) (autoscalingv2.MetricTargetType, bool) {
	switch mt := autoscalingv2.MetricTargetType(tr.MetricType); mt {
	case "", autoscalingv2.AverageValueMetricType:
		return autoscalingv2.AverageValueMetricType, true
	case autoscalingv2.ValueMetricType:
		return mt, true
	case autoscalingv2.UtilizationMetricType:
		t.Fail(at+".metricType", tr.MetricType, "AverageValue (the default) or Value: only the cpu and memory scalers have Utilization")
	default:
		t.Fail(at+".metricType", tr.MetricType, "AverageValue (the default) or Value")
	}
	return "", false
}

// cron translates a cron trigger into a metric computed from the clock.
// The scaler reports desiredReplicas while the window [start, end) is open
// and 1 otherwise, against an AverageValue target of 1 (GetMetricTarget of
// 1 in KEDA's pkg/scalers/cron_scaler.go): the HPA asks for desiredReplicas
// inside, within its 10% tolerance, and the window is a floor only while
// it lasts. KEDA v2.16 reports 1 outside, v2.20 reports 0; the HPA's count
// is the same (both ask for at most one replica, and the HPA's minimum is
// at least 1), as hack/kedadiff checks against v2.20.2.
// https://keda.sh/docs/latest/scalers/cron/
func (t *translator) cron(at, name string, tr trigger, lo, hi int) *headroom.MetricTarget {
	n := len(t.Errs)
	if mt, ok := t.externalType(at, tr); ok && mt == autoscalingv2.ValueMetricType {
		t.Fail(at+".metricType", tr.MetricType, "AverageValue (the default): with Value the HPA multiplies the current count by the window's value instead of scaling to it")
	}
	md := tr.Metadata
	// "timezone - One of the acceptable values from the IANA Time Zone
	// Database"; required.
	zone := md["timezone"]
	var loc *time.Location
	if zone == "" {
		t.Fail(at+".metadata.timezone", "", "the IANA time zone the window is read in, such as Asia/Kolkata (timezone is required)")
	} else if l, err := loadZone(zone); err != nil {
		t.Fail(at+".metadata.timezone", zone, "an IANA time zone name, such as Asia/Kolkata or America/New_York")
	} else {
		loc = l
	}
	startSpec, endSpec := md["start"], md["end"]
	start := t.cronSpec(at+".metadata.start", startSpec, loc)
	end := t.cronSpec(at+".metadata.end", endSpec, loc)
	// "Start and end should not be the same."
	if start != nil && end != nil && strings.Join(strings.Fields(startSpec), " ") == strings.Join(strings.Fields(endSpec), " ") {
		t.Fail(at+".metadata.end", endSpec, "a time other than start: KEDA refuses a window whose start and end are the same")
	}
	desired := t.desiredReplicas(at+".metadata.desiredReplicas", md)
	if len(t.Errs) > n {
		return nil
	}
	switch {
	case desired > hi:
		t.Warn(at+".metadata.desiredReplicas", "%s: desiredReplicas %d is above maxReplicaCount %d: the HPA caps the window at %d", name, desired, hi, hi)
	case desired <= lo:
		t.Warn(at+".metadata.desiredReplicas", "%s: desiredReplicas %d is not above the minimum of %d replicas: inside the window it asks for nothing more", name, desired, lo)
	}
	return &headroom.MetricTarget{Name: name, Kind: headroom.MetricCron, Target: 1, External: true,
		Window: &headroom.CronWindow{StartSpec: startSpec, EndSpec: endSpec, TimeZone: loc, Start: start, End: end, Desired: desired}}
}

// cronSpec parses start or end: "start/end support Linux format cron
// (Minute Hour Dom Month Dow)" (DocCron), parsed by robfig/cron with those
// five fields and no descriptors (KEDA's cronMetadata.Validate). KEDA
// walks robfig/cron's calendar as it is, a time in the hour clocks repeat
// included twice: schedule.Calendar, not schedule.Cron.
func (t *translator) cronSpec(path, spec string, loc *time.Location) headroom.Schedule {
	const want = `a 5-field cron expression (minute hour day-of-month month day-of-week), such as "0 6 * * 1-5"`
	trimmed := strings.TrimSpace(spec)
	switch {
	case trimmed == "":
		t.Fail(path, "", want+" (required)")
	case strings.HasPrefix(trimmed, "@"):
		t.Fail(path, spec, want+": KEDA's cron parser takes no descriptors such as @daily")
	default:
		c, err := schedule.ParseCalendar(spec, loc)
		if err == nil {
			return c
		}
		t.Fail(path, spec, want+": "+err.Error())
	}
	return nil
}

// desiredReplicas reads "desiredReplicas - Number of replicas to which the
// resource has to be scaled between the start and end" (DocCron), an
// integer in a string. KEDA refuses 0 ("no desiredReplicas specified"),
// and "it's almost always an error to ... set desiredReplicas: 0".
func (t *translator) desiredReplicas(path string, md map[string]string) int {
	v := md["desiredReplicas"]
	if v == "" {
		t.Fail(path, "", `the replica count inside the window, in quotes, such as "10" (desiredReplicas is required)`)
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case err != nil:
		t.Fail(path, v, `a whole number of replicas in quotes, such as "10"`)
	case n < 1:
		t.Fail(path, v, "at least 1 (to scale to zero outside the window KEDA's documentation sets minReplicaCount 0 instead: "+DocCron+")")
	default:
		return int(n)
	}
	return 0
}

// cpu translates a cpu trigger into the HPA's Resource cpu metric. Its
// type is the trigger's metricType, "Utilization or AverageValue", or the
// deprecated metadata.type; KEDA's cpu scaler has no default and refuses a
// trigger with neither ("unknown metric type"), and one with both.
// https://keda.sh/docs/latest/scalers/cpu/
func (t *translator) cpu(at, name string, tr trigger) *headroom.MetricTarget {
	md := tr.Metadata
	mt, typePath := tr.MetricType, at+".metricType"
	typ := md["type"]
	switch {
	case typ != "" && mt != "":
		t.Fail(at+".metadata.type", typ, "no metadata.type next to metricType: KEDA refuses a cpu trigger with both; keep metricType")
		return nil
	case typ != "":
		t.Warn(at+".metadata.type", "%s: metadata.type is deprecated in favour of the trigger's metricType (KEDA 2.18 refuses it); read as metricType %s", name, typ)
		mt, typePath = typ, at+".metadata.type"
	case mt == "":
		t.Fail(typePath, "", "metricType: Utilization (or AverageValue): KEDA's cpu scaler has no default and refuses a trigger without one")
		return nil
	}
	switch autoscalingv2.MetricTargetType(mt) {
	case autoscalingv2.UtilizationMetricType:
	case autoscalingv2.AverageValueMetricType:
		t.Fail(typePath, mt, "Utilization (value in percent of the CPU request): absolute CPU targets are not modelled, "+
			"since the service model has no CPU request to compare them with")
		return nil
	default:
		t.Fail(typePath, mt, "Utilization or AverageValue")
		return nil
	}
	// "When using Utilization, the target value is the average of the
	// resource metric across all relevant pods, represented as a
	// percentage of the requested value" (DocCPU); KEDA parses it as an
	// integer (strconv.ParseInt).
	v := md["value"]
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case v == "":
		t.Fail(at+".metadata.value", "", `the target CPU utilization in percent of the request, in quotes, such as "60" (value is required)`)
		return nil
	case err != nil:
		t.Fail(at+".metadata.value", v, `a whole percentage in quotes, such as "60"`)
		return nil
	case n < 1:
		t.Fail(at+".metadata.value", v, "a percentage of at least 1")
		return nil
	}
	if c := md["containerName"]; c != "" {
		t.Warn(at+".metadata.containerName", "%s: container %q: its CPU utilization is taken as the pod's (headroom models one container per instance)", name, c)
	}
	return &headroom.MetricTarget{Name: name, Kind: headroom.MetricCPU, Target: float64(n)}
}

// prometheus translates a prometheus trigger: the query's value against
// threshold, "Value to start scaling for" (DocPrometheus), as an External
// metric whose type is the trigger's metricType. With AverageValue (the
// default) the HPA asks for ceil(value / threshold) replicas; with Value,
// ceil(current × value / threshold). headroom replays recorded traffic, so
// the query is read as the service's request rate.
// https://keda.sh/docs/latest/scalers/prometheus/
func (t *translator) prometheus(at, name string, tr trigger) *headroom.MetricTarget {
	n := len(t.Errs)
	md := tr.Metadata
	for _, k := range []struct{ key, what string }{
		{"serverAddress", "the Prometheus server's address, such as http://prometheus.monitoring:9090 (serverAddress is required)"},
		{"query", "the PromQL query whose value is compared with threshold (query is required)"},
	} {
		if md[k.key] == "" {
			t.Fail(at+".metadata."+k.key, "", k.what)
		}
	}
	threshold := 0.0
	switch v := md["threshold"]; {
	case v == "":
		t.Fail(at+".metadata.threshold", "", `the value to scale on, in quotes, such as "100" (threshold is required)`)
	default:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			// The HPA refuses a target that is not positive.
			t.Fail(at+".metadata.threshold", v, `a positive number in quotes, such as "100"`)
		}
		threshold = f
	}
	mt, ok := t.externalType(at, tr)
	if !ok || len(t.Errs) > n {
		return nil
	}
	total := mt == autoscalingv2.ValueMetricType
	if len(t.rates) == 0 {
		t.ratesLine = t.Obj.Line(at)
	}
	reading := "threshold per replica (AverageValue)"
	if total {
		reading = "threshold for the whole service (Value)"
	}
	t.rates = append(t.rates, fmt.Sprintf("%s (query %q, %s)", name, md["query"], reading))
	return &headroom.MetricTarget{Name: name, Kind: headroom.MetricRPS, Target: threshold, Total: total, External: !total}
}
