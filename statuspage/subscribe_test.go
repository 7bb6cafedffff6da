package statuspage_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/i18n"
	"github.com/headroomhq/headroom/store/memory"
)

// newSubscriptions returns the subscription pages of fixture() over an
// in-memory store, in front of the page.
func newSubscriptions(t *testing.T, enabled bool) (*statuspage.Subscriptions, *memory.Incidents) {
	t.Helper()
	st := &memory.Incidents{}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: enabled, Burst: 2, Every: time.Hour}
	s.Publish(fixture())
	return s, st
}

func request(t *testing.T, h http.Handler, method, target, form string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(form))
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSubscriptionPages(t *testing.T) {
	s, _ := newSubscriptions(t, true)
	tests := []struct {
		name, method, target string
		status               int
		contains             string
	}{
		{"the form", http.MethodGet, "/subscribe", http.StatusOK, `<input type="email"`},
		{"the confirm button", http.MethodGet, "/subscribe/confirm?token=x", http.StatusOK, `<button type="submit">`},
		{"the unsubscribe button", http.MethodGet, "/unsubscribe?token=x", http.StatusOK, `<button type="submit">`},
		{"the status page behind", http.MethodGet, "/", http.StatusOK, `<html`},
		{"a confirm of an unknown token", http.MethodPost, "/subscribe/confirm?token=nope", http.StatusNotFound, "not valid"},
		{"an unsubscribe without a token", http.MethodPost, "/unsubscribe", http.StatusNotFound, "not valid"},
		{"another method", http.MethodPut, "/subscribe", http.StatusMethodNotAllowed, "Method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := request(t, s, tt.method, tt.target, "")
			if body := bodyOf(t, resp); resp.StatusCode != tt.status || !strings.Contains(body, tt.contains) {
				t.Errorf("%s %s: %d, want %d and %q in:\n%s", tt.method, tt.target, resp.StatusCode, tt.status, tt.contains, body)
			}
			if strings.HasPrefix(tt.target, "/subscribe") || strings.HasPrefix(tt.target, "/unsubscribe") {
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "script-src") {
					t.Errorf("CSP %q: want forms posting to self, no script", csp)
				}
			}
		})
	}
}

// A pre-rendered page revalidates with its ETag, as the page's others do.
func TestSubscribeFormRevalidates(t *testing.T) {
	s, _ := newSubscriptions(t, true)
	first := request(t, s, http.MethodGet, "/subscribe", "")
	r := httptest.NewRequest(http.MethodGet, "/subscribe", nil)
	r.Header.Set("If-None-Match", first.Header.Get("Etag"))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if first.Header.Get("Etag") == "" || w.Code != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d, want 304", first.Header.Get("Etag"), w.Code)
	}
}

func TestSubscribeStoresAPendingSubscriber(t *testing.T) {
	s, st := newSubscriptions(t, true)
	form := url.Values{"email": {"Reader <reader@example.org>"}, "component": {"cmpweb000001", "no-such-component", "cmpweb000001"}}.Encode()
	if resp := request(t, s, http.MethodPost, "/subscribe", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /subscribe: %d", resp.StatusCode)
	}
	subs, err := st.Subscribers(t.Context())
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscribers %+v (%v), want 1", subs, err)
	}
	sub := subs[0]
	if sub.Channel != incident.ChannelEmail || sub.Email != "reader@example.org" || !sub.Pending() ||
		len(sub.ComponentIDs) != 1 || sub.ComponentIDs[0] != "cmpweb000001" || len(sub.Secret) < 40 {
		t.Errorf("subscriber %+v; want a pending email subscriber of reader@example.org to website, with a long token", sub)
	}
	// Its confirmation mail is queued.
	q, err := st.Queued(t.Context(), 10)
	if err != nil || len(q) != 1 || string(q[0].Payload) != string(incident.ConfirmPayload) {
		t.Errorf("outbox %+v (%v), want the confirmation", q, err)
	}
}

