package aws

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// How AWS evaluates a target tracking policy: the CloudWatch alarms it
// creates, and how headroom observes them.
const (
	// DefaultPeriod is the length of a datapoint. Target tracking works on
	// one-minute metrics: "Before you begin, confirm that your preferred
	// metric is available at 1-minute intervals" (EC2 Auto Scaling,
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/policy_creating.html);
	// "most of the metrics in AWS are reported every minute by default"
	// (DocAppTracking).
	DefaultPeriod = time.Minute
	// DefaultOutDatapoints and DefaultInDatapoints are the alarms AWS
	// creates for each policy: the high alarm fires after 3 datapoints
	// above the target within 3 minutes, the low alarm after 15 under the
	// scale-in threshold within 15 minutes. AWS documents that it "creates
	// and manages the CloudWatch alarms" and that it "scales out
	// proportionally to the metric as fast as it can, but scales in more
	// gradually" (DocAppTracking, DocEC2Tracking), but not these counts:
	// they are what the alarms it creates show in the CloudWatch console
	// ("CPUUtilization > 50 for 3 datapoints within 3 minutes", "< 45 for
	// 15 datapoints within 15 minutes"), as public write-ups of ECS and EC2
	// groups record them.
	DefaultOutDatapoints = 3
	DefaultInDatapoints  = 15
	// DefaultInThreshold is the low alarm's threshold as a share of the
	// target. AWS: the policy removes capacity "only when utilization
	// passes a threshold that is far enough below the target value
	// (usually more than 10% lower)" (DocAppTracking, "Supporting
	// application availability during high utilization periods"). The
	// alarms of Application Auto Scaling policies show 90% of the target
	// (ECS: "CPUUtilization < 45" for a target of 50). Alarms of EC2 Auto
	// Scaling CPU policies have been seen at 70% ("< 28" for 40): 0.9 makes
	// headroom scale those groups in earlier than AWS would, so a check
	// errs towards too little capacity, never too much.
	DefaultInThreshold = 0.9
	// DefaultSyncPeriod is how often headroom evaluates the policy: once a
	// datapoint, since an alarm changes state at most once a period.
	DefaultSyncPeriod = time.Minute
	// DefaultWindow is the metric's averaging window: one datapoint.
	DefaultWindow = time.Minute
	// DefaultDelay is how late a datapoint arrives. Our assumption, not a
	// documented figure: a one-minute CloudWatch datapoint is published
	// after its minute ends and the alarm evaluates it after that, about a
	// minute behind the traffic.
	DefaultDelay = time.Minute
)

// newTracking returns the target tracking settings every AWS policy has.
func newTracking() *headroom.TargetTracking {
	return &headroom.TargetTracking{
		Algorithm:  headroom.AlgorithmAWS,
		SyncPeriod: DefaultSyncPeriod,
		Window:     DefaultWindow,
		Delay:      DefaultDelay,
		AWS: &headroom.AWSTracking{
			Period:        DefaultPeriod,
			OutDatapoints: DefaultOutDatapoints,
			InDatapoints:  DefaultInDatapoints,
			InThreshold:   DefaultInThreshold,
		},
	}
}

// perMinute lists the predefined metrics that count per target and per
// minute: their target divides by 60 to be requests per second per
// instance. ALBRequestCountPerTarget: "Number of requests completed per
// target in an Application Load Balancer target group" (DocEC2Tracking),
// summed over the one-minute period, hence "1000 requests per target per
// minute" as DocAppTracking's example target;
// SageMakerVariantInvocationsPerInstance: "the average number of times per
// minute that each instance for a variant is invoked"
// (SageMaker developer guide,
// https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html).
var perMinute = []string{"ALBRequestCountPerTarget", "SageMakerVariantInvocationsPerInstance"}

var (
	predefinedKnown = []string{"PredefinedMetricType", "ResourceLabel"}
	customizedKnown = []string{"MetricName", "Namespace", "Dimensions", "Statistic", "Unit", "Metrics"}
)

// metric translates the metric of a target tracking configuration cfg at
// path (of the policy called name) with target value target. headroom's
// service model has CPU utilization and request rate, so:
//   - a predefined CPU utilization metric is {cpu, target};
//   - a predefined per-minute count per target is {rps, target / 60};
//   - a customized metric that is plausibly one of these is read as it,
//     with a warning;
//   - anything else is an error naming the policy and the metric.
func metric(r *reader, cfg *value, path, name string, target float64) *headroom.MetricTarget {
	pre, cust := field(cfg, "PredefinedMetricSpecification"), field(cfg, "CustomizedMetricSpecification")
	switch {
	case pre != nil && cust != nil:
		r.fail(cust, join(path, "CustomizedMetricSpecification"), "", "either PredefinedMetricSpecification or CustomizedMetricSpecification, not both")
		return nil
	case pre != nil:
		return predefined(r, pre, join(path, "PredefinedMetricSpecification"), name, target)
	case cust != nil:
		return customized(r, cust, join(path, "CustomizedMetricSpecification"), name, target)
	}
	r.fail(cfg, join(path, "PredefinedMetricSpecification"), "", fmt.Sprintf("the metric policy %q tracks (PredefinedMetricSpecification or CustomizedMetricSpecification)", name))
	return nil
}

