package statuspage

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// Access says who reads what on a page with private parts, as
// Statuspage's private and audience-specific pages do
// (https://support.atlassian.com/statuspage/docs/what-is-a-private-page/,
// https://support.atlassian.com/statuspage/docs/what-is-an-audience-specific-page/).
// Readers let in (the private audience) see everything; the others (the
// public audience) see the page without its private components, or, on a
// private page, only that it is private. The zero value lets everyone see
// everything.
type Access struct {
	// Private makes the whole page private: every page, JSON document
	// and feed answers the public audience 401 and says nothing else.
	Private bool
	// PrivateComponents are the IDs of the components only the private
	// audience sees, with the incidents that affect nothing else.
	PrivateComponents []string
	// TokenHashes are the SHA-256 sums of the viewer tokens (see
	// HashViewerToken): a reader presenting one is let in.
	TokenHashes [][]byte
	// ProxyHeader names the header a trusted reverse proxy sets to the
	// user it authenticated (DefaultProxyHeader); a request carrying it
	// from an address in TrustedProxies is let in. From any other
	// address the header is ignored: anyone can send it.
	ProxyHeader    string
	TrustedProxies []netip.Prefix
	// HTTPS says the page is read over https (spec.page.url): its viewer
	// cookie is Secure whatever the request says, as serve sits behind a
	// TLS terminator and never sees TLS itself.
	HTTPS bool
}

// DefaultProxyHeader is the header trusted proxies name the user in:
// oauth2-proxy's and nginx auth_request setups' usual one.
const DefaultProxyHeader = "X-Forwarded-User"

// ViewerCookie holds a viewer token given once as ?token=: HttpOnly, so
// no script can read it, SameSite=Lax, so other sites' requests do not
// carry it, Secure on an https page or when the request came over TLS.
const ViewerCookie = "headroom_viewer"

// viewerCookieMaxAge is how long a browser keeps the viewer cookie.
const viewerCookieMaxAge = 30 * 24 * time.Hour

// HashViewerToken is what the configuration keeps of a viewer token: its
// SHA-256. Viewer tokens are long random strings, so a fast hash is
// enough, as for the admin tokens.
func HashViewerToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ViewerTokenPrefix starts the viewer tokens NewViewerToken makes, so that
// one pasted in the wrong place is recognized (and told from an admin
// token, "hr_").
const ViewerTokenPrefix = "hrv_"

// NewViewerToken makes a viewer token of 256 random bits and returns it
// with its SHA-256, what headroom.yaml keeps.
func NewViewerToken() (token string, sum []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("new viewer token: %w", err)
	}
	token = ViewerTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashViewerToken(token), nil
}

// splits says whether the page has two audiences.
func (a *Access) splits() bool { return a.Private || len(a.PrivateComponents) > 0 }

// knows says whether token is a viewer token: its hash is compared with
// every one, in constant time and without stopping at a match, so the
// time taken tells nothing about which hash, or which prefix, was close.
func (a *Access) knows(token string) bool {
	if token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	found := 0
	for _, h := range a.TokenHashes {
		found |= subtle.ConstantTimeCompare(sum[:], h)
	}
	return found == 1
}

