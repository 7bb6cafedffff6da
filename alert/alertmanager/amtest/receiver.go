package amtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Notification is what Alertmanager's webhook receiver POSTs
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
// the fields a test looks at.
type Notification struct {
	Status       string            `json:"status"` // firing or resolved
	Receiver     string            `json:"receiver"`
	GroupLabels  map[string]string `json:"groupLabels"`
	CommonLabels map[string]string `json:"commonLabels"`
	Alerts       []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
	} `json:"alerts"`
}

// Receiver is a webhook receiver for a Server's Config.Webhook: an
// httptest server on 127.0.0.1 keeping every notification it gets.
type Receiver struct {
	// URL is where Alertmanager posts.
	URL string

	mu   sync.Mutex
	got  []Notification
	errs []error
}

// NewReceiver starts a Receiver; cleanup stops it.
func NewReceiver(t *testing.T) *Receiver {
	t.Helper()
	r := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		var n Notification
		if err == nil {
			err = json.Unmarshal(body, &n)
		}
		r.mu.Lock()
		if err != nil {
			r.errs = append(r.errs, err)
		} else {
			r.got = append(r.got, n)
		}
		r.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Notifications returns what the receiver got so far, oldest first.
func (r *Receiver) Notifications() []Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notification(nil), r.got...)
}

// Wait returns the first notification for which ok holds, waiting up to
// timeout; it fails the test when none comes or a body was not JSON.
func (r *Receiver) Wait(t *testing.T, timeout time.Duration, what string, ok func(Notification) bool) Notification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		errs := r.errs
		for _, n := range r.got {
			if ok(n) {
				r.mu.Unlock()
				return n
			}
		}
		r.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("webhook receiver: a body was not a notification: %v", errs[0])
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook receiver: no notification %s within %s; got %+v", what, timeout, r.Notifications())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
