package controller

import (
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the controller's own Prometheus metrics: what it decided,
// where a guard stepped in, what failed, and how long a loop took.
type Metrics struct {
	Decisions *prometheus.CounterVec
	Guards    *prometheus.CounterVec
	Errors    *prometheus.CounterVec
	Desired   *prometheus.GaugeVec
	// Alert is 1 for each cause that holds at a target's last loop, 0
	// for the others: what an alerting rule watches
	// (headroom_target_alert == 1).
	Alert *prometheus.GaugeVec
	// Alerts is 1 for each signal the detector fires for a target
	// (headroom_alert{target,signal}), 0 for the others.
	Alerts *prometheus.GaugeVec
	Leader prometheus.Gauge
	// Shards is how many shards this process holds (headroom_shards_held;
	// 0 without sharding): its share of the targets.
	Shards        prometheus.Gauge
	IterationTime prometheus.Histogram
}

// Alert causes.
var alertCauses = []string{"metrics_blind", "metrics_unavailable", "capacity_unavailable", "actuation_failed"}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_decisions_total",
			Help: "Decisions by target and reason code."}, []string{"target", "reason"}),
		Guards: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_guard_interventions_total",
			Help: "Decisions a guard changed, by target and guard."}, []string{"target", "guard"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_errors_total",
			Help: "Failed metric reads, actuations and journal writes (fenced: refused, another process leads), by target and kind."}, []string{"target", "kind"}),
		Desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "headroom_desired_instances",
			Help: "The instance count the last decision wanted."}, []string{"target"}),
		Alert: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "headroom_target_alert",
			Help: "1 while a target's last loop was blind (scale-in frozen), could not read metrics or capacity, or could not act; by cause."},
			[]string{"target", "cause"}),
		Alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "headroom_alert",
			Help: "1 while the detector fires a signal for a target: cause (capacity below need), symptom (error budget burn or latency), blind."},
			[]string{"target", "signal"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "headroom_leader",
			Help: "1 while this process holds the lease and acts; 0 while it only serves reads."}),
		Shards: prometheus.NewGauge(prometheus.GaugeOpts{Name: "headroom_shards_held",
			Help: "The shards whose targets this process acts on (spec.shards); 0 without sharding."}),
		IterationTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "headroom_loop_duration_seconds",
			Help: "Time to handle all targets once.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
	}
	reg.MustRegister(m.Decisions, m.Guards, m.Errors, m.Desired, m.Alert, m.Alerts, m.Leader, m.Shards, m.IterationTime)
	return m
}

// alerts sets the detector's gauges of target.
func (m *Metrics) alerts(target string, firing []headroom.Alert) {
	if m == nil {
		return
	}
	for _, sig := range []headroom.Signal{headroom.SignalCause, headroom.SignalSymptom, headroom.SignalBlind} {
		v := 0.0
		for _, a := range firing {
			if a.Signal == sig {
				v = 1
			}
		}
		m.Alerts.WithLabelValues(target, string(sig)).Set(v)
	}
}

// guardOf names the guard behind a reason code, or "".
func guardOf(code headroom.ReasonCode) string {
	switch code {
	case headroom.ReasonScaleInDeferred:
		return "scale_in"
	case headroom.ReasonScaleInLimited:
		return "rate_limit"
	case headroom.ReasonBlind:
		return "blind"
	case headroom.ReasonEmergency:
		return "emergency"
	}
	return ""
}

// observe counts one record.
func (m *Metrics) observe(r Record, readCapacityFailed, readMetricsFailed, scaleFailed bool) {
	if m == nil {
		return
	}
	on := map[string]bool{"metrics_blind": r.Decision.Reason.Code == headroom.ReasonBlind, "metrics_unavailable": readMetricsFailed,
		"capacity_unavailable": readCapacityFailed, "actuation_failed": scaleFailed}
	for _, cause := range alertCauses {
		v := 0.0
		if on[cause] {
			v = 1
		}
		m.Alert.WithLabelValues(r.Target, cause).Set(v)
	}
	switch {
	case readCapacityFailed:
		m.Errors.WithLabelValues(r.Target, "read_capacity").Inc()
		return
	case readMetricsFailed:
		m.Errors.WithLabelValues(r.Target, "read_metrics").Inc()
	}
	if scaleFailed {
		m.Errors.WithLabelValues(r.Target, "scale").Inc()
	}
	m.Decisions.WithLabelValues(r.Target, string(r.Decision.Reason.Code)).Inc()
	if g := guardOf(r.Decision.Reason.Code); g != "" {
		m.Guards.WithLabelValues(r.Target, g).Inc()
	}
	m.Desired.WithLabelValues(r.Target).Set(float64(r.Decision.Desired))
}

// errored counts an error of kind for target outside a record's own
// (journal writes, fenced writes, reconciliation).
func (m *Metrics) errored(target, kind string) {
	if m != nil {
		m.Errors.WithLabelValues(target, kind).Inc()
	}
}

// leading records whether this process acts.
func (m *Metrics) leading(yes bool) {
	if m != nil {
		v := 0.0
		if yes {
			v = 1
		}
		m.Leader.Set(v)
	}
}

// holding records how many shards this process holds.
func (m *Metrics) holding(n int) {
	if m != nil {
		m.Shards.Set(float64(n))
	}
}

// since observes a loop's duration.
func (m *Metrics) since(start time.Time) {
	if m != nil {
		m.IterationTime.Observe(time.Since(start).Seconds())
	}
}
