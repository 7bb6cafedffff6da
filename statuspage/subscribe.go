package statuspage

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

//go:embed page/page.html.tmpl page/subscribe.html.tmpl
var subscribeFiles embed.FS

// subscribeTemplates are the subscription pages' templates, with the
// page's head and foot, for each language by tag (as pageTemplates, and
// made when first needed as they are).
var subscribeTemplates = sync.OnceValue(func() map[string]*template.Template {
	return languageTemplates(template.Must(template.New("subscribe").Funcs(textFuncs(mustLookup(""))).
		ParseFS(subscribeFiles, "page/page.html.tmpl", "page/subscribe.html.tmpl")))
})

// subscribeCSP is the Content-Security-Policy of the subscription pages:
// the page's, but their forms may post to the page itself.
const subscribeCSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Paths of the subscription pages. The confirm and unsubscribe links of
// mails (statuspage/email) open them with ?token=.
const (
	SubscribePath   = "/subscribe"
	ConfirmPath     = "/subscribe/confirm"
	UnsubscribePath = "/unsubscribe"
)

// Defaults of the limits on POST /subscribe, each of which sends a mail.
const (
	// DefaultSubscribeEvery is how often one client may subscribe an
	// address, after a burst of DefaultSubscribeBurst.
	DefaultSubscribeEvery = time.Minute
	DefaultSubscribeBurst = 5
	// DefaultSubscribeGlobalEvery bounds the confirmation mails of all
	// clients together: one per this, after a burst of
	// DefaultSubscribeGlobalBurst, so that a crowd of addresses cannot
	// make the page a mail cannon.
	DefaultSubscribeGlobalEvery = time.Second
	DefaultSubscribeGlobalBurst = 60
	// DefaultResendAfter is the least time between two confirmation
	// mails to one address; DefaultPendingFor how long a subscription
	// waits for its confirmation before it is removed.
	DefaultResendAfter = time.Hour
	DefaultPendingFor  = 7 * 24 * time.Hour
)

// maxForm is the most of a form's body read: an address and some
// component IDs.
const maxForm = 64 << 10

// Subscriptions serves the status page's subscription pages and their
// forms in front of the page's Handler (Next), which answers every other
// request:
//
//	GET  /subscribe                 the form: an address, components
//	POST /subscribe                 adds a pending email subscriber (its
//	                                confirmation mail queued with it) and
//	                                answers "check your inbox"
//	GET  /subscribe/confirm?token=  a Confirm button
//	POST /subscribe/confirm?token=  confirms the subscription
//	GET  /unsubscribe?token=        an Unsubscribe button
//	POST /unsubscribe?token=        unsubscribes; also RFC 8058's one-click
//	                                POST from mail clients
//
// Every page, the answers to the POSTs included, is rendered by Publish,
// once per snapshot, and served by lookup. POST /subscribe answers the
// same whether the address was subscribed already or not, and is limited
// per client and overall (429 beyond).
//
// Confirm and unsubscribe are buttons, not GETs that act: mail scanners
// and link previews open links, and must neither confirm an address nor
// unsubscribe it.
type Subscriptions struct {
	// Next is the status page.
	Next *Handler
	// Store keeps the subscribers.
	Store incident.Store
	// Enabled is whether the page sends mail (an SMTP server is
	// configured): without it the form says so and POST /subscribe is 404.
	Enabled bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives store failures; slog.Default when nil.
	Logger *slog.Logger
	// ClientIP names a request's client for the per-client limit; the
	// connection's address when nil (set it behind a reverse proxy).
	ClientIP func(*http.Request) string
	// Every and Burst are one client's limit; GlobalEvery and GlobalBurst
	// everyone's. Zero values take the defaults.
	Every, GlobalEvery time.Duration
	Burst, GlobalBurst int
	// ResendAfter and PendingFor: see their defaults.
	ResendAfter, PendingFor time.Duration

	mu      sync.Mutex // one Publish at a time; guards the limiters
	pages   atomic.Pointer[subscribePages]
	global  *rate.Limiter
	clients map[string]*rate.Limiter
	swept   time.Time
	// adding is held from reading the pending subscriptions to adding
	// one, so that clients asking at once for one address do not each
	// see none pending and each mail it (the global limit keeps the wait
	// short). Replicas serving one page each hold their own.
	adding sync.Mutex
}