func TestSubscribeLimits(t *testing.T) {
	s, st := newSubscriptions(t, true)
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		resp := request(t, s, http.MethodPost, "/subscribe", fmt.Sprintf("email=a%d%%40example.org", i))
		if resp.StatusCode != want {
			t.Errorf("POST %d: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if subs, _ := st.Subscribers(t.Context()); len(subs) != 2 {
		t.Errorf("%d subscribers, want the 2 allowed", len(subs))
	}
}

func TestSubscribeDisabledWithoutSMTP(t *testing.T) {
	s, st := newSubscriptions(t, false)
	if body := bodyOf(t, request(t, s, http.MethodGet, "/subscribe", "")); strings.Contains(body, `type="email"`) {
		t.Errorf("the form is offered without a mail server:\n%s", body)
	}
	if resp := request(t, s, http.MethodPost, "/subscribe", "email=a%40example.org"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /subscribe without a mail server: %d, want 404", resp.StatusCode)
	}
	if subs, _ := st.Subscribers(t.Context()); len(subs) != 0 {
		t.Errorf("%d subscribers, want none", len(subs))
	}
}

// The subscription pages speak the page's language, as every other page
// does: no English sentence is left in another language's.
func TestSubscriptionPagesInEveryLanguage(t *testing.T) {
	english := []string{"Subscribe to updates", "Email address", "Check your inbox", "Press Confirm", "Press Unsubscribe", "Link not valid"}
	for _, lang := range i18n.Supported() {
		t.Run(lang, func(t *testing.T) {
			c, err := i18n.Lookup(lang)
			if err != nil {
				t.Fatal(err)
			}
			next := statuspage.New()
			next.Language = lang
			s := &statuspage.Subscriptions{Next: next, Store: &memory.Incidents{}, Enabled: true}
			s.Publish(fixture())
			var all strings.Builder
			for _, req := range [][2]string{{"GET", "/subscribe"}, {"GET", "/subscribe/confirm?token=x"}, {"GET", "/unsubscribe?token=x"},
				{"POST", "/subscribe/confirm?token=x"}, {"POST", "/subscribe"}} {
				form := ""
				if req[1] == "/subscribe" && req[0] == "POST" {
					form = "email=a%40example.org"
				}
				body := bodyOf(t, request(t, s, req[0], req[1], form))
				if !strings.Contains(body, `<html lang="`+lang+`"`) {
					t.Errorf("%s %s: no <html lang=%q>", req[0], req[1], lang)
				}
				all.WriteString(body)
			}
			for _, key := range []string{"subscribe.title", "subscribe.confirm_button", "unsubscribe.button", "subscribe.sent_title", "subscribe.bad_link_title"} {
				if want := c.T(key); !strings.Contains(all.String(), template.HTMLEscapeString(want)) {
					t.Errorf("no %s %q in the pages", key, want)
				}
			}
			if lang == "en" {
				return
			}
			for _, e := range english {
				if strings.Contains(all.String(), e) {
					t.Errorf("English %q left", e)
				}
			}
		})
	}
}

// One address gets at most one confirmation mail per ResendAfter, however
// many clients ask (the form must not flood an inbox), and a subscription
// never confirmed is removed after PendingFor.
func TestSubscribeResendAndExpiry(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := &memory.Incidents{Now: func() time.Time { return now }}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: true, Now: func() time.Time { return now },
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Client") }}
	s.Publish(fixture())
	subscribe := func(client, addr string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader("email="+url.QueryEscape(addr)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Client", client)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Check your inbox") {
			t.Fatalf("POST /subscribe %s from %s: %d", addr, client, w.Code)
		}
	}
	pending := func() int {
		t.Helper()
		subs, err := st.Subscribers(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return len(subs)
	}
	for i := range 5 {
		subscribe(fmt.Sprintf("10.0.0.%d", i), "victim@example.org")
	}
	if n := pending(); n != 1 {
		t.Errorf("five clients subscribing one address: %d pending subscriptions (confirmation mails), want 1", n)
	}
	now = now.Add(statuspage.DefaultResendAfter + time.Minute)
	subscribe("10.0.0.9", "victim@example.org")
	if n := pending(); n != 2 {
		t.Errorf("after ResendAfter: %d pending, want 2", n)
	}
	now = now.Add(statuspage.DefaultPendingFor + time.Minute)
	subscribe("10.0.0.9", "other@example.org")
	subs, _ := st.Subscribers(t.Context())
	if len(subs) != 1 || subs[0].Email != "other@example.org" {
		t.Errorf("after PendingFor: %+v, want only the new subscription (the unconfirmed ones removed)", subs)
	}
}

// Regression test for the resend limit compared addresses byte for byte:
// the case variants of one address (a domain is case-insensitive, and
// nearly every mailbox is) each got a confirmation mail, so a few clients
// could flood one inbox however long ResendAfter was.
func TestSubscribeResendIgnoresCase(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := &memory.Incidents{Now: func() time.Time { return now }}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: true, Now: func() time.Time { return now },
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Client") }}
	s.Publish(fixture())
	for i, addr := range []string{"victim@example.org", "Victim@example.org", "victim@EXAMPLE.org", "VICTIM@Example.Org"} {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader("email="+url.QueryEscape(addr)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Client", fmt.Sprintf("10.0.0.%d", i))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("POST /subscribe %s: %d", addr, w.Code)
		}
	}
	subs, err := st.Subscribers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(subs), 1; got != want {
		t.Errorf("four case variants of one address within ResendAfter: %d pending subscriptions (confirmation mails), want %d", got, want)
	}
}

// Regression test for a confirm link followed after PendingFor confirmed
// the subscription when no POST /subscribe had removed it meanwhile: a
// subscription not confirmed within PendingFor is one no one asked for.
func TestConfirmAfterPendingFor(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := &memory.Incidents{Now: func() time.Time { return now }}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: true, Now: func() time.Time { return now }}
	s.Publish(fixture())
	if resp := request(t, s, http.MethodPost, "/subscribe", "email=late%40example.org"); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /subscribe: %d", resp.StatusCode)
	}
	subs, err := st.Subscribers(t.Context())
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscribers %+v, %v; want one", subs, err)
	}
	now = now.Add(statuspage.DefaultPendingFor + time.Minute)
	resp := request(t, s, http.MethodPost, "/subscribe/confirm?token="+url.QueryEscape(subs[0].Secret), "")
	if got, want := resp.StatusCode, http.StatusNotFound; got != want {
		t.Errorf("confirm after PendingFor: %d, want %d", got, want)
	}
	subs, err = st.Subscribers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if !sub.Pending() {
			t.Errorf("subscriber %s confirmed after PendingFor", sub.Email)
		}
	}
}

