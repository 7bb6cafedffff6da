package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var (
	t0      = time.Date(2021, 6, 30, 17, 0, 15, 0, time.UTC)
	firing  = headroom.Alert{Target: "web", Signal: headroom.SignalCause, Rule: "capacity", Severity: headroom.SeverityPage, StartsAt: t0, Reason: headroom.Reason{Code: "CapacityShort", Message: "scheduled action night-savings set desired 12; demand needs 30"}}
	blind   = headroom.Alert{Target: "web", Signal: headroom.SignalBlind, Rule: "stale", Severity: headroom.SeverityTicket, StartsAt: t0, Reason: headroom.Reason{Code: "MetricsBlind", Message: "no demand sample for 3m"}}
	resolve = func(a headroom.Alert, at time.Time) headroom.Alert { a.EndsAt = at; return a }
)

// recorder is an Alertmanager stand-in answering each POST with the next
// status of its script (the last one repeats) and keeping the bodies.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   [][]postableAlert
	headers  []http.Header
	paths    []string
}

func newRecorder(t *testing.T, statuses ...int) *recorder {
	t.Helper()
	r := &recorder{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var alerts []postableAlert
		if err := json.Unmarshal(body, &alerts); err != nil {
			t.Errorf("body is not a list of postable alerts: %v: %s", err, body)
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, alerts)
		r.headers = append(r.headers, req.Header.Clone())
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(len(r.bodies), len(r.statuses))-1]
		}
		r.mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "scripted "+http.StatusText(status), status)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// testClient is a Client of urls with fast retries and a fixed clock.
func testClient(t *testing.T, urls ...string) (*Client, *Metrics) {
	t.Helper()
	c, err := NewClient(urls...)
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff, c.MaxBackoff = time.Millisecond, 4*time.Millisecond
	c.Timeout = 2 * time.Second
	c.Now = func() time.Time { return t0.Add(time.Minute) }
	c.Metrics = NewMetrics(prometheus.NewRegistry())
	return c, c.Metrics
}

func TestClientPayload(t *testing.T) {
	r := newRecorder(t)
	c, m := testClient(t, r.URL+"/")
	c.Labels = map[string]string{"cluster": "eu-1", "target": "not-this"}
	c.GeneratorURL = "http://headroom:8080/decisions"
	resolvedAt := t0.Add(10 * time.Minute)
	if err := c.Notify(t.Context(), []headroom.Alert{firing, resolve(blind, resolvedAt)}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.paths, []string{"POST /api/v2/alerts"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests: got %v, want %v", got, want)
	}
	if got := r.headers[0].Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	got := r.bodies[0]
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	want := []postableAlert{{
		Labels: map[string]string{"alertname": "HeadroomCause", "target": "web", "signal": "cause", "severity": "page",
			"rule": "capacity", "cluster": "eu-1"},
		Annotations: map[string]string{"summary": firing.Reason.Message, "reason_code": "CapacityShort",
			"description": "cause alert on web (rule capacity) since 2021-06-30 17:00:15 UTC: " + firing.Reason.Message},
		StartsAt: t0,
		// A firing alert's endsAt is now + ValidFor: Alertmanager keeps
		// it firing that long without another send.
		EndsAt:       t0.Add(time.Minute + DefaultValidFor),
		GeneratorURL: "http://headroom:8080/decisions",
	}, {
		Labels: map[string]string{"alertname": "HeadroomBlind", "target": "web", "signal": "blind", "severity": "ticket",
			"rule": "stale", "cluster": "eu-1"},
		Annotations: map[string]string{"summary": blind.Reason.Message, "reason_code": "MetricsBlind",
			"description": "blind alert on web (rule stale) since 2021-06-30 17:00:15 UTC, resolved 2021-06-30 17:10:15 UTC: " + blind.Reason.Message},
		StartsAt:     t0,
		EndsAt:       resolvedAt,
		GeneratorURL: "http://headroom:8080/decisions",
	}}
	for i := range want {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Errorf("alert %d:\ngot  %s\nwant %s", i, g, w)
		}
	}
	if got := testutil.ToFloat64(m.Sends.WithLabelValues("ok")); got != 1 {
		t.Errorf("sends ok: got %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Alerts); got != 2 {
		t.Errorf("alerts sent: got %v, want 2", got)
	}
}

func TestClientEndsAtLeftOut(t *testing.T) {
	r := newRecorder(t)
	c, _ := testClient(t, r.URL)
	c.ValidFor = -1 // Alertmanager's resolve_timeout decides
	if err := c.Notify(t.Context(), []headroom.Alert{firing}); err != nil {
		t.Fatal(err)
	}
	if got := r.bodies[0][0].EndsAt; !got.IsZero() {
		t.Errorf("endsAt: got %v, want none", got)
	}
}

func TestClientAnswers(t *testing.T) {
	const retries = 2
	for _, tc := range []struct {
		name     string
		statuses []int
		wantCode string
		wantReqs int
		result   string
	}{
		{"accepted", []int{200}, "", 1, "ok"},
		{"a 5xx is retried, then accepted", []int{503, 500, 200}, "", 3, "ok"},
		{"a 5xx every time: unavailable after the retries", []int{503}, headroom.EUNAVAILABLE, 1 + retries, "unavailable"},
		{"429 is retried", []int{429}, headroom.EUNAVAILABLE, 1 + retries, "unavailable"},
		{"400: malformed, not retried", []int{400}, headroom.EINVALID, 1, "invalid"},
		{"404: a wrong URL is not retried", []int{404}, headroom.EUNAVAILABLE, 1, "unavailable"},
		{"a redirect is not followed", []int{307}, headroom.EUNAVAILABLE, 1, "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, tc.statuses...)
			c, m := testClient(t, r.URL)
			c.Retries = retries
			err := c.Notify(t.Context(), []headroom.Alert{firing})
			if got := headroom.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("error code: got %q (%v), want %q", got, err, tc.wantCode)
			}
			if got := r.requests(); got != tc.wantReqs {
				t.Errorf("requests: got %d, want %d", got, tc.wantReqs)
			}
			if got := testutil.ToFloat64(m.Sends.WithLabelValues(tc.result)); got != 1 {
				t.Errorf("sends{result=%q}: got %v, want 1", tc.result, got)
			}
			failed := tc.wantReqs
			if tc.wantCode == "" {
				failed--
			}
			if got := testutil.ToFloat64(m.Errors.WithLabelValues(r.URL)); got != float64(failed) {
				t.Errorf("errors{alertmanager=%q}: got %v, want %d", r.URL, got, failed)
			}
			if err != nil && !strings.Contains(err.Error(), "scripted") {
				t.Errorf("error %q does not show the answer's body", err)
			}
		})
	}
}