// trusted says whether r comes from a trusted proxy.
func (a *Access) trusted(r *http.Request) bool {
	if len(a.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return inPrefixes(ap.Addr(), a.TrustedProxies)
}

// letIn says whether r is of the private audience: a viewer token in the
// cookie or as a bearer token, or a user named by a trusted proxy.
func (a *Access) letIn(r *http.Request) bool {
	if token, ok := bearer(r.Header.Get("Authorization")); ok && a.knows(token) {
		return true
	}
	if c, err := r.Cookie(ViewerCookie); err == nil && (a.knows(c.Value) || a.knows(tokenOfCookie(c.Value))) {
		return true
	}
	header := a.ProxyHeader
	if header == "" {
		header = DefaultProxyHeader
	}
	return r.Header.Get(header) != "" && a.trusted(r)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// vary is the Vary header of every answer of a page with two audiences:
// a shared cache keeps one answer per audience's credentials, so it never
// gives a private answer to the public, nor the public one to a reader
// let in.
func (a *Access) vary() []string {
	header := a.ProxyHeader
	if header == "" {
		header = DefaultProxyHeader
	}
	return []string{"Accept-Encoding, Authorization, Cookie, " + http.CanonicalHeaderKey(header)}
}

// varyHeader returns a.vary(), made once.
func (h *Handler) varyHeader() []string {
	if v := h.vary.Load(); v != nil {
		return *v
	}
	v := h.Access.vary()
	h.vary.Store(&v)
	return v
}

// Header values of the answers to the private audience.
var (
	// headerPrivateCache keeps a private answer out of shared caches
	// (RFC 9111 section 5.2.2.7); the reader's browser may keep it as
	// long as a public one.
	headerPrivateCache = []string{"private, max-age=10"}
	headerNoCache      = []string{"no-store"}
)

// serveSplit serves a page with two audiences: the private site to a
// reader let in, the public one (or the private notice) to others.
func (h *Handler) serveSplit(w http.ResponseWriter, r *http.Request) {
	a := &h.Access
	hdr := w.Header()
	if strings.Contains(r.URL.RawQuery, "token=") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if token := r.URL.Query().Get("token"); a.knows(token) {
			h.setViewerCookie(w, r, token)
			return
		}
	}
	vary := h.varyHeader()
	if a.letIn(r) {
		if p := h.private.Load(); p != nil {
			p.serve(w, r, headerPrivateCache, vary)
			return
		}
		h.serve(w, r, headerPrivateCache, vary) // before the first Publish: 503
		return
	}
	if !a.Private {
		h.serve(w, r, nil, vary)
		return
	}
	n := h.notice.Load()
	if n == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		h.serve(w, r, headerNoCache, vary) // 503 or 405, as any page
		return
	}
	hdr["Content-Security-Policy"] = headerCSP
	hdr["X-Content-Type-Options"] = headerNosniff
	hdr["Cache-Control"] = headerNoCache
	hdr["Vary"] = vary
	hdr["Www-Authenticate"] = n.challenge
	e := n.html
	if path := r.URL.Path; path == "/"+stylesheetURL() {
		// The stylesheet is no one's data.
		h.private.Load().serve(w, r, nil, vary)
		return
	} else if strings.HasPrefix(path, "/api/") {
		e = n.json
		hdr["Access-Control-Allow-Origin"] = headerAnyOrigin
	} else {
		hdr["Referrer-Policy"] = headerReferrer
	}
	body, length := e.bytes()
	hdr["Content-Type"] = e.contentType
	hdr["Content-Length"] = length
	w.WriteHeader(http.StatusUnauthorized)
	if r.Method != http.MethodHead {
		w.Write(body) // the client went away: nothing to do
	}
}

// encodedCookie starts a viewer cookie that holds its token in base64url
// (cookieOfToken).
const encodedCookie = "b64~"

// cookieOfToken is the viewer cookie's value for token: the token as it is
// when it is cookie-octets only (RFC 6265 section 4.1.1), else
// encodedCookie and its base64url. net/http drops any other byte from a
// cookie's value (a ";", a '"', a "\\", non-ASCII) and quotes one with a
// space or a comma, which browsers keep differently: such a cookie would
// no longer match its hash. Tokens made by NewViewerToken are kept as
// they are.
// https://www.rfc-editor.org/rfc/rfc6265#section-4.1.1
func cookieOfToken(token string) string {
	for i := 0; i < len(token); i++ {
		if !cookieOctet(token[i]) {
			return encodedCookie + base64.RawURLEncoding.EncodeToString([]byte(token))
		}
	}
	return token
}

// tokenOfCookie is the token of a viewer cookie cookieOfToken encoded, ""
// for any other value: a token that a cookie carries as it is has that
// one cookie value only.
func tokenOfCookie(value string) string {
	rest, ok := strings.CutPrefix(value, encodedCookie)
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || cookieOfToken(string(b)) != value {
		return ""
	}
	return string(b)
}

// cookieOctet is RFC 6265's cookie-octet: US-ASCII without controls,
// space, '"', ",", ";" and "\\".
func cookieOctet(b byte) bool {
	return b > 0x20 && b < 0x7f && b != '"' && b != ',' && b != ';' && b != '\\'
}