var _ http.Handler = (*Subscriptions)(nil)

// subscribePages are the subscription pages of one snapshot.
type subscribePages struct {
	version int64
	key     string
	// components are the page's component IDs, which a form may name.
	components map[string]bool
	// cacheControl is the GET answers' Cache-Control: the page's.
	cacheControl                              []string
	form, invalid, sent                       *entry
	confirm, confirmed, confirmBad            *entry
	unsubscribe, unsubscribed, unsubscribeBad *entry
}

// Publish publishes snap on Next and renders the subscription pages of it:
// it is the Service's OnSnapshot in Next's place. Pages whose inputs (the
// page's name, its components) did not change are kept.
func (s *Subscriptions) Publish(snap *incident.Snapshot) {
	s.Next.Publish(snap)
	if snap == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.pages.Load()
	if old != nil && snap.Version < old.version {
		return
	}
	key, err := contextKey(snap)
	if err != nil {
		s.logger().Error("status page: subscription pages", "err", err)
		return
	}
	if old != nil && old.key == key {
		if old.version != snap.Version {
			next := *old
			next.version = snap.Version
			s.pages.Store(&next)
		}
		return
	}
	p, err := s.render(snap, key)
	if err != nil {
		// A template failing is a bug: keep the last good pages.
		s.logger().Error("status page: subscription pages", "version", snap.Version, "err", err)
		return
	}
	s.pages.Store(p)
}

// subscribeView is the form.
type subscribeView struct {
	base
	Enabled, Invalid bool
	Components       []incident.Component
}

// messageView is a page with a sentence and, maybe, a button.
type messageView struct {
	base
	Heading, Message, Button string
}

func (s *Subscriptions) render(snap *incident.Snapshot, key string) (*subscribePages, error) {
	lang := s.Next.language()
	tmpl := subscribeTemplates()[lang.Lang]
	name := snap.Page.Name
	if name == "" {
		name = lang.T("page.default_name")
	}
	// root is "./" for a page at /x, "../" for one at /x/y.
	b := func(title, root string) base {
		return base{Title: lang.T("page.title_sub", name, title), PageName: name, Root: root, Stylesheet: root + stylesheetURL(), Lang: lang.Lang}
	}
	var err error
	page := func(name string, data any) *entry {
		var buf bytes.Buffer
		if e := tmpl.ExecuteTemplate(&buf, name, data); e != nil && err == nil {
			err = fmt.Errorf("template %s: %w", name, e)
		}
		return newEntry(doc{body: buf.Bytes(), contentType: typeHTML}, nil)
	}
	// msg is a page of a heading, a sentence and maybe a button; keys
	// name the catalog's messages, button "" for none.
	msg := func(root, heading, message, button string) *entry {
		v := messageView{base: b(lang.T(heading), root), Heading: lang.T(heading), Message: lang.T(message, name)}
		if button != "" {
			v.Button = lang.T(button)
		}
		return page("sub-message", v)
	}
	comps := slices.Clone(snap.Components)
	slices.SortStableFunc(comps, func(a, b incident.Component) int { return a.Position - b.Position })
	form := subscribeView{base: b(lang.T("subscribe.title"), "./"), Enabled: s.Enabled, Components: comps}
	invalid := form
	invalid.Invalid = true
	p := &subscribePages{
		version:        snap.Version,
		key:            key,
		components:     map[string]bool{},
		cacheControl:   []string{s.Next.CacheControl},
		form:           page("subscribe", form),
		invalid:        page("subscribe", invalid),
		sent:           msg("./", "subscribe.sent_title", "subscribe.sent", ""),
		confirm:        msg("../", "subscribe.confirm_title", "subscribe.confirm", "subscribe.confirm_button"),
		confirmed:      msg("../", "subscribe.confirmed_title", "subscribe.confirmed", ""),
		confirmBad:     msg("../", "subscribe.bad_link_title", "subscribe.bad_link", ""),
		unsubscribe:    msg("./", "unsubscribe.title", "unsubscribe.text", "unsubscribe.button"),
		unsubscribed:   msg("./", "unsubscribed.title", "unsubscribed.text", ""),
		unsubscribeBad: msg("./", "subscribe.bad_link_title", "subscribe.bad_link", ""),
	}
	for _, c := range comps {
		p.components[c.ID] = true
	}
	return p, err
}