// closedURL is an address nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestClientUnreachable(t *testing.T) {
	down := closedURL(t)
	c, m := testClient(t, down)
	c.Retries = 3
	err := c.Notify(t.Context(), []headroom.Alert{firing})
	if got := headroom.ErrorCode(err); got != headroom.EUNAVAILABLE {
		t.Fatalf("error code: got %q (%v), want %q", got, err, headroom.EUNAVAILABLE)
	}
	if got := testutil.ToFloat64(m.Errors.WithLabelValues(down)); got != 4 {
		t.Errorf("errors: got %v, want 4 (1 attempt + 3 retries)", got)
	}
}

// An HA cluster: every Alertmanager gets every alert; one that is down
// does not fail the send while another accepted it, and is counted.
func TestClientSeveralAlertmanagers(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	down := closedURL(t)
	c, m := testClient(t, a.URL, down, b.URL)
	if err := c.Notify(t.Context(), []headroom.Alert{firing}); err != nil {
		t.Fatalf("one Alertmanager down of three: got %v, want nil", err)
	}
	if a.requests() != 1 || b.requests() != 1 {
		t.Errorf("requests: got %d and %d, want 1 each", a.requests(), b.requests())
	}
	if got := testutil.ToFloat64(m.Errors.WithLabelValues(down)); got != 1+DefaultRetries {
		t.Errorf("errors of the one down: got %v, want %d", got, 1+DefaultRetries)
	}

	c2, _ := testClient(t, closedURL(t), closedURL(t))
	err := c2.Notify(t.Context(), []headroom.Alert{firing})
	if got := headroom.ErrorCode(err); got != headroom.EUNAVAILABLE {
		t.Errorf("all down: got %q (%v), want %q", got, err, headroom.EUNAVAILABLE)
	}
}

// The caller's deadline bounds the retries, and its end is not counted
// as Alertmanager's failure.
func TestClientContextEndsRetries(t *testing.T) {
	r := newRecorder(t, 503)
	c, m := testClient(t, r.URL)
	c.Retries, c.Backoff, c.MaxBackoff = 100, time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Notify(ctx, []headroom.Alert{firing})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Notify took %s after its context ended", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) || headroom.ErrorCode(err) != headroom.EUNAVAILABLE {
		t.Errorf("got %v (code %q), want EUNAVAILABLE wrapping the deadline", err, headroom.ErrorCode(err))
	}
	if got := testutil.ToFloat64(m.Sends.WithLabelValues("unavailable")); got != 0 {
		t.Errorf("a send cut short by the caller counted as unavailable: %v", got)
	}
}

