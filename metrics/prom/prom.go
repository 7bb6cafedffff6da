package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Defaults of a Source's tunables, used when a field is zero.
const (
	// DefaultTimeout bounds one query: the HTTP exchange, and Prometheus's
	// own evaluation through the API's timeout parameter.
	DefaultTimeout = 5 * time.Second
	// DefaultWindow is the averaging window: the window the simulator
	// models an autoscaler's metrics with (policy.DefaultObservationWindow),
	// so that the live controller sees what check replayed.
	DefaultWindow = 30 * time.Second
	// DefaultStep is the time between evaluations of a range query: two
	// evaluations per default window, one a common scrape interval apart.
	DefaultStep = 15 * time.Second
	// DefaultMaxAge is how old the newest sample may be before a metric
	// counts as missing: eight default steps, enough for a scrape or two to
	// fail without blinding the controller, short enough that data from a
	// dead exporter does not steer it for long.
	DefaultMaxAge = 2 * time.Minute
)

// maxPoints is Prometheus's limit on the points of one series in a range
// query answer ("exceeded maximum resolution of 11,000 points per
// timeseries", web/api/v1/api.go).
const maxPoints = 11000

// Queries are the PromQL expressions a Source observes. Demand is required;
// an empty optional query leaves its metric unset.
type Queries struct {
	// Demand gives the target's request rate in requests/s, e.g.
	// sum(rate(http_requests_total{job="web"}[1m])). Several series are
	// summed.
	Demand string
	// Utilization gives CPU utilization in percent, e.g.
	// 100 * avg(rate(process_cpu_seconds_total{job="web"}[1m])). Several
	// series are averaged.
	Utilization string
	// ErrorRatio gives the ratio of failed requests in [0, 1]. Several
	// series are averaged.
	ErrorRatio string
	// Latency gives the mean response time in seconds. Several series are
	// averaged.
	Latency string
}

// metric indexes the four queries, in the order errors are reported.
type metric int

const (
	demand metric = iota
	utilization
	errorRatio
	latency
	nMetrics
)

// fields name the queries as the target's YAML does, for messages.
var fields = [nMetrics]string{"queries.demand", "queries.utilization", "queries.errorRatio", "queries.latency"}

func (q Queries) exprs() [nMetrics]string {
	return [nMetrics]string{q.Demand, q.Utilization, q.ErrorRatio, q.Latency}
}

// Source reads a target's metrics from a Prometheus server. Set its fields
// before the first Observe; Observe may then be called concurrently.
type Source struct {
	// URL is the server's base address, e.g. http://127.0.0.1:9090 (a path
	// prefix such as http://host/prometheus is kept).
	URL     string
	Queries Queries
	// Timeout bounds each query; DefaultTimeout when zero.
	Timeout time.Duration
	// Window is the span [now-Window, now] each metric is averaged over;
	// DefaultWindow when zero.
	Window time.Duration
	// Step is the time between evaluations in the window; DefaultStep when
	// zero. A Step longer than Window evaluates at now only.
	Step time.Duration
	// MaxAge is how old a metric's newest sample may be, relative to now,
	// before the metric counts as missing; DefaultMaxAge when zero.
	MaxAge time.Duration
	// Client makes the HTTP requests (TLS, authentication); nil uses the
	// client library's default transport, which honours HTTP_PROXY.
	Client *http.Client

	mu       sync.Mutex
	warnings []string
}

var _ headroom.MetricsSource = (*Source)(nil)