// slowSubscribers is a store whose Subscribers takes a while, as a
// database's does under load.
type slowSubscribers struct {
	incident.Store
}

func (s slowSubscribers) Subscribers(ctx context.Context) ([]incident.Subscriber, error) {
	subs, err := s.Store.Subscribers(ctx)
	time.Sleep(20 * time.Millisecond) // the answer on its way back
	return subs, err
}

// Regression test for clients asking at once for one address each getting
// it a confirmation mail: every POST read the pending subscriptions before
// any added its own, so 60 clients (the global burst) sent one inbox 60
// mails at once, and again every ResendAfter.
func TestSubscribeConcurrentOneMail(t *testing.T) {
	st := &memory.Incidents{}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: slowSubscribers{st}, Enabled: true,
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Client") }}
	s.Publish(fixture())
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader("email=victim%40example.org"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Client", fmt.Sprintf("10.0.0.%d", i))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("POST /subscribe from client %d: %d", i, w.Code)
			}
		}()
	}
	wg.Wait()
	subs, err := st.Subscribers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(subs), 1; got != want {
		t.Errorf("ten clients subscribing one address at once: %d pending subscriptions (confirmation mails), want %d", got, want)
	}
}

// Regression test for the form taking any address net/mail parses: a
// domain literal (someone@[10.0.0.5]) or a bare host name (root@localhost)
// had the page's SMTP server deliver a confirmation mail to whatever host
// an anonymous client named, internal ones included.
func TestSubscribeRefusesAddressesOfHosts(t *testing.T) {
	for _, addr := range []string{"someone@[10.0.0.5]", "someone@[IPv6:::1]", "root@localhost", "x@intranet",
		strings.Repeat("a", 250) + "@example.org"} {
		s, st := newSubscriptions(t, true)
		resp := request(t, s, http.MethodPost, "/subscribe", "email="+url.QueryEscape(addr))
		if got, want := resp.StatusCode, http.StatusBadRequest; got != want {
			t.Errorf("POST /subscribe %s: %d, want %d", addr, got, want)
		}
		if subs, _ := st.Subscribers(t.Context()); len(subs) != 0 {
			t.Errorf("POST /subscribe %s: %d subscribers stored, want none", addr, len(subs))
		}
	}
	s, _ := newSubscriptions(t, true)
	if resp := request(t, s, http.MethodPost, "/subscribe", "email=reader%40mail.example.org"); resp.StatusCode != http.StatusOK {
		t.Errorf("POST /subscribe reader@mail.example.org: %d, want 200", resp.StatusCode)
	}
}

