package headroom

import "time"

// Series is recorded traffic: request counts over contiguous, equal intervals.
// Counts are kept per interval (not expanded to seconds) so that a month of
// one-minute data stays small; the simulator asks for per-second rates.
type Series struct {
	// Name says where the series came from, usually a file path.
	Name string
	// Start is the start of the first interval, in UTC.
	Start time.Time
	// Step is the interval length: a whole number of seconds, at least 1s.
	Step time.Duration
	// Counts holds the number of requests in each interval.
	Counts []float64
}

// StepSeconds returns the interval length in whole seconds.
func (s *Series) StepSeconds() int { return int(s.Step / time.Second) }

// Seconds returns how many seconds the series spans.
func (s *Series) Seconds() int { return len(s.Counts) * s.StepSeconds() }

// End returns the end of the last interval.
func (s *Series) End() time.Time { return s.Start.Add(time.Duration(len(s.Counts)) * s.Step) }

// RateAt returns the demand in requests per second during second sec after
// Start. A count is spread evenly over its interval: the series does not know
// how requests were distributed inside it.
func (s *Series) RateAt(sec int) float64 {
	step := s.StepSeconds()
	return s.Counts[sec/step] / float64(step)
}

// Total returns the number of requests in the series.
func (s *Series) Total() float64 {
	var sum float64
	for _, c := range s.Counts {
		sum += c
	}
	return sum
}

// MetricKind names the autoscaling metric a policy tracks and how the
// service model derives it from demand.
type MetricKind string

const (
	// MetricCPU is CPU utilization in percent: the share of ready capacity
	// busy serving (a backlog keeps it at 100; it cannot report more).
	MetricCPU MetricKind = "cpu"
	// MetricRPS is requests per second per ready instance, as a load
	// balancer counts them (failed requests included).
	MetricRPS MetricKind = "rps"
)

// Valid reports whether k is a metric kind the engine knows.
func (k MetricKind) Valid() bool { return k == MetricCPU || k == MetricRPS }

// Service is the model of the service being scaled. It is what turns demand
// and instance counts into latency, errors and the metric the autoscaler sees.
type Service struct {
	Name string
	// CapacityPerInstance is the request rate one instance serves at 100%
	// utilization.
	CapacityPerInstance float64
	// StartupDelay is the time from launch until an instance is ready.
	StartupDelay time.Duration
	// BaseLatency is the mean service time of one request on an idle
	// instance.
	BaseLatency time.Duration
	// RequestTimeout bounds how long a request may wait before the proxy in
	// front answers 502. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// SLO is what a run is judged against.
	SLO SLO
	// Detection holds the detector's symptom rules from the service file's
	// `detection:` block (tuned on the service's own history); nil for the
	// defaults.
	Detection []AlertRule
}

// DefaultRequestTimeout is the proxy timeout used when a service names none:
// nginx's proxy_read_timeout default.
// https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout
const DefaultRequestTimeout = 60 * time.Second

// Timeout returns the request timeout in force.
func (s *Service) Timeout() time.Duration {
	if s.RequestTimeout > 0 {
		return s.RequestTimeout
	}
	return DefaultRequestTimeout
}

// SLO is the service level objective a run must keep: in every window, the
// ratio of failed requests and the mean latency stay at or under their
// maximum, and so does a latency percentile when one is set.
type SLO struct {
	MaxErrorRatio float64
	// MaxLatency bounds the mean latency of the requests served.
	MaxLatency time.Duration
	// Percentile, when above 0, is a latency percentile (99 for p99) whose
	// window value must stay at or under MaxPercentileLatency.
	Percentile           float64
	MaxPercentileLatency time.Duration
	Window               time.Duration
}

// Capacity is the instance count of a service at one moment.
type Capacity struct {
	// Ready instances serve traffic.
	Ready int `json:"ready"`
	// Launching instances have been started and are not ready yet.
	Launching int `json:"launching"`
}

// Total returns ready plus launching instances: what the platform reports as
// the current replica count.
func (c Capacity) Total() int { return c.Ready + c.Launching }

// Observation is what the autoscaler sees of the service at one moment:
// metrics averaged over a window and delayed, like a real metrics
// pipeline. A metric can be missing (no sample, a broken query): the HPA
// then scales up on the others but never down.
type Observation struct {
	Time time.Time `json:"time"`
	// Utilization is CPU utilization in percent, over ready instances.
	Utilization    float64 `json:"utilization"`
	HasUtilization bool    `json:"hasUtilization"`
	// Demand is the request rate in requests/s, as the load balancer
	// counts it.
	Demand    float64 `json:"demand"`
	HasDemand bool    `json:"hasDemand"`
	// ErrorRatio and Latency are what users got, for guards.
	ErrorRatio float64       `json:"errorRatio"`
	Latency    time.Duration `json:"latencyNanoseconds"`
	HasHealth  bool          `json:"hasHealth"`
}

// Second is one second of a simulation run: what the simulator hands its sinks.
type Second struct {
	Time time.Time
	// Demand is the offered request rate (requests/s).
	Demand float64
	Capacity
	// Desired is the instance count the engine last asked for.
	Desired int
	// Utilization is offered demand over ready capacity (may exceed 1).
	Utilization float64
	// Latency is the mean response time of the requests served.
	Latency time.Duration
	// ErrorRatio is Failed over offered requests.
	ErrorRatio float64
	// Failed is the number of requests answered with an error (502).
	Failed float64
	// InstanceSeconds is what the second costs: every instance, ready or
	// launching, is paid for.
	InstanceSeconds float64
}
