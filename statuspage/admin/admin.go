package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// Prefix is where the admin API lives.
const Prefix = "/api/admin/"

// securityHeaders go on every answer: JSON only, never framed, sniffed,
// cached or sent on as a referrer.
var securityHeaders = map[string]string{
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Cache-Control":                "no-store",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// unauthorized is the one answer to a missing, malformed, unknown or
// revoked token, whatever the request asked for: it says nothing of what
// exists.
var unauthorized = &headroom.Error{Code: headroom.EUNAUTHORIZED,
	Message: "a valid admin token is required: send Authorization: Bearer <token> (tokens are made with headroom token create NAME)"}

// Option changes a default of New.
type Option func(*handler)

// WithLogger sets where failures (the causes behind "internal error") and
// the audit lines of writes go; slog.Default otherwise.
func WithLogger(l *slog.Logger) Option { return func(h *handler) { h.log = l } }

// WithClock sets the clock of the token cache, the bad-token limit and
// new subscribers; time.Now otherwise.
func WithClock(now func() time.Time) Option { return func(h *handler) { h.now = now } }

// WithMaxBody sets the largest request body read (DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(h *handler) { h.maxBody = n } }

// WithBadTokenLimit lets each client send burst requests with a bad or
// missing token, and one more per every, before answering 429
// (DefaultBadTokenBurst, DefaultBadTokenEvery).
func WithBadTokenLimit(every time.Duration, burst int) Option {
	return func(h *handler) { h.limit = newBadTokens(every, burst) }
}

// WithClientIP sets how a request's client is named for the bad-token
// limit (RemoteIP): behind a trusted reverse proxy, read its header.
func WithClientIP(f func(*http.Request) string) Option { return func(h *handler) { h.clientIP = f } }

// WithPrivateWebhooks lets subscribers name an internal receiver
// (loopback, private, link-local: webhook.Internal) by its address; the
// page's spec.page.webhooks.allowPrivate. Without it such a subscription is
// refused (400); the Worker refuses internal addresses at each delivery
// the same way unless its AllowPrivate is set.
func WithPrivateWebhooks(allow bool) Option { return func(h *handler) { h.allowPrivate = allow } }

// WithTokenCache sets how long the copy of the tokens is trusted, and how
// often at most an unknown token reads them again (DefaultTokenMaxAge,
// DefaultTokenMinRefresh).
func WithTokenCache(maxAge, minRefresh time.Duration) Option {
	return func(h *handler) { h.tokenMaxAge, h.tokenMinRefresh = maxAge, minRefresh }
}

// handler is the admin API; see New.
type handler struct {
	svc      *incident.Service
	store    incident.Store
	log      *slog.Logger
	now      func() time.Time
	maxBody  int64
	clientIP func(*http.Request) string
	limit    *badTokens
	tokens   *tokens
	mux      *http.ServeMux
	// allowPrivate accepts subscribers at internal addresses.
	allowPrivate bool

	tokenMaxAge, tokenMinRefresh time.Duration
}

// New returns the admin API: the writes of the status page, through svc,
// and its tokens and webhook subscribers, in store (svc's store). Mount it
// at Prefix:
//
//	POST   /api/admin/incidents                           OpenRequest → 201 Incident ("draft": true: off the public side)
//	GET    /api/admin/incidents/{id}                      → Incident (drafts too, with the postmortem draft)
//	POST   /api/admin/incidents/{id}/publish              (no body) → Incident (a draft made public; 409 if not a draft)
//	POST   /api/admin/incidents/{id}/updates              UpdateRequest → Incident
//	POST   /api/admin/incidents/{id}/resolve              ResolveRequest → Incident
//	PUT    /api/admin/incidents/{id}/postmortem           PostmortemRequest → Incident
//	POST   /api/admin/incidents/{id}/postmortem/publish   (no body) → Incident
//	PUT    /api/admin/components/{id}                     ComponentRequest → Component
//	POST   /api/admin/maintenances                        MaintenanceRequest → 201 Incident
//	POST   /api/admin/subscribers                         SubscriberRequest → 201 Subscriber (with its secret)
//	GET    /api/admin/subscribers                         → Subscribers
//	DELETE /api/admin/subscribers/{id}                    → 204
//
// Every request needs "Authorization: Bearer <token>" with a token of the
// store that is not revoked; without one the answer is 401 before the
// path, the method or the body is looked at, so that nothing about what
// exists leaks. A client sending too many bad tokens gets 429 with
// Retry-After, good token or not, until it has waited.
//
// Bodies are JSON (415 otherwise), at most the body limit (413), with no
// unknown field, no field named in another case ("Name" for "name") and
// no field given twice (400 naming it). Errors are ErrorBody with the status of
// their code: 400 invalid, 401 unauthorized, 404 not_found, 405, 409
// conflict, 413, 415, 429, 500 internal ("internal error"; the cause is
// logged), 503 unavailable. Every answer carries security headers.
func New(svc *incident.Service, store incident.Store, opts ...Option) http.Handler {
	h := &handler{svc: svc, store: store, log: slog.Default(), now: time.Now, maxBody: DefaultMaxBody, clientIP: RemoteIP,
		limit: newBadTokens(DefaultBadTokenEvery, DefaultBadTokenBurst), mux: http.NewServeMux(),
		tokenMaxAge: DefaultTokenMaxAge, tokenMinRefresh: DefaultTokenMinRefresh}
	for _, o := range opts {
		o(h)
	}
	h.tokens = newTokens(store, h.now)
	h.tokens.maxAge, h.tokens.minRefresh = h.tokenMaxAge, h.tokenMinRefresh

	h.mux.HandleFunc("POST "+Prefix+"incidents", h.open)
	h.mux.HandleFunc("GET "+Prefix+"incidents/{id}", h.get)
	h.mux.HandleFunc("POST "+Prefix+"incidents/{id}/publish", h.publish)
	h.mux.HandleFunc("POST "+Prefix+"incidents/{id}/updates", h.update)
	h.mux.HandleFunc("POST "+Prefix+"incidents/{id}/resolve", h.resolve)
	h.mux.HandleFunc("PUT "+Prefix+"incidents/{id}/postmortem", h.savePostmortem)
	h.mux.HandleFunc("POST "+Prefix+"incidents/{id}/postmortem/publish", h.publishPostmortem)
	h.mux.HandleFunc("PUT "+Prefix+"components/{id}", h.setComponent)
	h.mux.HandleFunc("POST "+Prefix+"maintenances", h.schedule)
	h.mux.HandleFunc("POST "+Prefix+"subscribers", h.addSubscriber)
	h.mux.HandleFunc("GET "+Prefix+"subscribers", h.subscribers)
	h.mux.HandleFunc("DELETE "+Prefix+"subscribers/{id}", h.removeSubscriber)
	h.mux.HandleFunc("/", h.noRoute)
	return h
}

// ServeHTTP sets the security headers, then refuses a request without a
// valid token (401, or 429 for a client that sent too many bad ones), and
// only then routes. A valid token is never refused by the limiter: behind
// a proxy or a NAT the on-call shares an address with whoever sprays bad
// tokens, and a 256-bit token cannot be guessed anyway.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	client := h.clientIP(r)
	now := h.now()
	secret, ok := bearer(r.Header.Get("Authorization"))
	var tok incident.Token
	if ok {
		var err error
		tok, ok, err = h.tokens.check(r.Context(), secret)
		if err != nil {
			// The store failed: nothing can be said about the token,
			// so it is not counted against the client.
			writeError(w, r, h.log, err)
			return
		}
	}
	if !ok {
		if wait, blocked := h.limit.blocked(client, now); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			writeError(w, r, h.log, &headroom.Error{Code: CodeRateLimited,
				Message: fmt.Sprintf("too many requests with a bad token from %s; retry in %d s", client, retryAfter(wait))})
			return
		}
		h.limit.fail(client, now)
		// Bounded per client by the limit: past it, 429s are not logged.
		h.log.Warn("admin: request without a valid token", "client", client, "method", r.Method, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="headroom admin"`)
		writeError(w, r, h.log, unauthorized)
		return
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.mux.ServeHTTP(sw, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The audit trail: who wrote what.
		h.log.Info("admin: write", "token", tok.Name, "token_id", tok.ID, "method", r.Method, "path", r.URL.Path, "status", sw.status)
	}
}

// statusWriter remembers the status written, for the audit line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// noRoute answers 405 when the path exists with another method, else 404.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, h.log, &headroom.Error{Code: CodeNotAllowed,
			Message: fmt.Sprintf("%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))})
		return
	}
	writeError(w, r, h.log, headroom.Errorf(headroom.ENOTFOUND, "no admin route %s %s", r.Method, r.URL.Path))
}

// writeIncident answers an incident with status.
func (h *handler) writeIncident(w http.ResponseWriter, status int, i *incident.Incident) {
	if status == http.StatusCreated {
		w.Header().Set("Location", Prefix+"incidents/"+url.PathEscape(i.ID))
	}
	writeJSON(w, status, newIncident(h.svc.Snapshot(), i))
}

func (h *handler) open(w http.ResponseWriter, r *http.Request) {
	var req OpenRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	started, err := parseTime("started_at", req.StartedAt)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	display, err := parseTime("display_at", req.DisplayAt)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	inc, err := h.svc.Open(r.Context(), incident.OpenIncident{Name: req.Name, Status: req.Status, Impact: req.Impact, Body: req.Body,
		Components: req.Components, StartedAt: started, DisplayAt: display, Draft: req.Draft})
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusCreated, inc)
}

// find returns the incident or maintenance id, public or draft, as the
// store has it now (another process may have written it).
//
// Errors: ENOTFOUND, the store's.
func (h *handler) find(ctx context.Context, id string) (*incident.Incident, error) {
	if err := h.svc.Refresh(ctx, false); err != nil {
		return nil, err
	}
	snap := h.svc.Snapshot()
	if i := snap.Incident(id); i != nil {
		return i, nil
	}
	if i := snap.Draft(id); i != nil {
		return i, nil
	}
	return nil, headroom.Errorf(headroom.ENOTFOUND, "no incident or maintenance %q", id)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	inc, err := h.find(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

func (h *handler) update(w http.ResponseWriter, r *http.Request) {
	var req UpdateRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	display, err := parseTime("display_at", req.DisplayAt)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	inc, err := h.svc.Update(r.Context(), r.PathValue("id"), incident.PostUpdate{Status: req.Status, Body: req.Body, Impact: req.Impact,
		Components: req.Components, DisplayAt: display})
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

// resolve is an update to resolved, or completed for a maintenance.
func (h *handler) resolve(w http.ResponseWriter, r *http.Request) {
	var req ResolveRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	display, err := parseTime("display_at", req.DisplayAt)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	id := r.PathValue("id")
	cur, err := h.find(r.Context(), id)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	status := incident.Resolved
	if cur.Kind == incident.KindMaintenance {
		status = incident.Completed
	}
	inc, err := h.svc.Update(r.Context(), id, incident.PostUpdate{Status: status, Body: req.Body, Components: req.Components, DisplayAt: display})
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

func (h *handler) savePostmortem(w http.ResponseWriter, r *http.Request) {
	var req PostmortemRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	inc, err := h.svc.SavePostmortem(r.Context(), r.PathValue("id"), req.Body)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

// publish makes a draft incident public.
func (h *handler) publish(w http.ResponseWriter, r *http.Request) {
	// No body, or an empty object: nothing to say but "publish".
	var req struct{}
	if err := decode(w, r, h.maxBody, &req, true); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	inc, err := h.svc.Publish(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

func (h *handler) publishPostmortem(w http.ResponseWriter, r *http.Request) {
	// No body, or an empty object: nothing to say but "publish".
	var req struct{}
	if err := decode(w, r, h.maxBody, &req, true); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	inc, err := h.svc.PublishPostmortem(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusOK, inc)
}

func (h *handler) setComponent(w http.ResponseWriter, r *http.Request) {
	var req ComponentRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	id := r.PathValue("id")
	if err := h.svc.SetComponent(r.Context(), id, req.Status); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	snap := h.svc.Snapshot()
	for _, c := range snap.Components {
		if c.ID == id {
			writeJSON(w, http.StatusOK, incident.ToAPIComponent(snap.Page, c))
			return
		}
	}
	writeError(w, r, h.log, fmt.Errorf("component %q set but not in the snapshot", id))
}

func (h *handler) schedule(w http.ResponseWriter, r *http.Request) {
	var req MaintenanceRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	from, err := parseTime("scheduled_for", req.ScheduledFor)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	until, err := parseTime("scheduled_until", req.ScheduledUntil)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	if from.IsZero() || until.IsZero() {
		writeError(w, r, h.log, headroom.Errorf(headroom.EINVALID, "scheduled_for and scheduled_until: both required, RFC 3339 times such as 2021-06-30T17:00:00Z"))
		return
	}
	inc, err := h.svc.Schedule(r.Context(), incident.ScheduleMaintenance{Name: req.Name, Body: req.Body, ScheduledFor: from, ScheduledUntil: until,
		Components: req.Components, AutoStart: req.AutoStart, AutoComplete: req.AutoComplete})
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	h.writeIncident(w, http.StatusCreated, inc)
}

// Subscriber limits.
const (
	maxURL       = 2048
	minSecret    = 16
	maxSecret    = 256
	secretLength = 32 // random bytes of a made secret
)

func (h *handler) addSubscriber(w http.ResponseWriter, r *http.Request) {
	var req SubscriberRequest
	if err := decode(w, r, h.maxBody, &req, false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	if err := h.svc.Refresh(r.Context(), false); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	if err := checkSubscriber(&req, h.svc.Snapshot().Components); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	if req.Channel != incident.ChannelEmail && !h.allowPrivate && webhook.CheckURL(req.URL) != nil {
		u, _ := url.Parse(req.URL) // checkSubscriber parsed it
		writeError(w, r, h.log, headroom.Errorf(headroom.EINVALID,
			"url: %s is an internal address (loopback, private, link-local or reserved); expected a receiver on the internet (spec.page.webhooks.allowPrivate: true allows one inside the network)",
			u.Hostname()))
		return
	}
	if req.Secret == "" || req.Channel == incident.ChannelEmail {
		// An email subscriber's secret is the token of its links:
		// always made here, never chosen.
		var b [secretLength]byte
		if _, err := rand.Read(b[:]); err != nil {
			writeError(w, r, h.log, err)
			return
		}
		req.Secret = base64.RawURLEncoding.EncodeToString(b[:])
	}
	s := incident.Subscriber{ID: incident.NewID(), Channel: req.Channel, URL: req.URL, Email: req.Email,
		ComponentIDs: slices.Compact(slices.Sorted(slices.Values(req.Components))), Secret: req.Secret, CreatedAt: h.now().UTC()}
	if req.Channel == incident.ChannelEmail && req.SkipConfirmation {
		s.ConfirmedAt = s.CreatedAt
	}
	if err := h.store.AddSubscriber(r.Context(), s); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	v := newSubscriber(&s)
	// Shown once, to who made it: the URL as given and a webhook's
	// secret (an email subscriber's token is the reader's).
	v.URL = s.URL
	if req.Channel == incident.ChannelWebhook {
		v.Secret = s.Secret
	}
	w.Header().Set("Location", Prefix+"subscribers/"+url.PathEscape(s.ID))
	writeJSON(w, http.StatusCreated, v)
}

// checkSubscriber validates a subscription against the page's
// components; it sets an omitted channel to webhook and an email
// address to its addr-spec.
func checkSubscriber(req *SubscriberRequest, components []incident.Component) error {
	if req.Channel == "" {
		req.Channel = incident.ChannelWebhook
	}
	if !slices.Contains(incident.Channels, req.Channel) {
		return headroom.Errorf(headroom.EINVALID, "channel: got %q, expected one of %v", req.Channel, incident.Channels)
	}
	if req.Channel == incident.ChannelEmail {
		addr, err := mail.ParseAddress(req.Email)
		switch {
		case req.URL != "" || req.Secret != "":
			return headroom.Errorf(headroom.EINVALID, "url, secret: an email subscriber has neither; expected email only")
		case err != nil:
			return headroom.Errorf(headroom.EINVALID, "email: got %q, expected an email address such as ops@example.com", req.Email)
		}
		req.Email = addr.Address
		return checkComponents(req, components)
	}
	if req.Email != "" || req.SkipConfirmation {
		return headroom.Errorf(headroom.EINVALID, "email, skip_confirmation: only for channel email; expected url")
	}
	u, err := url.Parse(req.URL)
	switch {
	case req.URL == "":
		return headroom.Errorf(headroom.EINVALID, "url: required, the http(s) address that receives the notifications")
	case len(req.URL) > maxURL:
		return headroom.Errorf(headroom.EINVALID, "url: %d characters, expected at most %d", len(req.URL), maxURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return headroom.Errorf(headroom.EINVALID, "url: got %q, expected an absolute http:// or https:// URL", req.URL)
	}
	if n := len(req.Secret); n != 0 && (n < minSecret || n > maxSecret) {
		return headroom.Errorf(headroom.EINVALID, "secret: %d characters, expected %d to %d (or none, and one is made)", n, minSecret, maxSecret)
	}
	return checkComponents(req, components)
}

// checkComponents refuses a component the page does not have.
func checkComponents(req *SubscriberRequest, components []incident.Component) error {
	var known []string
	for _, c := range components {
		known = append(known, c.ID)
	}
	for _, id := range req.Components {
		if !slices.Contains(known, id) {
			return headroom.Errorf(headroom.EINVALID, "components: no component %q (components: %s)", id, strings.Join(known, ", "))
		}
	}
	return nil
}

func (h *handler) subscribers(w http.ResponseWriter, r *http.Request) {
	subs, err := h.store.Subscribers(r.Context())
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	out := Subscribers{Subscribers: make([]Subscriber, len(subs))}
	for i := range subs {
		out.Subscribers[i] = newSubscriber(&subs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) removeSubscriber(w http.ResponseWriter, r *http.Request) {
	if err := h.store.RemoveSubscriber(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