// Regression test for confirming leaving the address's earlier
// subscription in place when it was typed in another case
// (Reader@Example.org, then reader@example.org): both were told of every
// incident, each mail twice.
func TestConfirmReplacesTheAddressInAnyCase(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := &memory.Incidents{Now: func() time.Time { return now }}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: true, Now: func() time.Time { return now }}
	s.Publish(fixture())
	if err := st.AddSubscriber(t.Context(), incident.Subscriber{ID: "old", Channel: incident.ChannelEmail, Email: "Reader@Example.org",
		Secret: "old-token-0123456789", CreatedAt: now.Add(-48 * time.Hour), ConfirmedAt: now.Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if resp := request(t, s, http.MethodPost, "/subscribe", "email=reader%40example.org"); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /subscribe: %d", resp.StatusCode)
	}
	subs, _ := st.Subscribers(t.Context())
	var token string
	for _, sub := range subs {
		if sub.Pending() {
			token = sub.Secret
		}
	}
	if resp := request(t, s, http.MethodPost, "/subscribe/confirm?token="+url.QueryEscape(token), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	subs, _ = st.Subscribers(t.Context())
	if len(subs) != 1 || subs[0].Email != "reader@example.org" {
		t.Errorf("after confirming: %+v, want only the new subscription", subs)
	}
}

// countedSubscribers is a store that counts its reads of every subscriber.
type countedSubscribers struct {
	incident.Store
	reads *atomic.Int64
}

func (s countedSubscribers) Subscribers(ctx context.Context) ([]incident.Subscriber, error) {
	s.reads.Add(1)
	return s.Store.Subscribers(ctx)
}

// Regression test for the confirm and unsubscribe POSTs reading every
// subscriber to find the link's token: anyone could make the page read
// the whole table with any token. They find it through the store's index
// (SubscriberByToken); only a confirmation that succeeds reads the rest,
// for the address's other subscriptions.
func TestTokenLinksReadOneSubscriber(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	mem := &memory.Incidents{Now: func() time.Time { return now }}
	st := countedSubscribers{Store: mem, reads: new(atomic.Int64)}
	s := &statuspage.Subscriptions{Next: statuspage.New(), Store: st, Enabled: true, Now: func() time.Time { return now }}
	s.Publish(fixture())
	for _, sub := range []incident.Subscriber{
		{ID: "reader", Channel: incident.ChannelEmail, Email: "reader@example.org", Secret: "reader-token-0123456789", CreatedAt: now, ConfirmedAt: now},
		{ID: "pending", Channel: incident.ChannelEmail, Email: "new@example.org", Secret: "pending-token-0123456789", CreatedAt: now},
	} {
		if err := mem.AddSubscriber(t.Context(), sub); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, path string
		status     int
		reads      int64
	}{
		{"unsubscribe, unknown token", "/unsubscribe?token=nope", http.StatusNotFound, 0},
		{"confirm, unknown token", "/subscribe/confirm?token=nope", http.StatusNotFound, 0},
		{"unsubscribe", "/unsubscribe?token=reader-token-0123456789", http.StatusOK, 0},
		{"confirm: the address's others are read", "/subscribe/confirm?token=pending-token-0123456789", http.StatusOK, 1},
	} {
		st.reads.Store(0)
		resp := request(t, s, http.MethodPost, c.path, "")
		if resp.StatusCode != c.status || st.reads.Load() != c.reads {
			t.Errorf("%s: %d after %d reads of every subscriber, want %d after %d", c.name, resp.StatusCode, st.reads.Load(), c.status, c.reads)
		}
	}
	subs, err := mem.Subscribers(t.Context())
	if err != nil || len(subs) != 1 || subs[0].ID != "pending" || subs[0].Pending() {
		t.Errorf("subscribers %+v (%v), want the new one, confirmed", subs, err)
	}
}
