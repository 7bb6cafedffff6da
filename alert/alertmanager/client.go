package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
)

var _ headroom.Notifier = (*Client)(nil)

// Defaults of a Client's tunables.
const (
	// DefaultTimeout bounds one request, connection to the answer's last
	// byte. Prometheus's alertmanager_config has the same default
	// (timeout: 10s,
	// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#alertmanager_config).
	DefaultTimeout = 10 * time.Second
	// DefaultRetries is the number of extra attempts per Alertmanager
	// after a failed one.
	DefaultRetries = 2
	// DefaultBackoff is the wait before the first retry; it doubles with
	// each retry up to DefaultMaxBackoff.
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	// DefaultValidFor is how long after a send a firing alert stays firing
	// in Alertmanager without another send: 4 × DefaultResendInterval,
	// the factor Prometheus applies to its resend delay (rules/alerting.go,
	// ValidUntil). A Sender resends well before it runs out.
	DefaultValidFor = 4 * DefaultResendInterval
)

// alertsPath is the API v2 endpoint alerts are posted to, below an
// Alertmanager's base URL
// (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml).
const alertsPath = "/api/v2/alerts"

// userAgent names the sender to Alertmanager's logs.
const userAgent = "headroom-alertmanager/1"

// maxErrorBody is how much of a refusal's body goes into the error;
// maxDrain how much of any answer is read so that the connection is reused.
const (
	maxErrorBody = 200
	maxDrain     = 64 << 10
)

// Client posts alerts to one or more Alertmanagers. Zero tunables take the
// Default values at Notify; NewClient sets them.
type Client struct {
	// URLs are the Alertmanagers' base URLs ("http://am:9093", or with a
	// path prefix "http://host/alertmanager"); alertsPath is appended.
	// Every one gets every alert.
	URLs []string
	// HTTPClient sends the requests; nil for one that does not follow
	// redirects (a 3xx means the URL is wrong, and a redirected POST
	// loses its body).
	HTTPClient *http.Client
	// Timeout bounds each request.
	Timeout time.Duration
	// Retries is the number of extra attempts per Alertmanager after a
	// failed one (a refused connection, a timeout, a 5xx or 429);
	// negative for none. A 4xx other than 429 is not retried: the same
	// request would be refused again.
	Retries int
	// Backoff is the wait before the first retry, doubling up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// ValidFor sets a firing alert's endsAt to now + ValidFor; negative
	// leaves endsAt out, and Alertmanager's resolve_timeout (5m by
	// default) applies instead.
	ValidFor time.Duration
	// Labels are added to every alert (cluster="eu-1", say); an alert's
	// own labels (alertname, target, signal, severity, rule) win.
	Labels map[string]string
	// GeneratorURL is each alert's link back to headroom (the decisions
	// page, say); empty for none.
	GeneratorURL string
	// Now is the clock for endsAt; time.Now when nil.
	Now func() time.Time
	// Metrics counts sends and failures; nil for none.
	Metrics *Metrics

	once   sync.Once
	client *http.Client
}

// NewClient returns a Client for the Alertmanagers at urls with the
// default tunables.
//
// Errors: EINVALID when there is no URL or one is not an absolute http(s)
// URL.
func NewClient(urls ...string) (*Client, error) {
	if len(urls) == 0 {
		return nil, headroom.Errorf(headroom.EINVALID, "alertmanager: no URL: expected the base URL of at least one Alertmanager (http://alertmanager:9093)")
	}
	for _, u := range urls {
		if err := checkURL(u); err != nil {
			return nil, err
		}
	}
	return &Client{
		URLs:       urls,
		Timeout:    DefaultTimeout,
		Retries:    DefaultRetries,
		Backoff:    DefaultBackoff,
		MaxBackoff: DefaultMaxBackoff,
		ValidFor:   DefaultValidFor,
	}, nil
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return headroom.Errorf(headroom.EINVALID, "alertmanager: url %q: expected an absolute http(s) URL (http://alertmanager:9093)", redact(raw))
	}
	return nil
}

