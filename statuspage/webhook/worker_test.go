package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
	"github.com/headroomhq/headroom/store/memory"
)

// clock is a settable clock shared by the store and the worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver is a subscriber's endpoint: it checks each delivery's
// signature and records the bodies it took.
type receiver struct {
	t      *testing.T
	secret string

	mu     sync.Mutex
	bodies []string
	ids    []string
	// answer, when set, decides the status of each request (200 when
	// nil).
	answer func(body string) int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: read body: %v", err)
		return
	}
	// The worker signs on the tests' clock; the time is checked in
	// sign_test.go.
	if err := (webhook.Verifier{Secret: rc.secret, Tolerance: -1}).Verify(r.Header, body); err != nil {
		rc.t.Errorf("receiver: %v (header %q, body %s)", err, r.Header.Get(webhook.SignatureHeader), body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		rc.t.Errorf("receiver: Content-Type %q, want application/json", ct)
	}
	if r.Method != http.MethodPost {
		rc.t.Errorf("receiver: method %s, want POST", r.Method)
	}
	status := http.StatusOK
	rc.mu.Lock()
	answer := rc.answer
	rc.mu.Unlock()
	if answer != nil {
		status = answer(string(body))
	}
	if status/100 == 2 {
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(body))
		rc.ids = append(rc.ids, r.Header.Get(webhook.DeliveryHeader))
		rc.mu.Unlock()
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answered %d", status)
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies)
}

// setup returns a store whose deliveries are stamped by clk.
func setup(t *testing.T) (*memory.Incidents, *clock) {
	t.Helper()
	clk := newClock()
	return &memory.Incidents{Now: clk.Now}, clk
}

func subscribe(t *testing.T, st incident.Store, id, url, secret string, components ...string) {
	t.Helper()
	if err := st.AddSubscriber(context.Background(), incident.Subscriber{ID: id, URL: url, Secret: secret, ComponentIDs: components}); err != nil {
		t.Fatal(err)
	}
}

// notify queues one notification of components, as a write does.
func notify(t *testing.T, st incident.Store, payload string, components ...string) {
	t.Helper()
	if err := st.Commit(context.Background(), &incident.Change{Notify: &incident.Notification{ComponentIDs: components, Payload: []byte(payload)}}); err != nil {
		t.Fatal(err)
	}
}

func queued(t *testing.T, st incident.Store) []incident.Delivery {
	t.Helper()
	ds, err := st.DueDeliveries(context.Background(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func newWorker(st incident.Store, clk *clock) *webhook.Worker {
	// The receivers are httptest servers on loopback.
	return &webhook.Worker{Store: st, Now: clk.Now, Timeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler), AllowPrivate: true}
}

func payloads(n int, prefix string) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf(`{"n":%d,"of":%q}`, i, prefix))
	}
	return out
}

func TestDeliveredSignedAndRemoved(t *testing.T) {
	st, clk := setup(t)
	rc := &receiver{t: t, secret: "s3cret-of-the-receiver"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, st, "sub1", srv.URL+"/hook", rc.secret)
	want := payloads(3, "all")
	for _, p := range want {
		notify(t, st, p, "website")
	}
	if err := newWorker(st, clk).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); !slices.Equal(got, want) {
		t.Errorf("receiver got %q, want %q", got, want)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Errorf("outbox: %d deliveries left, want 0", len(q))
	}
	for i, id := range rc.ids {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			t.Errorf("delivery %d: %s header %q, want the delivery's id", i, webhook.DeliveryHeader, id)
		}
	}
}

func TestPerComponentSubscription(t *testing.T) {
	st, clk := setup(t)
	all := &receiver{t: t, secret: "secret-of-everything"}
	api := &receiver{t: t, secret: "secret-of-the-api-only"}
	srvAll, srvAPI := httptest.NewServer(all), httptest.NewServer(api)
	defer srvAll.Close()
	defer srvAPI.Close()
	subscribe(t, st, "all", srvAll.URL, all.secret)
	subscribe(t, st, "api", srvAPI.URL, api.secret, "api")
	notify(t, st, `{"website":1}`, "website")
	notify(t, st, `{"api":1}`, "api")
	notify(t, st, `{"both":1}`, "website", "api")
	if err := newWorker(st, clk).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := all.got(), []string{`{"website":1}`, `{"api":1}`, `{"both":1}`}; !slices.Equal(got, want) {
		t.Errorf("subscriber of everything got %q, want %q", got, want)
	}
	if got, want := api.got(), []string{`{"api":1}`, `{"both":1}`}; !slices.Equal(got, want) {
		t.Errorf("subscriber of api got %q, want %q", got, want)
	}
}