// ServeHTTP answers the subscription paths and passes the rest to Next.
func (s *Subscriptions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	// A page with private parts has no email sign-up: its form and mails
	// are not split by audience (docs/STATUSPAGE.md, "Private pages").
	if path != SubscribePath && path != ConfirmPath && path != UnsubscribePath || s.Next.Access.splits() {
		s.Next.ServeHTTP(w, r)
		return
	}
	p := s.pages.Load()
	if p == nil {
		// Not published yet: Next answers 503.
		s.Next.ServeHTTP(w, r)
		return
	}
	hdr := w.Header()
	hdr["Content-Security-Policy"] = headerSubscribeCSP
	hdr["X-Content-Type-Options"] = headerNosniff
	hdr["X-Frame-Options"] = headerDeny
	// The links carry tokens: no Referer names them to anyone.
	hdr["Referrer-Policy"] = headerReferrer
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		e := p.form
		switch path {
		case ConfirmPath:
			e = p.confirm
		case UnsubscribePath:
			e = p.unsubscribe
		}
		s.answer(w, r, e, http.StatusOK, true)
	case http.MethodPost:
		switch path {
		case SubscribePath:
			s.subscribe(w, r, p)
		case ConfirmPath:
			s.confirm(w, r, p)
		default:
			s.unsubscribe(w, r, p)
		}
	default:
		hdr["Allow"] = headerAllowPost
		plain(w, r, http.StatusMethodNotAllowed, bodyPostNotAllowed, lengthPostNotAllowed)
	}
}

var (
	headerSubscribeCSP   = []string{subscribeCSP}
	headerDeny           = []string{"DENY"}
	headerAllowPost      = []string{"GET, HEAD, POST"}
	bodyPostNotAllowed   = []byte("Method not allowed: use GET to read this page, POST to send its form.\n")
	lengthPostNotAllowed = []string{strconv.Itoa(len(bodyPostNotAllowed))}
	bodyTooMany          = []byte("Too many subscriptions from here: try again later.\n")
	lengthTooMany        = []string{strconv.Itoa(len(bodyTooMany))}
	bodyUnavailable      = []byte("The status page cannot take this now: try again in a minute.\n")
	lengthUnavailable    = []string{strconv.Itoa(len(bodyUnavailable))}
)

// answer writes a pre-rendered page. The answers to POSTs are not cached.
func (s *Subscriptions) answer(w http.ResponseWriter, r *http.Request, e *entry, status int, cacheable bool) {
	hdr := w.Header()
	if cacheable {
		hdr["Cache-Control"] = s.pages.Load().cacheControl
		hdr["Etag"] = e.tag()
		if status == http.StatusOK && noneMatch(r.Header["If-None-Match"], e.tag()[0]) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else {
		hdr["Cache-Control"] = headerNoStore
	}
	body, length := e.bytes()
	hdr["Content-Type"] = e.contentType
	hdr["Content-Length"] = length
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body) // the client went away: nothing to do
	}
}