// setViewerCookie keeps a viewer token given as ?token= in a cookie and
// sends the reader to the same address without it: the token leaves the
// address bar, the history and any link shared from there.
func (h *Handler) setViewerCookie(w http.ResponseWriter, r *http.Request, token string) {
	secure := h.Access.HTTPS || r.TLS != nil || (h.Access.trusted(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
	http.SetCookie(w, &http.Cookie{Name: ViewerCookie, Value: cookieOfToken(token), Path: "/", MaxAge: int(viewerCookieMaxAge / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	query := r.URL.Query()
	query.Del("token")
	// A relative reference to the same document, so that the page
	// works mounted under a prefix: "./" for a directory, "./name"
	// otherwise ("./" keeps a name with a colon from reading as a
	// scheme).
	path := r.URL.Path
	location := "./" + url.PathEscape(path[strings.LastIndexByte(path, '/')+1:])
	if q := query.Encode(); q != "" {
		location += "?" + q
	}
	hdr := w.Header()
	hdr["Location"] = []string{location}
	hdr["Cache-Control"] = headerNoCache
	hdr["Referrer-Policy"] = headerReferrer
	w.WriteHeader(http.StatusSeeOther)
}

// notice is what a private page answers the public audience.
type notice struct {
	html, json *entry
	challenge  []string
}

// noticeTemplate is the page a private page shows the public audience:
// its name, that it is private, and how to get in; nothing it holds.
var noticeTemplate = template.Must(template.New("private").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.}} Status - Private page</title>
</head>
<body>
<main>
<h1>{{.}} Status</h1>
<p>This status page is private.</p>
<p>Open the link with the viewer token you were given, or sign in through your organisation's single sign-on, then come back to this address.</p>
</main>
</body>
</html>
`))

// newNotice renders the notice of a private page named name.
func newNotice(name string) (*notice, error) {
	if name == "" {
		name = "Service"
	}
	var buf bytes.Buffer
	if err := noticeTemplate.Execute(&buf, name); err != nil {
		return nil, err
	}
	body, err := encodeJSON(struct {
		Error string `json:"error"`
	}{"This status page is private: send a viewer token as Authorization: Bearer <token>."})
	if err != nil {
		return nil, err
	}
	realm := strings.NewReplacer(`"`, "", `\`, "").Replace(name)
	return &notice{html: newEntry(doc{body: buf.Bytes(), contentType: typeHTML}, nil),
		json:      newEntry(doc{body: body, contentType: typeJSON, cors: true}, nil),
		challenge: []string{`Bearer realm="` + realm + ` status page"`}}, nil
}

// publicView is what the public audience sees of s: no private component,
// no incident affecting only private ones, and in the others neither the
// private components nor the updates' changes to them; the page's state
// and time computed from what is left. s is not changed: what needs no
// change is shared.
func publicView(s *incident.Snapshot, private []string) *incident.Snapshot {
	hidden := func(id string) bool { return slices.Contains(private, id) }
	p := *s
	p.Components = nil
	p.Uptime = map[string]incident.Uptime{}
	p.Drafts = nil
	p.UpdatedAt = time.Time{}
	shownGroups := map[string]bool{}
	hiddenGroups := map[string]bool{}
	for _, c := range s.Components {
		if hidden(c.ID) {
			hiddenGroups[c.GroupID] = true
			continue
		}
		shownGroups[c.GroupID] = true
		p.Components = append(p.Components, c)
		if u, ok := s.Uptime[c.ID]; ok {
			p.Uptime[c.ID] = u
		}
		if c.UpdatedAt.After(p.UpdatedAt) {
			p.UpdatedAt = c.UpdatedAt
		}
	}
	// A group all of whose components are private is private too.
	p.Groups = nil
	for _, g := range s.Groups {
		if shownGroups[g.ID] || !hiddenGroups[g.ID] {
			p.Groups = append(p.Groups, g)
		}
	}
	p.Incidents = nil
	for i := range s.Incidents {
		inc := &s.Incidents[i]
		touches := slices.ContainsFunc(inc.ComponentIDs, hidden)
		for _, u := range inc.Updates {
			touches = touches || slices.ContainsFunc(u.Affected, func(a incident.Affected) bool { return hidden(a.ComponentID) })
		}
		if !touches {
			p.Incidents = append(p.Incidents, *inc)
		} else {
			c := inc.Clone()
			c.ComponentIDs = slices.DeleteFunc(c.ComponentIDs, hidden)
			if len(c.ComponentIDs) == 0 && len(inc.ComponentIDs) > 0 {
				continue // private components only: a private incident
			}
			for j := range c.Updates {
				c.Updates[j].Affected = slices.DeleteFunc(c.Updates[j].Affected, func(a incident.Affected) bool { return hidden(a.ComponentID) })
			}
			p.Incidents = append(p.Incidents, c)
		}
		if inc.UpdatedAt.After(p.UpdatedAt) {
			p.UpdatedAt = inc.UpdatedAt
		}
	}
	st := incident.StatusOf(p.Components, p.Incidents)
	p.Indicator, p.Description = st.Indicator, st.Description
	return &p
}