// freeAddr returns a loopback address nothing listens on: a receiver
// that is down.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startAt starts h on addr (a receiver coming back up at its address).
func startAt(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestReceiverDownThenUpGetsEverythingInOrder(t *testing.T) {
	st, clk := setup(t)
	addr := freeAddr(t)
	rc := &receiver{t: t, secret: "the-receivers-secret"}
	subscribe(t, st, "down", "http://"+addr+"/hook", rc.secret)
	want := payloads(5, "down")
	w := newWorker(st, clk)
	for i, p := range want[:3] {
		notify(t, st, p, "website")
		clk.Add(time.Second)
		if err := w.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Only the oldest is tried: the others wait behind it.
		q := queued(t, st)
		if len(q) != i+1 || q[0].Attempts == 0 || q[0].LastError == "" {
			t.Fatalf("after notification %d: outbox %+v, want %d deliveries, the first failed", i, q, i+1)
		}
		for _, d := range q[1:] {
			if d.Attempts != 0 {
				t.Errorf("delivery %d tried %d times while an older one waits", d.ID, d.Attempts)
			}
		}
	}
	if !strings.Contains(queued(t, st)[0].LastError, "refused") {
		t.Errorf("last error %q, want the refused connection", queued(t, st)[0].LastError)
	}

	// The receiver comes back; the newest notifications are due at once,
	// the oldest only after its backoff: nothing may overtake it.
	startAt(t, addr, rc)
	notify(t, st, want[3], "api")
	notify(t, st, want[4], "website")
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); len(got) != 0 {
		t.Fatalf("receiver got %q while the oldest delivery waits for its retry, want nothing yet", got)
	}
	clk.Add(webhook.DefaultMaxBackoff)
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); !slices.Equal(got, want) {
		t.Errorf("receiver got %q, want %q", got, want)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Errorf("outbox: %d left, want 0", len(q))
	}
}

func TestRestartLosesNone(t *testing.T) {
	st, clk := setup(t)
	rc := &receiver{t: t, secret: "restart-secret-1234"}
	// The receiver hangs on the second notification until the first
	// worker is stopped, as a process killed mid-request.
	inFlight := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	rc.answer = func(body string) int {
		if strings.Contains(body, `"n":1`) {
			once.Do(func() { close(inFlight) })
			<-release
			// The worker is gone: this answer reaches no one.
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, st, "r", srv.URL, rc.secret)
	want := payloads(4, "restart")
	for _, p := range want {
		notify(t, st, p, "website")
	}

	ctx, cancel := context.WithCancel(context.Background())
	first := newWorker(st, clk)
	done := make(chan error, 1)
	go func() { done <- first.Once(ctx) }()
	<-inFlight
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Once: got %v, want nil (a shutdown leaves the cut attempt due)", err)
	}
	rc.mu.Lock()
	rc.answer = nil
	rc.mu.Unlock()
	close(release)

	// A new worker on the same store: what the first did not see
	// acknowledged is sent again, nothing is lost, the order holds.
	if err := newWorker(st, clk).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); !slices.Equal(got, want) {
		t.Errorf("receiver got %q, want %q", got, want)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Errorf("outbox: %d left, want 0", len(q))
	}
}

func TestErrorAnswersAreRetriedWithBackoff(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"500 with a body", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "database\nis down", http.StatusInternalServerError)
		}, "HTTP 500: database is down"},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, "HTTP 302"},
		{"404", http.NotFound, "HTTP 404: 404 page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, clk := setup(t)
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			subscribe(t, st, "s", srv.URL, "some-secret-value")
			notify(t, st, `{"x":1}`, "website")
			start := clk.Now()
			if err := newWorker(st, clk).Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			q := queued(t, st)
			if len(q) != 1 {
				t.Fatalf("outbox: %d deliveries, want 1", len(q))
			}
			d := q[0]
			if d.Attempts != 1 || d.LastError != tt.want {
				t.Errorf("got attempts %d, last error %q; want 1, %q", d.Attempts, d.LastError, tt.want)
			}
			lo, hi := start.Add(webhook.DefaultMinBackoff/2), start.Add(webhook.DefaultMinBackoff)
			if d.NextAt.Before(lo) || d.NextAt.After(hi) {
				t.Errorf("next attempt at %s, want between %s and %s", d.NextAt, lo, hi)
			}
		})
	}
}

func TestSlowReceiverTimesOut(t *testing.T) {
	st, clk := setup(t)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)
	subscribe(t, st, "slow", srv.URL, "slow-secret-value")
	notify(t, st, `{"x":1}`, "website")
	w := newWorker(st, clk)
	w.Timeout = 100 * time.Millisecond
	began := time.Now()
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Once took %s with a 100ms timeout", took)
	}
	q := queued(t, st)
	if len(q) != 1 || q[0].Attempts != 1 || !strings.Contains(q[0].LastError, "deadline exceeded") {
		t.Errorf("outbox %+v, want one delivery failed by its deadline", q)
	}
}