// subscribe adds a pending email subscriber of the form's address and
// components; its confirmation mail is queued with it.
func (s *Subscriptions) subscribe(w http.ResponseWriter, r *http.Request, p *subscribePages) {
	if !s.Enabled {
		s.answer(w, r, p.form, http.StatusNotFound, false)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.answer(w, r, p.invalid, http.StatusBadRequest, false)
		return
	}
	addr, err := mail.ParseAddress(r.PostForm.Get("email"))
	if err != nil || !mailbox(addr.Address) {
		s.answer(w, r, p.invalid, http.StatusBadRequest, false)
		return
	}
	if wait, ok := s.allow(s.clientIP(r)); !ok {
		w.Header()["Retry-After"] = []string{strconv.Itoa(max(1, int(wait.Seconds()+0.999)))}
		w.Header()["Cache-Control"] = headerNoStore
		plain(w, r, http.StatusTooManyRequests, bodyTooMany, lengthTooMany)
		return
	}
	// Only the page's components count; all of them (or none) is every
	// component, later ones too.
	var ids []string
	known := p.components
	for _, id := range r.PostForm["component"] {
		if known[id] && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == len(known) {
		ids = nil
	}
	if err := s.addPending(r.Context(), addr.Address, ids); err != nil {
		s.logger().Error("status page: subscribe", "err", err)
		s.unavailable(w, r)
		return
	}
	// The same answer whether the address was subscribed already or
	// not: the form tells nobody who reads the page's mail.
	s.answer(w, r, p.sent, http.StatusOK, false)
}

// addPending adds a pending subscriber of addr to ids, its confirmation
// mail queued with it, unless one went to addr less than ResendAfter ago.
// It holds s.adding from reading the pending subscriptions to adding one.
func (s *Subscriptions) addPending(ctx context.Context, addr string, ids []string) error {
	s.adding.Lock()
	defer s.adding.Unlock()
	resend, err := s.tidyPending(ctx, addr)
	if err != nil || !resend {
		return err
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	return s.Store.AddSubscriber(ctx, incident.Subscriber{ID: incident.NewID(), Channel: incident.ChannelEmail,
		Email: addr, ComponentIDs: ids, Secret: token, CreatedAt: s.now()})
}

// maxAddress is the longest address SMTP carries (RFC 5321 section
// 4.5.3.1.3: a path of 256 octets with its angle brackets).
const maxAddress = 254

// mailbox says whether addr, which net/mail parsed, is one the form takes:
// at a domain name with a dot, not a host literal ([10.0.0.5]) or a bare
// host name (localhost), so that an anonymous client cannot have the
// page's SMTP server deliver to a host of its choosing, internal ones
// included; and no longer than SMTP allows.
func mailbox(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || len(addr) > maxAddress {
		return false
	}
	domain := addr[at+1:]
	return !strings.HasPrefix(domain, "[") && strings.Contains(strings.Trim(domain, "."), ".")
}

// tidyPending removes the pending subscriptions older than PendingFor
// (their links were never followed), and says whether addr may get a new
// confirmation mail: not when one went to it less than ResendAfter ago,
// so that the form cannot flood someone's inbox, whatever the number of
// clients asking.
func (s *Subscriptions) tidyPending(ctx context.Context, addr string) (bool, error) {
	subs, err := s.Store.Subscribers(ctx)
	if err != nil {
		return false, err
	}
	now := s.now()
	resend := true
	for _, sub := range subs {
		if !sub.Pending() {
			continue
		}
		age := now.Sub(sub.CreatedAt)
		switch {
		case age > orDefault(s.PendingFor, DefaultPendingFor):
			if err := s.Store.RemoveSubscriber(ctx, sub.ID); err != nil && headroom.ErrorCode(err) != headroom.ENOTFOUND {
				return false, err
			}
		case strings.EqualFold(sub.Email, addr) && age < orDefault(s.ResendAfter, DefaultResendAfter):
			// Case-insensitive: a domain is, and nearly every mailbox
			// is, so each case variant would reach the same inbox.
			resend = false
		}
	}
	return resend, nil
}

// confirm confirms the subscriber of the link's token, and ends the
// address's other subscriptions: subscribing again replaces the
// components chosen before.
func (s *Subscriptions) confirm(w http.ResponseWriter, r *http.Request, p *subscribePages) {
	sub, err := s.byToken(r.Context(), r.URL.Query().Get("token"))
	switch {
	case err != nil:
		s.logger().Error("status page: confirm a subscription", "err", err)
		s.unavailable(w, r)
		return
	case sub == nil,
		// Expired, but not removed yet (tidyPending runs on POST
		// /subscribe): as good as removed.
		sub.Pending() && s.now().Sub(sub.CreatedAt) > orDefault(s.PendingFor, DefaultPendingFor):
		s.answer(w, r, p.confirmBad, http.StatusNotFound, false)
		return
	}
	if err := s.Store.ConfirmSubscriber(r.Context(), sub.ID, s.now()); err != nil && headroom.ErrorCode(err) != headroom.ENOTFOUND {
		s.logger().Error("status page: confirm a subscription", "subscriber", sub.ID, "err", err)
		s.unavailable(w, r)
		return
	}
	// The address's other subscriptions, in any case: read whole, as
	// they are found by no index, once per confirmation that succeeds.
	all, err := s.Store.Subscribers(r.Context())
	if err != nil {
		s.logger().Error("status page: end the replaced subscriptions", "subscriber", sub.ID, "err", err)
	}
	for _, other := range all {
		if other.ID != sub.ID && other.Channel == incident.ChannelEmail && strings.EqualFold(other.Email, sub.Email) {
			if err := s.Store.RemoveSubscriber(r.Context(), other.ID); err != nil && headroom.ErrorCode(err) != headroom.ENOTFOUND {
				s.logger().Error("status page: end a replaced subscription", "subscriber", other.ID, "err", err)
			}
		}
	}
	s.answer(w, r, p.confirmed, http.StatusOK, false)
}

// unsubscribe removes the subscriber of the link's token: the page's
// button, or a mail client's one-click POST (RFC 8058 section 3.2: the
// body is "List-Unsubscribe=One-Click", the token is in the URL).
func (s *Subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request, p *subscribePages) {
	sub, err := s.byToken(r.Context(), r.URL.Query().Get("token"))
	if err == nil && sub != nil {
		err = s.Store.RemoveSubscriber(r.Context(), sub.ID)
		if headroom.ErrorCode(err) == headroom.ENOTFOUND {
			err = nil // removed meanwhile: the same outcome
		}
	}
	switch {
	case err != nil:
		s.logger().Error("status page: unsubscribe", "err", err)
		s.unavailable(w, r)
	case sub == nil:
		s.answer(w, r, p.unsubscribeBad, http.StatusNotFound, false)
	default:
		s.answer(w, r, p.unsubscribed, http.StatusOK, false)
	}
}

// byToken finds the email subscriber whose token is token through the
// store's index of the tokens' hashes; nil when none has it.
func (s *Subscriptions) byToken(ctx context.Context, token string) (*incident.Subscriber, error) {
	if token == "" {
		return nil, nil
	}
	sub, err := s.Store.SubscriberByToken(ctx, token)
	switch {
	case headroom.ErrorCode(err) == headroom.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sub, nil
}

func (s *Subscriptions) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header()["Retry-After"] = []string{"60"}
	w.Header()["Cache-Control"] = headerNoStore
	plain(w, r, http.StatusServiceUnavailable, bodyUnavailable, lengthUnavailable)
}

// allow takes one subscription from client's allowance and everyone's;
// when either is spent it says how long to wait.
func (s *Subscriptions) allow(client string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.global == nil {
		s.global = rate.NewLimiter(rate.Every(orDefault(s.GlobalEvery, DefaultSubscribeGlobalEvery)), orDefault(s.GlobalBurst, DefaultSubscribeGlobalBurst))
		s.clients = map[string]*rate.Limiter{}
	}
	every, burst := orDefault(s.Every, DefaultSubscribeEvery), orDefault(s.Burst, DefaultSubscribeBurst)
	if now.Sub(s.swept) >= time.Minute {
		// Forget the clients back to a full allowance: the map does not
		// grow with every address seen.
		for c, l := range s.clients {
			if l.TokensAt(now) >= float64(burst) {
				delete(s.clients, c)
			}
		}
		s.swept = now
	}
	lim := s.clients[client]
	if lim == nil {
		lim = rate.NewLimiter(rate.Every(every), burst)
		s.clients[client] = lim
	}
	if lim.TokensAt(now) < 1 {
		return time.Duration((1 - lim.TokensAt(now)) * float64(every)), false
	}
	if !s.global.AllowN(now, 1) {
		return orDefault(s.GlobalEvery, DefaultSubscribeGlobalEvery), false
	}
	lim.AllowN(now, 1)
	return 0, true
}

// orDefault is v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Subscriptions) clientIP(r *http.Request) string {
	if s.ClientIP != nil {
		return s.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Subscriptions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Subscriptions) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// newToken is an email subscriber's secret: 256 random bits, URL-safe.
func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
