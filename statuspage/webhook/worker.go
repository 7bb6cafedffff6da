package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// Defaults of a Worker's tunables.
const (
	// DefaultTimeout bounds one POST, connection to last byte of the
	// answer.
	DefaultTimeout = 10 * time.Second
	// DefaultConcurrency is how many subscribers are called at once.
	DefaultConcurrency = 8
	// DefaultScan is how many queued deliveries of each subscriber, due
	// or not, one look at the outbox reads: the most one subscriber gets
	// per look.
	DefaultScan = 50
	// DefaultMinBackoff is the wait after a first failure; it doubles
	// with each failure up to DefaultMaxBackoff.
	DefaultMinBackoff = 10 * time.Second
	DefaultMaxBackoff = time.Hour
	// DefaultMinAttempt is the least time left before a round's deadline
	// for an attempt to start (or Timeout, when shorter).
	DefaultMinAttempt = time.Second
)

// maxErrorBody is how much of a failed answer's body goes into the
// delivery's LastError; maxDrain how much of any answer is read, so that
// the connection can be reused.
const (
	maxErrorBody = 200
	maxDrain     = 64 << 10
)

// userAgent names the sender to receivers.
const userAgent = "headroom-webhook/1"

// Worker takes deliveries from a store's outbox and POSTs them to the
// subscribers: a 2xx answer removes a delivery (Store.Delivered), anything
// else (an error status, a refused connection, a timeout) keeps it for a
// later attempt (Store.Retry) after an exponential backoff with jitter.
//
// A subscriber's deliveries go out one at a time in the order they were
// queued: a delivery waits until every older one of its subscriber is
// delivered, so a receiver that was down sees the notifications in the
// order they happened. Different subscribers are called concurrently, at
// most Concurrency at once, so a slow one does not hold up the others.
//
// Use one Worker per store: two would both send a delivery neither has
// acknowledged yet (serve calls Once from the status page's Runner, in the
// process holding the lease).
// Zero fields take the Default values; Store is required.
type Worker struct {
	Store incident.Store
	// Client sends the requests; nil for one that does not follow
	// redirects (a 3xx is a failed attempt: the subscriber's URL should
	// be fixed, not followed), uses no proxy, and refuses internal
	// addresses unless AllowPrivate. A Client given here is used as it
	// is: AllowPrivate does not apply to it.
	Client *http.Client
	// AllowPrivate lets deliveries go to internal addresses (Internal:
	// loopback, private, link-local such as the cloud metadata service
	// at 169.254.169.254, reserved), for receivers inside the network
	// (spec.page.webhooks.allowPrivate). Without it such an address is
	// refused when connecting, after the name is resolved, as a failed
	// attempt with ErrInternalAddress.
	AllowPrivate bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives failed attempts and store errors; slog.Default
	// when nil.
	Logger *slog.Logger
	// Timeout bounds each request.
	Timeout time.Duration
	// Concurrency is how many subscribers are called at once; Scan how
	// many queued deliveries of each subscriber one look at the outbox
	// reads.
	Concurrency, Scan int
	// MinBackoff and MaxBackoff bound the wait before another attempt.
	MinBackoff, MaxBackoff time.Duration
	// Mailer sends the deliveries of email subscribers (their
	// confirmation and their notifications); nil when no SMTP server is
	// configured, and then they wait in the outbox, each attempt a failure
	// saying so.
	Mailer Mailer
	// MinAttempt is the least time an attempt is given: when the
	// context of Once has a deadline (the Runner bounds each round by
	// its lease) and less than MinAttempt (or Timeout, when shorter) is
	// left, the delivery waits for the next round, untried.
	MinAttempt time.Duration

	once   sync.Once
	client *http.Client
	sem    chan struct{}
	mu     sync.Mutex
	// busy holds the subscribers a goroutine is delivering to.
	busy map[string]bool
	wg   sync.WaitGroup
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.client = w.Client
		if w.client == nil {
			w.client = newClient(w.AllowPrivate)
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Logger == nil {
			w.Logger = slog.Default()
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		if w.Concurrency <= 0 {
			w.Concurrency = DefaultConcurrency
		}
		if w.Scan <= 0 {
			w.Scan = DefaultScan
		}
		if w.MinBackoff <= 0 {
			w.MinBackoff = DefaultMinBackoff
		}
		if w.MaxBackoff <= 0 {
			w.MaxBackoff = DefaultMaxBackoff
		}
		w.MaxBackoff = max(w.MaxBackoff, w.MinBackoff)
		if w.MinAttempt <= 0 {
			w.MinAttempt = DefaultMinAttempt
		}
		w.sem = make(chan struct{}, w.Concurrency)
		w.busy = map[string]bool{}
	})
}

