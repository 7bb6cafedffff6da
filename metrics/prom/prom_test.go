package prom

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/common/model"
)

// t0 is a fixed evaluation time for the pure tests.
var t0 = time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

// series builds a series with one sample per value, step apart, ending at
// end; a value of gap leaves that evaluation time without a sample.
func series(end time.Time, step time.Duration, values ...float64) *model.SampleStream {
	s := &model.SampleStream{Metric: model.Metric{}}
	start := end.Add(-time.Duration(len(values)-1) * step)
	for i, v := range values {
		if v == gap {
			continue
		}
		s.Values = append(s.Values, model.SamplePair{
			Timestamp: model.TimeFromUnixNano(start.Add(time.Duration(i) * step).UnixNano()),
			Value:     model.SampleValue(v),
		})
	}
	return s
}

// gap marks an evaluation time without a sample in series().
const gap = -12345

func TestFold(t *testing.T) {
	step := 15 * time.Second
	for _, tc := range []struct {
		name   string
		matrix model.Matrix
		sum    bool
		want   float64
		newest time.Time
		ok     bool
	}{
		{name: "one series: the mean over the window",
			matrix: model.Matrix{series(t0, step, 10, 20, 30)}, sum: true, want: 20, newest: t0, ok: true},
		{name: "demand: per-pod rates are summed at each time",
			matrix: model.Matrix{series(t0, step, 10, 20), series(t0, step, 5, 5)}, sum: true, want: 20, newest: t0, ok: true},
		{name: "utilization: per-pod percentages are averaged at each time",
			matrix: model.Matrix{series(t0, step, 40, 60), series(t0, step, 80, 100)}, want: 70, newest: t0, ok: true},
		// A pod that appears in the middle of the window adds to the
		// times it is there, not to the whole window: (10 + 10+30)/2.
		{name: "demand: a series that starts late counts from when it starts",
			matrix: model.Matrix{series(t0, step, 10, 10), series(t0, step, gap, 30)}, sum: true, want: 25, newest: t0, ok: true},
		{name: "utilization: a series that starts late is averaged where it is",
			matrix: model.Matrix{series(t0, step, 50, 50), series(t0, step, gap, 100)}, want: 62.5, newest: t0, ok: true},
		{name: "NaN and infinite samples are left out",
			matrix: model.Matrix{series(t0, step, 10, math.NaN(), math.Inf(1), 20), series(t0, step, math.Inf(-1), 1, 1, 1)}, sum: true,
			want: (10 + 1 + 1 + 21) / 4.0, newest: t0, ok: true},
		{name: "newest is the latest time with a finite value",
			matrix: model.Matrix{series(t0, step, 4, 6, math.NaN())}, want: 5, newest: t0.Add(-step), ok: true},
		{name: "all NaN: missing", matrix: model.Matrix{series(t0, step, math.NaN(), math.NaN())}},
		{name: "no series: missing", matrix: model.Matrix{}},
		{name: "not configured: missing", matrix: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fold(tc.matrix, tc.sum)
			if r.ok != tc.ok {
				t.Fatalf("ok: got %v, want %v", r.ok, tc.ok)
			}
			if !r.ok {
				return
			}
			if math.Abs(r.value-tc.want) > 1e-9 {
				t.Errorf("value: got %v, want %v", r.value, tc.want)
			}
			if !r.newest.Equal(tc.newest) {
				t.Errorf("newest: got %v, want %v", r.newest, tc.newest)
			}
		})
	}
}