func TestClientPasswordNotShown(t *testing.T) {
	down := closedURL(t)
	withPassword := strings.Replace(down, "http://", "http://user:s3cret@", 1)
	c, m := testClient(t, withPassword)
	c.Retries = -1
	err := c.Notify(t.Context(), []headroom.Alert{firing})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error shows the password (or is nil): %v", err)
	}
	if n := testutil.CollectAndCount(m.Errors); n != 1 {
		t.Fatalf("error series: got %d, want 1", n)
	}
	if got := testutil.ToFloat64(m.Errors.WithLabelValues(redact(withPassword))); got != 1 {
		t.Errorf("errors of the redacted URL: got %v, want 1", got)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alert headroom.Alert
		field string // "" when valid
	}{
		{"firing", firing, ""},
		{"resolved", resolve(firing, t0.Add(time.Minute)), ""},
		{"resolved at its start", resolve(firing, t0), ""},
		{"no target", func() headroom.Alert { a := firing; a.Target = ""; return a }(), "target"},
		{"no signal", func() headroom.Alert { a := firing; a.Signal = ""; return a }(), "signal"},
		{"no start", func() headroom.Alert { a := firing; a.StartsAt = time.Time{}; return a }(), "startsAt"},
		{"ends before it starts", resolve(firing, t0.Add(-time.Second)), "endsAt"},
		{"reason not UTF-8", func() headroom.Alert { a := firing; a.Reason.Message = "\xff"; return a }(), "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.alert)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tc.field != "" && (headroom.ErrorCode(err) != headroom.EINVALID || !strings.Contains(err.Error(), tc.field+":")):
				t.Fatalf("got %v, want EINVALID naming %s", err, tc.field)
			}
		})
	}
}

func TestClientRefusesBeforeSending(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		alert  headroom.Alert
	}{
		{"static label name", map[string]string{"bad-name": "x"}, firing},
		{"empty static label", map[string]string{"cluster": ""}, firing},
		{"invalid alert", nil, resolve(firing, t0.Add(-time.Hour))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t)
			c, _ := testClient(t, r.URL)
			c.Labels = tc.labels
			if err := c.Notify(t.Context(), []headroom.Alert{tc.alert}); headroom.ErrorCode(err) != headroom.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			if r.requests() != 0 {
				t.Errorf("sent %d requests, want none", r.requests())
			}
		})
	}
}

func TestNewClientURLs(t *testing.T) {
	for _, tc := range []struct {
		urls []string
		ok   bool
	}{
		{[]string{"http://am:9093"}, true},
		{[]string{"https://am.example/prefix", "http://am2:9093"}, true},
		{nil, false},
		{[]string{"am:9093"}, false},
		{[]string{"ftp://am"}, false},
		{[]string{"http://"}, false},
	} {
		_, err := NewClient(tc.urls...)
		if (err == nil) != tc.ok {
			t.Errorf("NewClient(%q): got %v, want ok=%v", tc.urls, err, tc.ok)
		}
		if err != nil && headroom.ErrorCode(err) != headroom.EINVALID {
			t.Errorf("NewClient(%q): code %q, want EINVALID", tc.urls, headroom.ErrorCode(err))
		}
	}
}

func TestAlertName(t *testing.T) {
	for signal, want := range map[headroom.Signal]string{
		headroom.SignalCause: "HeadroomCause", headroom.SignalSymptom: "HeadroomSymptom", headroom.SignalBlind: "HeadroomBlind",
	} {
		if got := AlertName(signal); got != want {
			t.Errorf("AlertName(%q): got %q, want %q", signal, got, want)
		}
	}
}

// A zero Client with a URL works with the defaults.
func TestZeroClient(t *testing.T) {
	r := newRecorder(t)
	c := &Client{URLs: []string{r.URL}, Now: func() time.Time { return t0 }}
	if err := c.Notify(t.Context(), []headroom.Alert{firing}); err != nil {
		t.Fatal(err)
	}
	if got := r.bodies[0][0].EndsAt; !got.Equal(t0.Add(DefaultValidFor)) {
		t.Errorf("endsAt: got %v, want %v", got, t0.Add(DefaultValidFor))
	}
}