// Once delivers what is due now and returns when every request it made
// has ended: a round of the Runner, a test, a one-shot run. A deadline on
// ctx (the Runner's lease bound) ends every attempt by then, and an
// attempt it cuts is a failed one, recorded and backed off; a cancelled
// ctx (a shutdown) leaves the attempt it cuts untried.
//
// Errors: the store's, when it cannot list the outbox.
func (w *Worker) Once(ctx context.Context) error {
	w.init()
	err := w.dispatch(ctx)
	w.wg.Wait()
	return err
}

// dispatch reads the outbox and starts delivering to every subscriber
// whose oldest queued delivery is due and that no goroutine serves yet.
func (w *Worker) dispatch(ctx context.Context) error {
	// Subscribers busy before the read may finish during it: what the
	// read saw of them is stale, so they wait for the next look.
	w.mu.Lock()
	wasBusy := make(map[string]bool, len(w.busy))
	for id := range w.busy {
		wasBusy[id] = true
	}
	w.mu.Unlock()

	now := w.Now()
	// Each subscriber's oldest queued deliveries, due or not: a due
	// delivery must not overtake an older one of its subscriber that
	// waits for its retry, and a receiver that is down (its backlog
	// growing) must not hide the others' deliveries.
	queued, err := w.Store.Queued(ctx, w.Scan)
	if err != nil {
		return fmt.Errorf("webhook: list deliveries: %w", err)
	}
	var order []string
	bySub := map[string][]incident.Delivery{}
	for _, d := range queued {
		if _, ok := bySub[d.SubscriberID]; !ok {
			order = append(order, d.SubscriberID)
		}
		bySub[d.SubscriberID] = append(bySub[d.SubscriberID], d)
	}
	for _, sub := range order {
		ds := bySub[sub]
		headWaits := ds[0].NextAt.After(now)
		if headWaits || wasBusy[sub] {
			continue
		}
		w.mu.Lock()
		if w.busy[sub] {
			w.mu.Unlock()
			continue
		}
		w.busy[sub] = true
		w.mu.Unlock()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() {
				w.mu.Lock()
				delete(w.busy, sub)
				w.mu.Unlock()
			}()
			select {
			case w.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-w.sem }()
			w.deliverInOrder(ctx, ds)
		}()
	}
	return nil
}

