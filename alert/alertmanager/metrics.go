package alertmanager

import (
	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of a Client and a Sender: what was
// sent, what failed and what waits. A nil *Metrics counts nothing.
type Metrics struct {
	// Sends counts the Client's Notify calls by result: "ok" (at least
	// one Alertmanager accepted the alerts), "unavailable" or "invalid".
	Sends *prometheus.CounterVec
	// Errors counts failed requests, each attempt, by Alertmanager (its
	// URL without a password).
	Errors *prometheus.CounterVec
	// Alerts counts the alerts Alertmanager accepted, resends included.
	Alerts prometheus.Counter
	// Pending is the number of alerts whose latest state the Sender holds
	// and Alertmanager does not have yet.
	Pending prometheus.Gauge
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_alertmanager_sends_total",
			Help: "Batches of alerts sent to Alertmanager, by result (ok: at least one Alertmanager accepted them; unavailable; invalid)."},
			[]string{"result"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_alertmanager_errors_total",
			Help: "Failed requests to an Alertmanager (each attempt: no answer, a timeout or a refusal), by Alertmanager."},
			[]string{"alertmanager"}),
		Alerts: prometheus.NewCounter(prometheus.CounterOpts{Name: "headroom_alertmanager_alerts_sent_total",
			Help: "Alerts Alertmanager accepted, resends of firing alerts included."}),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "headroom_alertmanager_pending_alerts",
			Help: "Alerts whose latest state (firing or resolved) is waiting to be delivered to Alertmanager."}),
	}
	for _, r := range []string{"ok", "unavailable", "invalid"} {
		m.Sends.WithLabelValues(r) // every result shows from the start, at 0
	}
	reg.MustRegister(m.Sends, m.Errors, m.Alerts, m.Pending)
	return m
}

// sent counts one Notify: code "" for a success of n alerts.
func (m *Metrics) sent(code string, n int) {
	if m == nil {
		return
	}
	switch code {
	case "":
		m.Sends.WithLabelValues("ok").Inc()
		m.Alerts.Add(float64(n))
	case headroom.EINVALID:
		m.Sends.WithLabelValues("invalid").Inc()
	default:
		m.Sends.WithLabelValues("unavailable").Inc()
	}
}

// failed counts one failed request to the Alertmanager at base.
func (m *Metrics) failed(base string) {
	if m != nil {
		m.Errors.WithLabelValues(redact(base)).Inc()
	}
}

// pending records how many alerts wait for delivery.
func (m *Metrics) pending(n int) {
	if m != nil {
		m.Pending.Set(float64(n))
	}
}