func predefined(r *reader, v *value, path, name string, target float64) *headroom.MetricTarget {
	if !r.object(v, path, "a PredefinedMetricSpecification", predefinedKnown) {
		return nil
	}
	typ, tv := r.str(v, path, "PredefinedMetricType", "the predefined metric, such as ECSServiceAverageCPUUtilization", true)
	if tv == nil || typ == "" {
		return nil
	}
	at := join(path, "PredefinedMetricType")
	switch {
	case strings.HasSuffix(typ, "CPUUtilization"):
		// ECSServiceAverageCPUUtilization, ASGAverageCPUUtilization,
		// EC2SpotFleetRequestAverageCPUUtilization,
		// RDSReaderAverageCPUUtilization, ...: average CPU utilization in
		// percent, as headroom's cpu metric.
		if target > 100 {
			r.fail(field(v, "PredefinedMetricType"), at, typ, fmt.Sprintf("a metric whose target %g fits: CPU utilization is a percentage, at most 100", target))
			return nil
		}
		return &headroom.MetricTarget{Name: typ, Kind: headroom.MetricCPU, Target: target}
	case contains(perMinute, typ):
		if typ == "ALBRequestCountPerTarget" {
			// "To use the ALBRequestCountPerTarget metric, you must
			// specify the ResourceLabel parameter" (DocAppTracking).
			if label, lv := r.str(v, path, "ResourceLabel", "the target group the requests are counted on", false); label == "" {
				at := v
				if lv != nil {
					at = lv
				}
				r.fail(at, join(path, "ResourceLabel"), "", "the target group the requests are counted on (AWS requires a ResourceLabel for ALBRequestCountPerTarget)")
			}
		}
		r.warn(tv, "policy %q: %s counts per instance and per minute; its target %g is read as %.4g requests per second per instance (%g / 60)", name, typ, target, target/60, target)
		return &headroom.MetricTarget{Name: typ + " (per second)", Kind: headroom.MetricRPS, Target: target / 60}
	}
	r.fail(tv, at, typ, fmt.Sprintf("a metric headroom simulates for policy %q: a CPU utilization metric (such as ECSServiceAverageCPUUtilization or ASGAverageCPUUtilization) "+
		"or a request count per target (ALBRequestCountPerTarget); memory, network, capacity-unit and connection metrics are not modelled", name))
	return nil
}

// customized reads a CustomizedMetricSpecification when what it measures
// can be told from its name, statistic and unit. AWS: "The metric must be a
// valid utilization metric and describe how busy a scalable target is. The
// metric value must increase or decrease proportionally to the capacity"
// (DocAppTracking, "Choose metrics").
func customized(r *reader, v *value, path, name string, target float64) *headroom.MetricTarget {
	if !r.object(v, path, "a CustomizedMetricSpecification", customizedKnown) {
		return nil
	}
	if m := field(v, "Metrics"); m != nil {
		r.fail(m, join(path, "Metrics"), "", fmt.Sprintf("a single metric for policy %q: metric math (Metrics) is not modelled", name))
		return nil
	}
	metricName, mv := r.str(v, path, "MetricName", "the CloudWatch metric's name", true)
	stat, _ := r.str(v, path, "Statistic", "Average, Sum, Minimum, Maximum or SampleCount", false)
	unit, _ := r.str(v, path, "Unit", "the metric's unit, such as Percent or Count/Second", false)
	if mv == nil || metricName == "" {
		return nil
	}
	ns, _ := r.str(v, path, "Namespace", "the metric's CloudWatch namespace", false)
	what := fmt.Sprintf("%s/%s (%s", ns, metricName, statOr(stat))
	if unit != "" {
		what += ", " + unit
	}
	what += ")"
	switch {
	case metricName == "CPUUtilization" && stat == "Average":
		r.warn(mv, "policy %q: customized metric %s is read as the average CPU utilization of the instances", name, what)
		if target > 100 {
			r.fail(mv, join(path, "MetricName"), metricName, fmt.Sprintf("a metric whose target %g fits: CPU utilization is a percentage, at most 100", target))
			return nil
		}
		return &headroom.MetricTarget{Name: metricName, Kind: headroom.MetricCPU, Target: target}
	case unit == "Count/Second" && stat == "Average":
		r.warn(mv, "policy %q: customized metric %s is read as requests per second per instance, target %g", name, what, target)
		return &headroom.MetricTarget{Name: metricName, Kind: headroom.MetricRPS, Target: target}
	case strings.HasSuffix(metricName, "RequestCountPerTarget") && stat == "Sum" && (unit == "" || unit == "Count"):
		r.warn(mv, "policy %q: customized metric %s is read as a count per instance and per minute: target %g is %.4g requests per second per instance", name, what, target, target/60)
		return &headroom.MetricTarget{Name: metricName + " (per second)", Kind: headroom.MetricRPS, Target: target / 60}
	}
	r.fail(mv, join(path, "MetricName"), metricName, fmt.Sprintf("a customized metric headroom can read for policy %q (found %s): CPUUtilization with Statistic Average, "+
		"a rate per instance (Unit Count/Second, Statistic Average), or a RequestCountPerTarget count (Statistic Sum)", name, what))
	return nil
}

func statOr(s string) string {
	if s == "" {
		return "no statistic"
	}
	return s
}

// positiveTarget reads TargetValue, required and above 0.
func positiveTarget(r *reader, cfg *value, path, name string) (float64, bool) {
	t, v := r.number(cfg, path, "TargetValue", fmt.Sprintf("the value policy %q keeps its metric at, above 0", name))
	switch {
	case v == nil && absent(cfg, "TargetValue"):
		r.fail(cfg, join(path, "TargetValue"), "", fmt.Sprintf("the value policy %q keeps its metric at (TargetValue is required)", name))
	case v == nil:
	case t == nil:
	case *t <= 0:
		r.fail(v, join(path, "TargetValue"), v.num.String(), fmt.Sprintf("a target value above 0 for policy %q", name))
	default:
		return *t, true
	}
	return 0, false
}