// New returns a Source for the server at url with the default tunables.
//
// Errors: EINVALID when url is not an http(s) address or q.Demand is empty.
func New(url string, q Queries) (*Source, error) {
	s := &Source{
		URL:     url,
		Queries: q,
		Timeout: DefaultTimeout,
		Window:  DefaultWindow,
		Step:    DefaultStep,
		MaxAge:  DefaultMaxAge,
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// settings are a Source's tunables with the defaults applied.
type settings struct {
	timeout, window, step, maxAge time.Duration
}

func (s *Source) settings() settings {
	or := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	return settings{
		timeout: or(s.Timeout, DefaultTimeout),
		window:  or(s.Window, DefaultWindow),
		step:    or(s.Step, DefaultStep),
		maxAge:  or(s.MaxAge, DefaultMaxAge),
	}
}

func invalid(field, value, expected string) *headroom.Error {
	return headroom.Errorf(headroom.EINVALID, "prometheus source: %s: got %q, expected %s", field, value, expected)
}

// validate checks what a Source needs before it asks Prometheus anything.
func (s *Source) validate() error {
	u, err := url.Parse(s.URL)
	if s.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", s.URL, "the address of a Prometheus server, such as http://127.0.0.1:9090")
	}
	if strings.TrimSpace(s.Queries.Demand) == "" {
		return invalid(fields[demand], s.Queries.Demand, `a PromQL expression giving requests/s, such as sum(rate(http_requests_total{job="web"}[1m]))`)
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{{"timeout", s.Timeout}, {"window", s.Window}, {"step", s.Step}, {"maxAge", s.MaxAge}} {
		if d.value < 0 {
			return invalid(d.field, d.value.String(), "a positive duration, or zero for the default")
		}
	}
	if c := s.settings(); c.window/c.step+1 > maxPoints {
		return invalid("step", c.step.String(), fmt.Sprintf("at most %d evaluations per window of %s (Prometheus's limit)", maxPoints, c.window))
	}
	return nil
}

// Warnings returns the warnings of the last Observe: Prometheus's warnings
// and infos about the queries, and the Source's notes on metrics it left
// out, each prefixed with its query field ("queries.demand: ..."). They
// never change an observation.
func (s *Source) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// Observe returns the target's metrics averaged over [now-Window, now]; see
// the package documentation for how series are combined and when a metric
// is missing.
//
// Errors: *headroom.Error with code EINVALID when the Source is
// misconfigured or Prometheus rejects a query (bad_data); EUNAVAILABLE when
// Prometheus is unreachable, times out, or answers with an error.
func (s *Source) Observe(ctx context.Context, now time.Time) (headroom.Observation, error) {
	if err := s.validate(); err != nil {
		return headroom.Observation{}, err
	}
	c := s.settings()
	client, err := api.NewClient(api.Config{Address: s.URL, Client: s.Client})
	if err != nil {
		return headroom.Observation{}, invalid("url", s.URL, "the address of a Prometheus server")
	}
	promAPI := v1.NewAPI(client)
	// The last evaluation is at now, so that fresh data is seen as fresh
	// whatever Window is; earlier ones go back whole steps. Prometheus
	// rounds times to milliseconds: truncating first keeps every
	// evaluation, and so Observation.Time, at or before now.
	end := now.Truncate(time.Millisecond)
	r := v1.Range{Start: end.Add(-c.window / c.step * c.step), End: end, Step: c.step}

	var answers [nMetrics]answer
	var wg sync.WaitGroup
	for m, expr := range s.Queries.exprs() {
		if strings.TrimSpace(expr) == "" {
			continue
		}
		wg.Go(func() { answers[m] = s.query(ctx, promAPI, metric(m), expr, r, c.timeout) })
	}
	wg.Wait()

	var (
		matrices [nMetrics]model.Matrix
		warnings []string
		failed   *headroom.Error
	)
	for m, a := range answers {
		for _, w := range a.warnings {
			warnings = append(warnings, fields[m]+": "+w)
		}
		switch {
		case a.err == nil:
			matrices[m] = a.matrix
		case failed == nil || (failed.Code != headroom.EINVALID && a.err.Code == headroom.EINVALID):
			failed = a.err
		}
	}
	if failed != nil {
		s.setWarnings(warnings)
		return headroom.Observation{}, failed
	}
	obs, notes := assemble(now, c.maxAge, matrices)
	s.setWarnings(append(warnings, notes...))
	return obs, nil
}

func (s *Source) setWarnings(w []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnings = w
}

// answer is what one query gave.
type answer struct {
	matrix   model.Matrix
	warnings []string
	err      *headroom.Error
}

// query runs one range query within timeout.
func (s *Source) query(ctx context.Context, promAPI v1.API, m metric, expr string, r v1.Range, timeout time.Duration) answer {
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The timeout parameter makes Prometheus give up evaluating too, rather
	// than finish a query nobody waits for.
	value, warnings, infos, err := promAPI.QueryRange(qctx, expr, r, v1.WithTimeout(timeout))
	a := answer{warnings: append(warnings, infos...)}
	if err != nil {
		a.err = s.failure(ctx, m, expr, timeout, err)
		return a
	}
	matrix, ok := value.(model.Matrix)
	if !ok {
		a.err = &headroom.Error{Code: headroom.EUNAVAILABLE,
			Message: fmt.Sprintf("%s: prometheus at %s answered a range query with a %s, expected a matrix", fields[m], s.URL, value.Type())}
		return a
	}
	a.matrix = matrix
	return a
}

// failure turns a failed query into an application error: EINVALID when
// Prometheus rejects the query itself, EUNAVAILABLE for anything the
// controller should wait out.
func (s *Source) failure(ctx context.Context, m metric, expr string, timeout time.Duration, err error) *headroom.Error {
	field := fields[m]
	var apiErr *v1.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Type == v1.ErrBadData:
		// Prometheus says `invalid parameter "query": 1:6: parse error: ...`;
		// the field already says which parameter.
		msg := strings.TrimPrefix(apiErr.Msg, `invalid parameter "query": `)
		return headroom.Errorf(headroom.EINVALID, "%s: %s (query %s)", field, msg, quote(expr))
	case ctx.Err() != nil:
		return &headroom.Error{Code: headroom.EUNAVAILABLE,
			Message: fmt.Sprintf("%s: query to prometheus at %s abandoned", field, s.URL), Err: ctx.Err()}
	case isTimeout(err):
		return &headroom.Error{Code: headroom.EUNAVAILABLE,
			Message: fmt.Sprintf("%s: prometheus at %s did not answer within %s", field, s.URL, timeout), Err: err}
	case apiErr != nil:
		return &headroom.Error{Code: headroom.EUNAVAILABLE,
			Message: fmt.Sprintf("%s: prometheus at %s answered with an error", field, s.URL), Err: detailed(apiErr)}
	default:
		return &headroom.Error{Code: headroom.EUNAVAILABLE,
			Message: fmt.Sprintf("%s: prometheus at %s is unreachable", field, s.URL), Err: err}
	}
}

// quote shows a query in backquotes when it can, since PromQL is full of
// double quotes that %q would escape.
func quote(expr string) string {
	if strconv.CanBackquote(expr) {
		return "`" + expr + "`"
	}
	return strconv.Quote(expr)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// detailed adds the start of the response body to an HTTP error, which
// carries Prometheus's own error type and text ("server error: 503" alone
// would not say the query timed out).
func detailed(e *v1.Error) error {
	d := strings.Join(strings.Fields(e.Detail), " ")
	if d == "" {
		return e
	}
	const max = 300
	if len(d) > max {
		d = d[:max] + "..."
	}
	return fmt.Errorf("%w: %s", e, d)
}