func TestAssemble(t *testing.T) {
	step := 15 * time.Second
	now := t0
	fresh := func(v float64) model.Matrix { return model.Matrix{series(now, step, v, v, v)} }
	old := func(v float64, age time.Duration) model.Matrix {
		return model.Matrix{series(now.Add(-age), step, v, v)}
	}

	t.Run("every metric with its unit", func(t *testing.T) {
		obs, notes := assemble(now, DefaultMaxAge, [nMetrics]model.Matrix{fresh(120), fresh(55), fresh(0.01), fresh(0.25)})
		want := headroom.Observation{Time: now, Demand: 120, HasDemand: true, Utilization: 55, HasUtilization: true,
			ErrorRatio: 0.01, Latency: 250 * time.Millisecond, HasHealth: true}
		if obs != want {
			t.Errorf("got %+v, want %+v", obs, want)
		}
		if len(notes) != 0 {
			t.Errorf("notes: got %q, want none", notes)
		}
	})
	t.Run("no demand sample: HasDemand false, the time is now", func(t *testing.T) {
		obs, _ := assemble(now, DefaultMaxAge, [nMetrics]model.Matrix{{}, nil, nil, nil})
		if obs.HasDemand || obs.HasUtilization || obs.HasHealth {
			t.Errorf("got %+v, want nothing observed", obs)
		}
		if !obs.Time.Equal(now) {
			t.Errorf("time: got %v, want now %v", obs.Time, now)
		}
	})
	t.Run("a newest sample older than maxAge is missing, with a note", func(t *testing.T) {
		obs, notes := assemble(now, time.Minute, [nMetrics]model.Matrix{fresh(100), old(70, 61*time.Second), nil, nil})
		if !obs.HasDemand || obs.HasUtilization {
			t.Errorf("got %+v, want demand kept and utilization missing", obs)
		}
		if len(notes) != 1 || !strings.HasPrefix(notes[0], "queries.utilization: newest sample is 1m1s old") {
			t.Errorf("notes: got %q, want one on queries.utilization", notes)
		}
	})
	t.Run("a newest sample exactly maxAge old is kept", func(t *testing.T) {
		obs, _ := assemble(now, time.Minute, [nMetrics]model.Matrix{old(100, time.Minute), nil, nil, nil})
		if !obs.HasDemand || !obs.Time.Equal(now.Add(-time.Minute)) {
			t.Errorf("got %+v, want demand at now-1m", obs)
		}
	})
	t.Run("the time is that of the stalest metric kept", func(t *testing.T) {
		obs, _ := assemble(now, DefaultMaxAge, [nMetrics]model.Matrix{fresh(100), old(70, 30*time.Second), nil, nil})
		if want := now.Add(-30 * time.Second); !obs.Time.Equal(want) {
			t.Errorf("time: got %v, want %v", obs.Time, want)
		}
	})
	t.Run("latency alone sets HasHealth", func(t *testing.T) {
		obs, _ := assemble(now, DefaultMaxAge, [nMetrics]model.Matrix{fresh(1), nil, {}, fresh(2)})
		if !obs.HasHealth || obs.Latency != 2*time.Second || obs.ErrorRatio != 0 {
			t.Errorf("got %+v, want health with latency 2s and error ratio 0", obs)
		}
	})
	t.Run("all NaN: missing, with a note", func(t *testing.T) {
		obs, notes := assemble(now, DefaultMaxAge, [nMetrics]model.Matrix{fresh(1), nil, fresh(math.NaN()), nil})
		if obs.HasHealth {
			t.Errorf("got %+v, want no health", obs)
		}
		if len(notes) != 1 || !strings.HasPrefix(notes[0], "queries.errorRatio: all 3 samples were NaN") {
			t.Errorf("notes: got %q", notes)
		}
	})
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want time.Duration
	}{{0.25, 250 * time.Millisecond}, {1e300, math.MaxInt64}, {-1e300, math.MinInt64}} {
		if got := seconds(tc.in); got != tc.want {
			t.Errorf("seconds(%v): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// wantError fails unless err is a *headroom.Error with code and a message
// containing every part.
func wantError(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var e *headroom.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want a *headroom.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Errorf("code: got %s, want %s (%v)", e.Code, code, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("message %q does not contain %q", err.Error(), p)
		}
	}
}

func TestNew(t *testing.T) {
	q := Queries{Demand: "sum(rate(http_requests_total[1m]))"}
	for _, tc := range []struct {
		name  string
		url   string
		q     Queries
		field string
	}{
		{"empty url", "", q, "url"},
		{"no scheme", "127.0.0.1:9090", q, "url"},
		{"not http", "ftp://127.0.0.1:9090", q, "url"},
		{"no host", "http://", q, "url"},
		{"no demand query", "http://127.0.0.1:9090", Queries{Utilization: "up"}, "queries.demand"},
		{"blank demand query", "http://127.0.0.1:9090", Queries{Demand: "  "}, "queries.demand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.url, tc.q)
			wantError(t, err, headroom.EINVALID, tc.field)
		})
	}
	s, err := New("http://127.0.0.1:9090/prefix/", q)
	if err != nil {
		t.Fatal(err)
	}
	if s.Timeout != DefaultTimeout || s.Window != DefaultWindow || s.Step != DefaultStep || s.MaxAge != DefaultMaxAge {
		t.Errorf("tunables: got %+v, want the defaults", s)
	}
}

func TestObserveValidates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     *Source
		field string
	}{
		{"a zero Source", &Source{}, "url"},
		{"negative timeout", &Source{URL: "http://x", Queries: Queries{Demand: "up"}, Timeout: -time.Second}, "timeout"},
		{"too many points", &Source{URL: "http://x", Queries: Queries{Demand: "up"}, Window: 24 * time.Hour, Step: time.Second}, "step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Observe(context.Background(), t0)
			wantError(t, err, headroom.EINVALID, tc.field)
		})
	}
}

// fake is a Prometheus stand-in answering every query_range with status
// and body, and recording the parameters of the last request.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	form map[string]string
}

func newFake(t *testing.T, status int, body string) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.form = map[string]string{}
		for k := range r.Form {
			f.form[k] = r.Form.Get(k)
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(f.Close)
	return f
}

const matrixBody = `{"status":"success","data":{"resultType":"matrix","result":[
	{"metric":{"pod":"a"},"values":[[1624986000,"30"],[1624986015,"40"]]},
	{"metric":{"pod":"b"},"values":[[1624986000,"20"],[1624986015,"NaN"]]}]},
	"warnings":["remote read of store x failed"],"infos":["PromQL info: metric might not be a counter"]}`