func (c *Client) init() {
	c.once.Do(func() {
		c.client = c.HTTPClient
		if c.client == nil {
			c.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		if c.Now == nil {
			c.Now = time.Now
		}
		if c.Timeout <= 0 {
			c.Timeout = DefaultTimeout
		}
		if c.Retries == 0 {
			c.Retries = DefaultRetries
		}
		if c.Backoff <= 0 {
			c.Backoff = DefaultBackoff
		}
		if c.MaxBackoff <= 0 {
			c.MaxBackoff = DefaultMaxBackoff
		}
		c.MaxBackoff = max(c.MaxBackoff, c.Backoff)
		if c.ValidFor == 0 {
			c.ValidFor = DefaultValidFor
		}
	})
}

// Notify posts alerts to every Alertmanager at once, each with its own
// retries, and returns when all have answered or given up. It succeeds
// when at least one Alertmanager accepted them: the members of a cluster
// gossip what they get (Prometheus counts a send the same way), and the
// failures of the others are counted in Metrics.
//
// Errors: EINVALID, before any request, for an alert without a target,
// signal or start, one that ends before it starts, or a static label that
// Alertmanager would refuse; EINVALID when Alertmanager answers 400 (or
// 422); EUNAVAILABLE when none accepted them: no answer, a 5xx, another
// refusal, or ctx ended (the error then wraps ctx's).
func (c *Client) Notify(ctx context.Context, alerts []headroom.Alert) error {
	c.init()
	if len(alerts) == 0 {
		return nil
	}
	body, err := c.encode(alerts)
	if err != nil {
		c.Metrics.sent(headroom.EINVALID, 0)
		return err
	}
	if len(c.URLs) == 0 {
		return headroom.Errorf(headroom.EINVALID, "alertmanager: no URL to send to")
	}
	errs := make([]error, len(c.URLs))
	var wg sync.WaitGroup
	for i, u := range c.URLs {
		wg.Go(func() { errs[i] = c.postWithRetries(ctx, u, body) })
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			c.Metrics.sent("", len(alerts))
			return nil
		}
	}
	if ctx.Err() != nil {
		// Cut short by the caller: not a result to count.
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "alertmanager: sending cut short", Err: ctx.Err()}
	}
	// None accepted: a malformed batch is the caller's to fix, whatever
	// the other Alertmanagers said; anything else is unavailability.
	for _, err := range errs {
		if headroom.ErrorCode(err) == headroom.EINVALID {
			c.Metrics.sent(headroom.EINVALID, 0)
			return err
		}
	}
	c.Metrics.sent(headroom.EUNAVAILABLE, 0)
	if len(errs) == 1 {
		return errs[0]
	}
	return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: fmt.Sprintf("alertmanager: none of %d Alertmanagers accepted %d alerts", len(errs), len(alerts)), Err: errors.Join(errs...)}
}

// postWithRetries posts body to one Alertmanager until it is accepted,
// refused for good, the retries are spent or ctx ends.
func (c *Client) postWithRetries(ctx context.Context, base string, body []byte) error {
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		retry, err := c.post(ctx, base, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// Our own shutdown or deadline, not Alertmanager's failure:
			// not counted.
			return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: fmt.Sprintf("alertmanager %s: gave up", redact(base)), Err: ctx.Err()}
		}
		c.Metrics.failed(base)
		if !retry || c.Retries < 0 || attempt >= c.Retries {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: fmt.Sprintf("alertmanager %s: gave up after %d attempts", redact(base), attempt+1), Err: errors.Join(err, ctx.Err())}
		case <-t.C:
		}
		wait = min(2*wait, c.MaxBackoff)
	}
}