// deliverInOrder sends one subscriber's deliveries, oldest first, and
// stops at the first that fails or is not due, or when the round has too
// little time left for another attempt.
func (w *Worker) deliverInOrder(ctx context.Context, ds []incident.Delivery) {
	for _, d := range ds {
		if ctx.Err() != nil || d.NextAt.After(w.Now()) {
			return
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < min(w.Timeout, w.MinAttempt) {
			return
		}
		if !w.deliver(ctx, d) {
			return
		}
	}
}

// deliver makes one attempt and records its outcome; it says whether the
// delivery went through and was recorded as such.
func (w *Worker) deliver(ctx context.Context, d incident.Delivery) bool {
	sendErr := w.send(ctx, d)
	if sendErr != nil && errors.Is(ctx.Err(), context.Canceled) {
		// Shutting down: the attempt was cut short by us, not failed by
		// the receiver; it stays due as it was. (A round's deadline is
		// not a shutdown: an attempt it cut is a receiver too slow for
		// it, recorded and backed off below, not tried again every
		// round with nothing said.)
		w.Logger.Info("webhook: attempt cut short by shutdown; it stays due", "delivery", d.ID, "subscriber", d.SubscriberID)
		return false
	}
	// The outcome is recorded even when ctx ends meanwhile: a receiver
	// that answered 2xx should not get the delivery again.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Timeout)
	defer cancel()
	if sendErr == nil {
		if err := w.Store.Delivered(rec, d.ID); err != nil {
			if headroom.ErrorCode(err) == headroom.ENOTFOUND {
				// The subscriber was removed meanwhile, its outbox with it.
				return false
			}
			w.Logger.Error("webhook: record a delivery", "delivery", d.ID, "subscriber", d.SubscriberID, "err", err)
			return false
		}
		return true
	}
	if errors.Is(sendErr, ErrRefused) {
		// Refused for good: dropped, said once, not retried forever.
		w.Logger.Warn("webhook: delivery refused for good; dropped", "delivery", d.ID, "subscriber", d.SubscriberID,
			"attempt", d.Attempts+1, "err", sendErr)
		if err := w.Store.Delivered(rec, d.ID); err != nil && headroom.ErrorCode(err) != headroom.ENOTFOUND {
			w.Logger.Error("webhook: drop a refused delivery", "delivery", d.ID, "subscriber", d.SubscriberID, "err", err)
			return false
		}
		return true
	}
	wait := Backoff(d.Attempts, w.MinBackoff, w.MaxBackoff, rand.Float64())
	next := w.Now().Add(wait)
	w.Logger.Warn("webhook: delivery failed", "delivery", d.ID, "subscriber", d.SubscriberID, "url", RedactURL(d.URL),
		"attempt", d.Attempts+1, "retry_in", wait.Round(time.Second), "err", sendErr)
	if err := w.Store.Retry(rec, d.ID, next, sendErr.Error()); err != nil && headroom.ErrorCode(err) != headroom.ENOTFOUND {
		w.Logger.Error("webhook: record a failed delivery", "delivery", d.ID, "subscriber", d.SubscriberID, "err", err)
	}
	return false
}

// Mailer sends one email delivery: statuspage/email's Sender.
type Mailer interface {
	// Mail sends d (its confirmation mail when d.Payload is
	// incident.ConfirmPayload); nil means the SMTP server took it, an
	// error wrapping ErrRefused that it never will.
	Mail(ctx context.Context, d incident.Delivery) error
}

// ErrRefused marks a delivery its receiver refused for good (an SMTP 5xx
// for the recipient): the Worker drops it rather than retry it.
var ErrRefused = errors.New("refused for good")

// errNoMailer is an email delivery's failure when no SMTP server is set.
var errNoMailer = errors.New("no SMTP server configured (spec.page.smtp): the mail waits in the outbox")

// send makes one attempt of d by its channel: a webhook's payload POSTed
// and signed, Slack's and Teams' messages made of it and POSTed, a mail
// handed to the Mailer. nil means the receiver took it. The attempt ends
// at Timeout or at ctx's deadline, whichever is first.
func (w *Worker) send(ctx context.Context, d incident.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	switch d.Channel {
	case incident.ChannelEmail:
		if w.Mailer == nil {
			return errNoMailer
		}
		return w.Mailer.Mail(ctx, d)
	case incident.ChannelSlack, incident.ChannelTeams:
		n, err := incident.ReadNotice(d.Payload)
		if err != nil {
			return err
		}
		message := SlackMessage
		if d.Channel == incident.ChannelTeams {
			message = TeamsMessage
		}
		body, err := message(n)
		if err != nil {
			return err
		}
		return w.post(ctx, d, body, false)
	}
	return w.post(ctx, d, d.Payload, true)
}

// post POSTs body to d.URL, with the webhook's signature when signed.
func (w *Worker) post(ctx context.Context, d incident.Delivery, body []byte, signed bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bad subscriber URL: %w", redactError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if signed {
		id := strconv.FormatInt(d.ID, 10)
		req.Header.Set(DeliveryHeader, id)
		// Signed afresh at each attempt: a retry an hour later is within
		// the receiver's tolerance.
		req.Header.Set(SignatureHeader, Sign(d.Secret, id, w.Now(), body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return redactError(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &statusError{code: resp.StatusCode, body: excerpt(answer)}
}

// statusError is a receiver's answer other than 2xx.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	if e.body == "" {
		return fmt.Sprintf("HTTP %d", e.code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// excerpt keeps the start of an answer's body, on one line, for the
// delivery's LastError.
func excerpt(b []byte) string {
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// Backoff is the wait before the attempt after attempts failed ones: lo
// doubled per earlier failure, capped at hi, of which a random half
// (r in [0, 1)) is dropped, so that the subscribers of one write do not
// all come back at the same instant.
func Backoff(attempts int, lo, hi time.Duration, r float64) time.Duration {
	d := lo
	for i := 0; i < attempts && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + time.Duration(r*float64(d/2))
}