func TestSlowSubscriberDoesNotHoldUpOthers(t *testing.T) {
	st, clk := setup(t)
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(stop)
	fast := &receiver{t: t, secret: "fast-receiver-secret"}
	srv := httptest.NewServer(fast)
	defer srv.Close()
	subscribe(t, st, "slow", slow.URL, "slow-receiver-secret")
	subscribe(t, st, "fast", srv.URL, fast.secret)
	want := payloads(3, "fast")
	for _, p := range want {
		notify(t, st, p, "website")
	}
	w := newWorker(st, clk)
	w.Timeout = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// One round: it returns when the slow request ends, but the fast
	// receiver's deliveries do not wait for that.
	done := make(chan error, 1)
	go func() { done <- w.Once(ctx) }()
	deadline := time.Now().Add(3 * time.Second)
	for len(fast.got()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := fast.got(); !slices.Equal(got, want) {
		t.Errorf("fast receiver got %q while the slow one hangs, want %q", got, want)
	}
	cancel()
	<-done
}

// A receiver that is down for good, with a backlog larger than one look at
// the outbox, does not starve the others: they get every notification.
func TestDeadReceiverDoesNotStarveOthers(t *testing.T) {
	st, clk := setup(t)
	dead := &receiver{t: t, secret: "dead-receiver-secret", answer: func(string) int { return http.StatusInternalServerError }}
	deadSrv := httptest.NewServer(dead)
	defer deadSrv.Close()
	alive := &receiver{t: t, secret: "alive-receiver-secret"}
	aliveSrv := httptest.NewServer(alive)
	defer aliveSrv.Close()
	subscribe(t, st, "dead", deadSrv.URL, dead.secret)
	w := newWorker(st, clk)
	w.Scan = 3
	// The dead one's backlog first, then the other subscribes.
	for _, p := range payloads(10, "before") {
		notify(t, st, p, "website")
		if err := w.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	subscribe(t, st, "alive", aliveSrv.URL, alive.secret)
	want := payloads(5, "after")
	for _, p := range want {
		notify(t, st, p, "website")
	}
	for range 3 {
		if err := w.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := alive.got(); !slices.Equal(got, want) {
		t.Errorf("alive receiver got %q behind a dead one's backlog, want %q", got, want)
	}
}

func TestBoundedConcurrency(t *testing.T) {
	st, clk := setup(t)
	var mu sync.Mutex
	current, peak := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		current++
		peak = max(peak, current)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		current--
		mu.Unlock()
	}))
	defer srv.Close()
	for i := range 12 {
		subscribe(t, st, fmt.Sprintf("s%02d", i), srv.URL, "concurrency-secret")
	}
	notify(t, st, `{"x":1}`, "website")
	w := newWorker(st, clk)
	w.Concurrency = 3
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if peak > 3 || peak < 2 {
		t.Errorf("peak concurrent requests %d, want 2 or 3 (Concurrency 3)", peak)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Errorf("outbox: %d left, want 0", len(q))
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		attempts int
		r        float64
		want     time.Duration
	}{
		{"first failure, no jitter drawn", 0, 0.999999999, 10 * time.Second},
		{"first failure, all jitter", 0, 0, 5 * time.Second},
		{"second failure doubles", 1, 0.999999999, 20 * time.Second},
		{"ninth failure is capped at an hour", 9, 0.999999999, time.Hour},
		{"a thousand failures stay capped", 1000, 0, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := webhook.Backoff(tt.attempts, 10*time.Second, time.Hour, tt.r)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// syncBuffer is a log destination the worker's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hanging is a receiver that never answers until the test ends.
func hanging(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	return srv
}

// Regression test for issue 11 item 6: a receiver that hangs past the
// round's deadline (the runner's lease bound, 7 s, under the worker's 10 s
// timeout) was taken for a shutdown: the delivery stayed due with
// attempts=0, last_error="" and no log line, and was tried again every
// loop forever. The cut attempt is a failed one: recorded, logged, backed
// off.
func TestHangingReceiverCutByTheRoundsDeadline(t *testing.T) {
	st, clk := setup(t)
	srv := hanging(t)
	subscribe(t, st, "hangs", srv.URL+"/hook", "hanging-receiver-secret")
	notify(t, st, `{"x":1}`, "website")
	var logs syncBuffer
	w := newWorker(st, clk)
	w.Timeout = 10 * time.Second
	w.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := clk.Now()
	began := time.Now()
	if err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Once took %s within a round of 1.5 s", took)
	}
	q := queued(t, st)
	if len(q) != 1 {
		t.Fatalf("outbox: %d deliveries, want 1", len(q))
	}
	d := q[0]
	if d.Attempts != 1 || !strings.Contains(d.LastError, "deadline exceeded") {
		t.Errorf("got attempts %d, last error %q; want 1 attempt failed by its deadline", d.Attempts, d.LastError)
	}
	if lo, hi := start.Add(webhook.DefaultMinBackoff/2), start.Add(webhook.DefaultMinBackoff); d.NextAt.Before(lo) || d.NextAt.After(hi) {
		t.Errorf("next attempt at %s, want between %s and %s", d.NextAt, lo, hi)
	}
	if log := logs.String(); !strings.Contains(log, "webhook: delivery failed") || !strings.Contains(log, "attempt=1") {
		t.Errorf("log has no failed attempt:\n%s", log)
	}
}

// A shutdown cuts the attempt short without blaming the receiver: the
// delivery stays due as it was.
func TestShutdownIsNotAFailedAttempt(t *testing.T) {
	st, clk := setup(t)
	srv := hanging(t)
	subscribe(t, st, "hangs", srv.URL, "hanging-receiver-secret")
	notify(t, st, `{"x":1}`, "website")
	w := newWorker(st, clk)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, st); len(q) != 1 || q[0].Attempts != 0 || q[0].LastError != "" || q[0].NextAt.After(clk.Now()) {
		t.Errorf("outbox after a shutdown %+v, want the delivery due, untried", q)
	}
}

// Regression test for issue 11 item 6: a failed attempt logged the
// subscriber's URL with its credentials. The log and the delivery's last
// error show it redacted.
func TestFailedAttemptLogsNoCredentials(t *testing.T) {
	st, clk := setup(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	down := freeAddr(t)
	subscribe(t, st, "answers", strings.Replace(srv.URL, "http://", "http://ops:hunter2-password@", 1)+"/hook?token=s3cr3t-token", "credentials-receiver")
	subscribe(t, st, "refuses", "http://ops:hunter2-password@"+down+"/hook?token=s3cr3t-token", "credentials-receiver")
	notify(t, st, `{"x":1}`, "website")
	var logs syncBuffer
	w := newWorker(st, clk)
	w.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	q := queued(t, st)
	if len(q) != 2 {
		t.Fatalf("outbox: %d deliveries, want 2", len(q))
	}
	for _, secret := range []string{"hunter2-password", "s3cr3t-token"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows %q:\n%s", secret, logs.String())
		}
		for _, d := range q {
			if strings.Contains(d.LastError, secret) {
				t.Errorf("last error of %s shows %q: %s", d.SubscriberID, secret, d.LastError)
			}
		}
	}
	if !strings.Contains(logs.String(), "ops:xxxxx@") {
		t.Errorf("log does not name the receiver, redacted:\n%s", logs.String())
	}
}

// Regression test for issue 11 item 6: a subscriber could point the worker
// at loopback, link-local (the cloud metadata service at 169.254.169.254)
// or private addresses. They are refused unless AllowPrivate is set, when
// connecting, after the name is resolved: a name that resolves to one
// ("localhost" here; any name whose DNS changes) is refused as well.
func TestInternalAddressesAreRefused(t *testing.T) {
	rc := &receiver{t: t, secret: "internal-receiver-secret"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, tt := range []struct{ name, url string }{
		{"loopback", srv.URL + "/hook"},
		{"a name that resolves to loopback", "http://localhost:" + port + "/hook"},
		{"IPv4 in IPv6 loopback", "http://[::ffff:127.0.0.1]:" + port + "/hook"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/"},
		{"private", "http://10.0.0.1:" + port + "/hook"},
		{"unspecified", "http://0.0.0.0:" + port + "/hook"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, clk := setup(t)
			subscribe(t, st, "inside", tt.url, rc.secret)
			notify(t, st, `{"x":1}`, "website")
			w := newWorker(st, clk)
			w.AllowPrivate = false
			if err := w.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			q := queued(t, st)
			if len(q) != 1 || q[0].Attempts != 1 || !strings.Contains(q[0].LastError, "internal address") {
				t.Errorf("outbox %+v, want the delivery refused for its internal address", q)
			}
		})
	}
	if got := rc.got(); len(got) != 0 {
		t.Errorf("the receiver on loopback got %q, want nothing", got)
	}

	// The opt-in, for receivers inside the network.
	st, clk := setup(t)
	subscribe(t, st, "inside", srv.URL+"/hook", rc.secret)
	notify(t, st, `{"x":1}`, "website")
	w := newWorker(st, clk)
	w.AllowPrivate = true
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.got(); len(got) != 1 {
		t.Errorf("with AllowPrivate the receiver on loopback got %q, want the delivery", got)
	}
}