// post makes one attempt and says whether a failure is worth retrying.
func (c *Client) post(ctx context.Context, base string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	endpoint := strings.TrimSuffix(strings.TrimSuffix(base, "/"), alertsPath) + alertsPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return false, headroom.Errorf(headroom.EINVALID, "alertmanager: url %q: %v", redact(base), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return true, &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "alertmanager " + redact(base), Err: redactErr(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		return false, nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	msg := fmt.Sprintf("alertmanager %s answered %s", redact(base), resp.Status)
	if s := strings.TrimSpace(strings.ToValidUTF8(string(head), "")); s != "" {
		msg += ": " + s
	}
	switch code := resp.StatusCode; {
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		// Alertmanager refuses an alert it cannot validate with a 400;
		// it stores the valid ones of the batch all the same.
		return false, headroom.Errorf(headroom.EINVALID, "%s", msg)
	case code == http.StatusTooManyRequests || code >= 500:
		return true, headroom.Errorf(headroom.EUNAVAILABLE, "%s", msg)
	default:
		// 3xx, 401, 403, 404...: the URL or its credentials are wrong;
		// asking again will not change the answer.
		return false, headroom.Errorf(headroom.EUNAVAILABLE, "%s", msg)
	}
}

// postableAlert is API v2's postableAlert
// (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// encode validates alerts and the static labels and returns the request
// body.
func (c *Client) encode(alerts []headroom.Alert) ([]byte, error) {
	for name, value := range c.Labels {
		if !labelName.MatchString(name) {
			return nil, headroom.Errorf(headroom.EINVALID, "alertmanager: static label %q: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)", name)
		}
		if value == "" || !utf8.ValidString(value) {
			return nil, headroom.Errorf(headroom.EINVALID, "alertmanager: static label %s=%q: expected a non-empty UTF-8 value", name, value)
		}
	}
	now := c.Now()
	out := make([]postableAlert, len(alerts))
	for i, a := range alerts {
		if err := Validate(a); err != nil {
			return nil, err
		}
		out[i] = c.postable(a, now)
	}
	return json.Marshal(out)
}

// postable is what Alertmanager gets for a, sent at now.
func (c *Client) postable(a headroom.Alert, now time.Time) postableAlert {
	labels := make(map[string]string, len(c.Labels)+5)
	for k, v := range c.Labels {
		labels[k] = v
	}
	for k, v := range alertLabels(a) {
		labels[k] = v
	}
	p := postableAlert{
		Labels: labels,
		Annotations: map[string]string{
			"summary":     a.Reason.Message,
			"reason_code": string(a.Reason.Code),
			"description": description(a),
		},
		StartsAt:     a.StartsAt.UTC(),
		EndsAt:       a.EndsAt.UTC(),
		GeneratorURL: c.GeneratorURL,
	}
	if a.Firing() && c.ValidFor > 0 {
		// A firing alert's endsAt is a lease, not an end: Alertmanager
		// resolves it then unless it is sent again. It must not come
		// before startsAt (a start in the future is the detector's
		// business).
		p.EndsAt = maxTime(now, a.StartsAt).Add(c.ValidFor).UTC()
	}
	for k, v := range p.Annotations {
		if v == "" {
			delete(p.Annotations, k)
		}
	}
	return p
}

// alertLabels are the labels that identify a in Alertmanager. Empty ones
// are left out, as Alertmanager drops them.
func alertLabels(a headroom.Alert) map[string]string {
	l := map[string]string{
		"alertname": AlertName(a.Signal),
		"target":    a.Target,
		"signal":    string(a.Signal),
		"severity":  string(a.Severity),
		"rule":      a.Rule,
	}
	for k, v := range l {
		if v == "" {
			delete(l, k)
		}
	}
	return l
}

// AlertName is the alertname label of a signal's alerts: "Headroom" and
// the signal with a capital (HeadroomCause, HeadroomSymptom,
// HeadroomBlind), which routes and silences match on.
func AlertName(s headroom.Signal) string {
	name := string(s)
	if name == "" {
		return "Headroom"
	}
	r, size := utf8.DecodeRuneInString(name)
	return "Headroom" + strings.ToUpper(string(r)) + name[size:]
}

// description is the alert's sentence for people: what, where, since
// when, and why.
func description(a headroom.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s alert on %s", a.Signal, a.Target)
	if a.Rule != "" {
		fmt.Fprintf(&b, " (rule %s)", a.Rule)
	}
	fmt.Fprintf(&b, " since %s", a.StartsAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	if !a.Firing() {
		fmt.Fprintf(&b, ", resolved %s", a.EndsAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if a.Reason.Message != "" {
		b.WriteString(": " + a.Reason.Message)
	}
	return b.String()
}

// labelName is Prometheus's label name syntax, which Alertmanager
// enforces (https://prometheus.io/docs/concepts/data_model/).
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate reports whether Alertmanager can take a: a target, a signal
// and a start, an end (if any) not before the start, and UTF-8 text.
//
// Errors: EINVALID naming the alert and the field.
func Validate(a headroom.Alert) error {
	bad := func(field, value, expected string) error {
		return headroom.Errorf(headroom.EINVALID, "alertmanager: alert %s/%s/%s: %s: got %q, expected %s", a.Target, a.Signal, a.Rule, field, value, expected)
	}
	switch {
	case a.Target == "":
		return bad("target", a.Target, "the target's name")
	case a.Signal == "":
		return bad("signal", string(a.Signal), "cause, symptom or blind")
	case a.StartsAt.IsZero():
		return bad("startsAt", "", "when the rule first fired")
	case !a.Firing() && a.EndsAt.Before(a.StartsAt):
		return bad("endsAt", a.EndsAt.UTC().Format(time.RFC3339), "a time not before startsAt "+a.StartsAt.UTC().Format(time.RFC3339))
	}
	for field, v := range map[string]string{"target": a.Target, "signal": string(a.Signal), "rule": a.Rule,
		"severity": string(a.Severity), "reason": a.Reason.Message, "reason code": string(a.Reason.Code)} {
		if !utf8.ValidString(v) {
			return bad(field, v, "UTF-8 text")
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// redact removes a URL's password, which must not reach logs or metric
// labels.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// redactErr removes the password from the URL a *url.Error names.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
	}
	return err
}
