package prom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Defaults of a Ranger's tunables, used when a field is zero.
const (
	// DefaultRangeTimeout bounds one attempt of a history query: ten
	// thousand evaluations of a rate over a busy service take Prometheus
	// seconds, not the milliseconds of a loop's query.
	DefaultRangeTimeout = 2 * time.Minute
	// DefaultRangeRetries is how many more times a query is tried after a
	// server error, a timeout or a refused connection.
	DefaultRangeRetries = 4
	// DefaultRangeBackoff is the wait before the first retry; it doubles
	// after each.
	DefaultRangeBackoff = time.Second
)

// Point is one value of a range query at its evaluation time.
type Point struct {
	Time  time.Time
	Value float64
}

// Ranger runs range queries of one expression over history, for `headroom
// traffic pull`: each query is retried with a doubling backoff when
// Prometheus answers 5xx, times out or cannot be reached; a query it
// refuses (bad_data, 4xx) is not retried.
type Ranger struct {
	// URL is the server's base address, e.g. http://127.0.0.1:9090.
	URL   string
	Query string
	// Timeout bounds each attempt; DefaultRangeTimeout when zero.
	Timeout time.Duration
	// Retries is how many more attempts a failed query gets;
	// DefaultRangeRetries when zero, none when negative.
	Retries int
	// Backoff is the first wait between attempts; DefaultRangeBackoff when
	// zero.
	Backoff time.Duration
	// Client makes the HTTP requests; nil uses the client library's
	// default transport.
	Client *http.Client
	// OnRetry, when set, is told of each failed attempt that will be
	// tried again, and the wait before it.
	OnRetry func(err error, wait time.Duration)
	// OnWarning, when set, gets Prometheus's warnings and the Ranger's
	// notes (series summed).
	OnWarning func(string)
}

// Range runs the query evaluated at start, start+step, ... up to end, and
// returns its values in time order, the series summed at each time (a
// query of several series gets a note through OnWarning).
//
// Errors: *headroom.Error with code EINVALID when the Ranger is
// misconfigured or Prometheus refuses the query; EUNAVAILABLE when every
// attempt failed (unreachable, 5xx, timeout), wrapping the last error;
// ctx's error when it is done.
func (r *Ranger) Range(ctx context.Context, start, end time.Time, step time.Duration) ([]Point, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	client, err := api.NewClient(api.Config{Address: r.URL, Client: r.Client})
	if err != nil {
		return nil, invalid("url", r.URL, "the address of a Prometheus server")
	}
	promAPI := v1.NewAPI(client)
	timeout, retries, backoff := r.Timeout, r.Retries, r.Backoff
	if timeout == 0 {
		timeout = DefaultRangeTimeout
	}
	if retries == 0 {
		retries = DefaultRangeRetries
	}
	if backoff == 0 {
		backoff = DefaultRangeBackoff
	}
	rng := v1.Range{Start: start, End: end, Step: step}
	for attempt := 0; ; attempt++ {
		value, err := r.attempt(ctx, promAPI, rng, timeout)
		if err == nil {
			return r.sum(value)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var apiErr *v1.Error
		if errors.As(err, &apiErr) && !retryable(apiErr) {
			msg := strings.TrimPrefix(apiErr.Msg, `invalid parameter "query": `)
			return nil, headroom.Errorf(headroom.EINVALID, "prometheus at %s refused %s: %s", r.URL, quote(r.Query), msg)
		}
		if apiErr != nil {
			err = detailed(apiErr)
		}
		if attempt >= retries {
			return nil, &headroom.Error{Code: headroom.EUNAVAILABLE,
				Message: fmt.Sprintf("prometheus at %s did not answer the range query from %s to %s (%d %s)", r.URL,
					start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), attempt+1, attempts(attempt+1)), Err: err}
		}
		if r.OnRetry != nil {
			r.OnRetry(err, backoff)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (r *Ranger) validate() error {
	if u, err := url.Parse(r.URL); r.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", r.URL, "the address of a Prometheus server, such as http://127.0.0.1:9090")
	}
	if strings.TrimSpace(r.Query) == "" {
		return invalid("query", r.Query, "a PromQL expression giving requests/s, such as sum(rate(http_requests_total{job=\"web\"}[1m]))")
	}
	if r.Timeout < 0 || r.Backoff < 0 {
		return invalid("timeout", r.Timeout.String(), "a positive duration, or zero for the default")
	}
	return nil
}

// attempt runs the query once within timeout.
func (r *Ranger) attempt(ctx context.Context, promAPI v1.API, rng v1.Range, timeout time.Duration) (model.Value, error) {
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	value, warnings, infos, err := promAPI.QueryRange(qctx, r.Query, rng, v1.WithTimeout(timeout))
	if r.OnWarning != nil {
		for _, w := range append(warnings, infos...) {
			r.OnWarning(w)
		}
	}
	return value, err
}

// retryable says whether Prometheus may answer the same query another
// time: a server error (5xx, which includes its own query timeout, 503)
// or a timeout; not a query it refuses.
func retryable(e *v1.Error) bool {
	switch e.Type {
	case v1.ErrServer, v1.ErrTimeout, v1.ErrCanceled:
		return true
	}
	return false
}

// sum adds the series of a matrix at each evaluation time.
func (r *Ranger) sum(value model.Value) ([]Point, error) {
	matrix, ok := value.(model.Matrix)
	if !ok {
		return nil, headroom.Errorf(headroom.EINVALID, "prometheus at %s answered %s with a %s, expected a matrix", r.URL, quote(r.Query), value.Type())
	}
	if len(matrix) > 1 && r.OnWarning != nil {
		r.OnWarning(fmt.Sprintf("the query gives %d series; they are summed (write sum(...) to say so)", len(matrix)))
	}
	if len(matrix) == 1 {
		points := make([]Point, len(matrix[0].Values))
		for i, p := range matrix[0].Values {
			points[i] = Point{Time: p.Timestamp.Time().UTC(), Value: float64(p.Value)}
		}
		return points, nil
	}
	sums := map[model.Time]float64{}
	for _, series := range matrix {
		for _, p := range series.Values {
			sums[p.Timestamp] += float64(p.Value)
		}
	}
	points := make([]Point, 0, len(sums))
	for t, v := range sums {
		points = append(points, Point{Time: t.Time().UTC(), Value: v})
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Time.Before(points[j].Time) })
	return points, nil
}

func attempts(n int) string {
	if n == 1 {
		return "attempt"
	}
	return "attempts"
}