func TestObserveAnswer(t *testing.T) {
	f := newFake(t, http.StatusOK, matrixBody)
	s, err := New(f.URL, Queries{Demand: `rate(http_requests_total[1m])`})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1624986015, 0).UTC()
	obs, err := s.Observe(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	// (30+20 + 40) / 2: summed per time, NaN left out, averaged.
	if want := (headroom.Observation{Time: now, Demand: 45, HasDemand: true}); obs != want {
		t.Errorf("got %+v, want %+v", obs, want)
	}
	wantWarnings := []string{"queries.demand: remote read of store x failed", "queries.demand: PromQL info: metric might not be a counter"}
	if got := s.Warnings(); strings.Join(got, "|") != strings.Join(wantWarnings, "|") {
		t.Errorf("warnings: got %q, want %q", got, wantWarnings)
	}
	// The window ends at now exactly and goes back whole steps.
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, want := range map[string]string{"query": `rate(http_requests_total[1m])`, "start": "1624985985", "end": "1624986015", "step": "15", "timeout": "5s"} {
		if got := f.form[k]; got != want {
			t.Errorf("parameter %s: got %q, want %q", k, got, want)
		}
	}
}

func TestObserveWindowNotAMultipleOfStep(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
	s := &Source{URL: f.URL, Queries: Queries{Demand: "x"}, Window: 40 * time.Second, Step: 15 * time.Second}
	// Prometheus keeps milliseconds: the end is truncated to them, so that
	// no evaluation falls after now.
	if _, err := s.Observe(context.Background(), time.Unix(1000, 999_600_000)); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if got, want := f.form["end"], "1000.999"; got != want {
		t.Errorf("end: got %s, want %s (now, truncated to the millisecond)", got, want)
	}
	if got, want := f.form["start"], "970.999"; got != want {
		t.Errorf("start: got %s, want %s (two whole steps before the end)", got, want)
	}
}

func TestObserveErrors(t *testing.T) {
	q := Queries{Demand: "sum(rate(http_requests_total[1m]))", Utilization: "rate(cpu["}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   string
		parts  []string
	}{
		{"bad_data: the query is wrong", http.StatusBadRequest,
			`{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:10: parse error: unexpected end of input"}`,
			headroom.EINVALID, []string{"queries.demand: 1:10: parse error: unexpected end of input", "(query `sum(rate(http_requests_total[1m]))`)"}},
		{"execution error", http.StatusUnprocessableEntity,
			`{"status":"error","errorType":"execution","error":"expanding series: context canceled"}`,
			headroom.EUNAVAILABLE, []string{"queries.demand", "answered with an error", "expanding series"}},
		{"prometheus timed out", http.StatusServiceUnavailable,
			`{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`,
			headroom.EUNAVAILABLE, []string{"queries.demand", "server error: 503", "query timed out"}},
		{"HTTP 500 from a proxy", http.StatusInternalServerError, "<html>bad gateway</html>",
			headroom.EUNAVAILABLE, []string{"queries.demand", "server error: 500"}},
		{"not an API response", http.StatusOK, "<html>hello</html>",
			headroom.EUNAVAILABLE, []string{"queries.demand", "answered with an error"}},
		{"not a matrix", http.StatusOK, `{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}`,
			headroom.EUNAVAILABLE, []string{"queries.demand", "expected a matrix"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.status, tc.body)
			s, err := New(f.URL, q)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Observe(context.Background(), time.Now())
			parts := tc.parts
			if tc.code == headroom.EUNAVAILABLE {
				parts = append(parts, f.URL) // names the server, not only the query
			}
			wantError(t, err, tc.code, parts...)
		})
	}
}

// A query Prometheus rejects is reported before a query that merely failed,
// whatever the field order: the user can fix the first, not the second.
func TestObserveInvalidBeforeUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("query") == "bad(" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s, err := New(srv.URL, Queries{Demand: "up", Latency: "bad("})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Observe(context.Background(), time.Now())
	wantError(t, err, headroom.EINVALID, "queries.latency: parse error")
}

// hanging starts a server that never answers: its handlers return when the
// client hangs up or the test ends.
func hanging(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

func TestObserveHangingServer(t *testing.T) {
	srv := hanging(t)
	s, err := New(srv.URL, Queries{Demand: "up", Utilization: "up", ErrorRatio: "up", Latency: "up"})
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err = s.Observe(context.Background(), start)
	took := time.Since(start)
	wantError(t, err, headroom.EUNAVAILABLE, "queries.demand", srv.URL, "did not answer within 200ms")
	// The four queries run concurrently: the whole call takes one timeout.
	if took < s.Timeout || took > s.Timeout+time.Second {
		t.Errorf("took %v, want about the timeout %v", took, s.Timeout)
	}
}

func TestObserveUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	s, err := New(url, Queries{Demand: "up"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Observe(context.Background(), time.Now())
	wantError(t, err, headroom.EUNAVAILABLE, "queries.demand", url, "unreachable", "connection refused")
}

func TestObserveCanceled(t *testing.T) {
	srv := hanging(t)
	s, err := New(srv.URL, Queries{Demand: "up"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.Observe(ctx, time.Now())
	wantError(t, err, headroom.EUNAVAILABLE, "abandoned")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want it to wrap the context's error", err)
	}
}
