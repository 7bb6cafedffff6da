package statuspage_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/memory"
)

const viewerToken = "hrv_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

// privateFixture is the fixture page with a private component in the Core
// group (Secret Ledger, in a major outage, affected by the active
// incident with the public API and Website) and the Pipelines group's
// two components private: its incident and maintenance affect nothing
// else.
func privateFixture() (*incident.Snapshot, []string) {
	s := fixture()
	ledger := s.Components[0]
	ledger.ID, ledger.Name, ledger.Position, ledger.Status = "cmpledger001", "Secret Ledger", 3, incident.MajorOutage
	s.Components = slices.Insert(s.Components, 2, ledger)
	s.Uptime[ledger.ID] = uptime(ledger, map[int]float64{3: 90})
	for i := range s.Incidents {
		inc := &s.Incidents[i]
		if inc.ID != "incactive001" {
			continue
		}
		inc.ComponentIDs = append(inc.ComponentIDs, ledger.ID)
		inc.Updates[0].Affected = append(inc.Updates[0].Affected,
			incident.Affected{ComponentID: ledger.ID, Name: ledger.Name, Old: incident.Operational, New: incident.MajorOutage})
	}
	s.Indicator, s.Description = incident.IndicatorCritical, "Major System Outage"
	return s, []string{"cmpledger001", "cmpbld000001", "cmpdep000001"}
}

// secrets are what no public answer of privateFixture may hold: the
// private components' names and IDs, their group, and the incident and
// maintenance on them alone.
var secrets = []string{"Secret Ledger", "cmpledger001", "Builds", "cmpbld000001", "Deployments", "cmpdep000001",
	"Pipelines", "grppipe00001", "Pipelines delayed", "incpostm0001", "Build cluster upgrade", "mntactive001"}

// apiPaths are the JSON documents of the page.
var apiPaths = []string{"/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
	"/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json",
	"/api/v2/scheduled-maintenances/active.json"}

var hrefs = regexp.MustCompile(`href="([^"]+)"`)

// crawl reads every answer of h reachable from / and the API with the
// given request headers (links followed from every page), and returns
// their bodies by path.
func crawl(t *testing.T, h http.Handler, header ...string) map[string]string {
	t.Helper()
	seen := map[string]string{}
	queue := append([]string{"/", "/history.atom", "/history.rss", "/incidents/incactive001", "/incidents/incpostm0001",
		"/incidents/mntactive001", "/api/v2/incidents/incactive001.json", "/api/v2/incidents/incpostm0001.json",
		"/api/v2/incidents/mntactive001.json", "/nothing", "/subscribe"}, apiPaths...)
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if _, ok := seen[path]; ok || len(seen) > 200 {
			continue
		}
		res, body := get(t, h, "GET", path, header...)
		seen[path] = res.Status + "\n" + body
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		base, _ := url.Parse("http://status.test" + path)
		for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
			u, err := base.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil || u.Host != "status.test" {
				continue
			}
			queue = append(queue, u.RequestURI())
		}
	}
	return seen
}

func splitHandler(t testing.TB, a statuspage.Access) *statuspage.Handler {
	t.Helper()
	h, snap := unpublishedSplit(a)
	h.Publish(snap)
	return h
}

// unpublishedSplit returns a Handler with a's access to privateFixture
// (its private components when a's page is not private, and the viewer
// token), and the snapshot to publish.
func unpublishedSplit(a statuspage.Access) (*statuspage.Handler, *incident.Snapshot) {
	snap, private := privateFixture()
	if !a.Private {
		a.PrivateComponents = private
	}
	a.TokenHashes = [][]byte{statuspage.HashViewerToken(viewerToken)}
	h := statuspage.New()
	h.Access = a
	return h, snap
}

// The email sign-up in front of a page with private parts is off: its
// form would list every component, and its mails tell of every incident.
// Through it, the public reads no more than from the page alone.
func TestPrivatePartsBehindSubscriptions(t *testing.T) {
	for _, private := range []bool{false, true} {
		h, snap := unpublishedSplit(statuspage.Access{Private: private})
		s := &statuspage.Subscriptions{Next: h, Store: &memory.Incidents{}, Enabled: true}
		s.Publish(snap)
		public := crawl(t, s)
		for path, body := range public {
			for _, secret := range secrets {
				if strings.Contains(body, secret) {
					t.Errorf("private page %v: public %s holds %q", private, path, secret)
				}
			}
		}
		want := "404"
		if private {
			want = "401"
		}
		if !strings.HasPrefix(public["/subscribe"], want) {
			t.Errorf("private page %v: /subscribe %.40q, want %s", private, public["/subscribe"], want)
		}
		if got := crawl(t, s, "Authorization", "Bearer "+viewerToken)["/"]; !strings.Contains(got, "Secret Ledger") {
			t.Errorf("private page %v: / with the token lacks the private component", private)
		}
	}
}

// Private components: the public audience's every page, JSON document and
// feed shows none of them, nor the incidents on them alone; the private
// audience sees the whole page. Shared caches are told to keep the two
// apart.
func TestPrivateComponents(t *testing.T) {
	h := splitHandler(t, statuspage.Access{})
	public := crawl(t, h)
	if len(public) < 20 {
		t.Fatalf("the public crawl read %d answers: the crawl follows nothing", len(public))
	}
	for path, body := range public {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("public %s holds %q", path, s)
			}
		}
	}
	for _, path := range []string{"/incidents/incpostm0001", "/incidents/mntactive001", "/api/v2/incidents/incpostm0001.json"} {
		if !strings.HasPrefix(public[path], "404") {
			t.Errorf("public %s: %.40q, want 404 (an incident on private components only)", path, public[path])
		}
	}
	// What the public sees is computed from what it is shown: Secret
	// Ledger's major outage is not the public page's state.
	var status struct {
		Status struct{ Indicator string } `json:"status"`
	}
	_, body := get(t, h, "GET", "/api/v2/status.json")
	if err := json.Unmarshal([]byte(body), &status); err != nil || status.Status.Indicator != string(incident.IndicatorMajor) {
		t.Errorf("public status.json indicator %q (%v), want %q (the API's partial outage)", status.Status.Indicator, err, incident.IndicatorMajor)
	}
	for _, want := range []string{"Website", "API", "Git via SSH", "Elevated API error rates", "Network maintenance"} {
		if !strings.Contains(public["/"], want) {
			t.Errorf("public / lacks %q", want)
		}
	}

	private := crawl(t, h, "Authorization", "Bearer "+viewerToken)
	for _, c := range []struct{ path, want string }{
		{"/", "Secret Ledger"}, {"/", "Pipelines delayed"}, {"/incidents/incpostm0001", "Pipelines delayed"},
		{"/incidents/incactive001", "Secret Ledger"}, {"/api/v2/summary.json", "cmpledger001"},
		{"/api/v2/status.json", `"indicator":"critical"`}, {"/history.atom", "Pipelines delayed"}, {"/history.rss", "Build cluster upgrade"},
	} {
		if !strings.HasPrefix(private[c.path], "200") || !strings.Contains(private[c.path], c.want) {
			t.Errorf("private %s: %.60q..., want 200 with %q", c.path, private[c.path], c.want)
		}
	}

	for _, c := range []struct {
		name   string
		header []string
		cache  string
	}{
		{"public", nil, statuspage.DefaultCacheControl},
		{"private", []string{"Authorization", "Bearer " + viewerToken}, "private, max-age=10"},
		{"wrong token", []string{"Authorization", "Bearer " + viewerToken + "x"}, statuspage.DefaultCacheControl},
	} {
		for _, path := range []string{"/", "/api/v2/summary.json", "/history.atom"} {
			res, _ := get(t, h, "GET", path, append(c.header, "Accept-Encoding", "gzip")...)
			if got := res.Header.Get("Cache-Control"); got != c.cache {
				t.Errorf("%s %s: Cache-Control %q, want %q", c.name, path, got, c.cache)
			}
			if vary := res.Header.Get("Vary"); !strings.Contains(vary, "Cookie") || !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Accept-Encoding") {
				t.Errorf("%s %s: Vary %q, want Accept-Encoding, Authorization and Cookie", c.name, path, vary)
			}
		}
	}
}

// A private page answers the public audience 401 everywhere, with a page
// (or JSON under /api/) saying so and nothing of the page's content.
func TestPrivatePage(t *testing.T) {
	h := splitHandler(t, statuspage.Access{Private: true})
	for _, path := range append([]string{"/", "/history", "/history.atom", "/history.rss", "/incidents/incactive001", "/nothing"}, apiPaths...) {
		for _, header := range [][]string{nil, {"Authorization", "Bearer not-a-token"}, {"X-Forwarded-User", "mallory"}} {
			res, body := get(t, h, "GET", path, header...)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %v: %d, want 401", path, header, res.StatusCode)
			}
			for _, s := range append(secrets, "Website", "Elevated API error rates", "Git via SSH", "Network maintenance") {
				if strings.Contains(body, s) {
					t.Errorf("%s %v: the 401 holds %q", path, header, s)
				}
			}
			api := strings.HasPrefix(path, "/api/")
			if api && (!strings.Contains(body, `"error":"This status page is private`) || res.Header.Get("Access-Control-Allow-Origin") != "*") {
				t.Errorf("%s: %q, want the JSON error, readable from any origin", path, body)
			}
			if !api && !strings.Contains(body, "This status page is private.") {
				t.Errorf("%s: %q, want the private page's notice", path, body)
			}
			if got := res.Header.Get("Www-Authenticate"); got != `Bearer realm="Acme status page"` {
				t.Errorf("%s: WWW-Authenticate %q", path, got)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", path, got)
			}
		}
		res, body := get(t, h, "GET", path, "Authorization", "Bearer "+viewerToken)
		if path != "/nothing" && (res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "private, max-age=10") {
			t.Errorf("%s with the viewer token: %d, Cache-Control %q, want 200, private", path, res.StatusCode, res.Header.Get("Cache-Control"))
		}
		if path == "/" && !strings.Contains(body, "Secret Ledger") {
			t.Errorf("/ with the viewer token lacks the private component")
		}
	}
	res, _ := get(t, h, "POST", "/")
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
}

// The proxy's user header lets in only from a trusted proxy's address:
// from anywhere else anyone could send it.
func TestTrustedProxyHeader(t *testing.T) {
	h := splitHandler(t, statuspage.Access{Private: true, ProxyHeader: "X-Auth-Request-User",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}})
	for _, c := range []struct {
		name, remote, header, user string
		want                       int
	}{
		{"trusted proxy, user named", "10.1.2.3:40000", "X-Auth-Request-User", "ada", http.StatusOK},
		{"trusted IPv6 proxy", "[fd00::1]:40000", "X-Auth-Request-User", "ada", http.StatusOK},
		{"trusted proxy, no user", "10.1.2.3:40000", "X-Auth-Request-User", "", http.StatusUnauthorized},
		{"trusted proxy, another header", "10.1.2.3:40000", "X-Forwarded-User", "ada", http.StatusUnauthorized},
		{"untrusted address", "192.0.2.7:40000", "X-Auth-Request-User", "mallory", http.StatusUnauthorized},
		{"IPv4-mapped untrusted address", "[::ffff:192.0.2.7]:40000", "X-Auth-Request-User", "mallory", http.StatusUnauthorized},
		{"IPv4-mapped trusted address", "[::ffff:10.0.0.1]:40000", "X-Auth-Request-User", "ada", http.StatusOK},
	} {
		r := httptest.NewRequest("GET", "/api/v2/summary.json", nil)
		r.RemoteAddr = c.remote
		if c.user != "" {
			r.Header.Set(c.header, c.user)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, w.Code, c.want)
		}
		if vary := w.Header().Get("Vary"); !strings.Contains(vary, "X-Auth-Request-User") {
			t.Errorf("%s: Vary %q lacks the proxy's header", c.name, vary)
		}
	}
}

// The viewer token given once as ?token= becomes a cookie, through a real
// HTTP server and a client with a cookie jar: the reader is sent to the
// same address without the token and reads the private page from then
// on. Over TLS the cookie is Secure.
func TestViewerTokenCookie(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		h := splitHandler(t, statuspage.Access{Private: true})
		srv := httptest.NewUnstartedServer(h)
		if tlsOn {
			srv.StartTLS()
		} else {
			srv.Start()
		}
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		client := srv.Client()
		client.Jar = jar
		var redirects []*http.Response
		client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			redirects = append(redirects, req.Response)
			return nil
		}
		read := func(path string) (*http.Response, string) {
			t.Helper()
			res, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, string(b)
		}
		if res, _ := read("/?token=wrong"); res.StatusCode != http.StatusUnauthorized || len(redirects) != 0 {
			t.Fatalf("tls %v: a wrong token: %d after %d redirects, want 401 and none", tlsOn, res.StatusCode, len(redirects))
		}
		res, body := read("/incidents/incactive001?lang=x&token=" + viewerToken)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Secret Ledger") {
			t.Fatalf("tls %v: the token link: %d, want 200 with the private incident page", tlsOn, res.StatusCode)
		}
		if len(redirects) != 1 || redirects[0].StatusCode != http.StatusSeeOther || redirects[0].Header.Get("Location") != "./incactive001?lang=x" {
			t.Fatalf("tls %v: redirects %d, want one 303 to ./incactive001?lang=x", tlsOn, len(redirects))
		}
		if res.Request.URL.RawQuery != "lang=x" {
			t.Errorf("tls %v: the token is still in the address: %s", tlsOn, res.Request.URL)
		}
		set := redirects[0].Cookies()
		if len(set) != 1 || set[0].Name != statuspage.ViewerCookie || !set[0].HttpOnly || set[0].SameSite != http.SameSiteLaxMode ||
			set[0].Secure != tlsOn || set[0].Path != "/" {
			t.Errorf("tls %v: Set-Cookie %v, want %s HttpOnly, SameSite=Lax, Secure only over TLS, Path=/", tlsOn, set, statuspage.ViewerCookie)
		}
		// The cookie alone from now on.
		for _, path := range []string{"/", "/api/v2/components.json", "/history.atom"} {
			if res, body := read(path); res.StatusCode != http.StatusOK || !strings.Contains(body, "Secret Ledger") && !strings.Contains(body, "Pipelines delayed") {
				t.Errorf("tls %v: %s with the cookie: %d %.80q", tlsOn, path, res.StatusCode, body)
			}
		}
		// Another client, no cookie: the notice.
		other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		res, err := other.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("tls %v: without the cookie: %d, want 401", tlsOn, res.StatusCode)
		}
	}
}

// Regression test for viewer tokens a cookie cannot carry as they are:
// net/http drops a ";", a '"', a "\\" or a non-ASCII byte from a cookie's
// value (and quotes one with a space or a comma), so the cookie set from
// ?token= no longer matched its hash and the reader, sent on without the
// token, met the private notice. The docs say any long random string will
// do as a token.
func TestViewerCookieCarriesAnyToken(t *testing.T) {
	tokens := []string{"semi;colon=1", `a"quote"`, `back\slash`, "two words", "comma,separated", "café-日本", " padded ", "tab\tand\nline"}
	h := statuspage.New()
	h.Access = statuspage.Access{Private: true}
	for _, tok := range tokens {
		h.Access.TokenHashes = append(h.Access.TokenHashes, statuspage.HashViewerToken(tok))
	}
	snap, _ := privateFixture()
	h.Publish(snap)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tok := range tokens {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		for _, path := range []string{"/?token=" + url.QueryEscape(tok), "/"} {
			res, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "Secret Ledger") {
				t.Errorf("token %q, GET %s: %d, cookies %v; want 200 and the private page", tok, path, res.StatusCode, jar.Cookies(res.Request.URL))
			}
		}
	}
}

// FuzzAccess sends a private page with private components any path,
// query, credentials and client address: without the viewer token or a
// trusted proxy's address, no answer holds a private name.
func FuzzAccess(f *testing.F) {
	h := splitHandler(f, statuspage.Access{ProxyHeader: "X-Forwarded-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	f.Add("/", "token=x", "Bearer nope", statuspage.ViewerCookie+"=nope", "mallory", "192.0.2.1:1234")
	f.Add("/incidents/incpostm0001", "", "", "", "", "10.0.0.1:1")
	f.Add("/api/v2/summary.json", "page=2&token=", "Basic YTpi", "a=b; headroom_viewer=", "x", "[::1]:80")
	f.Fuzz(func(t *testing.T, path, query, auth, cookie, user, remote string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " \r\n\t#") {
			return
		}
		r, err := http.NewRequest("GET", "http://status.test"+path+"?"+query, nil)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("X-Forwarded-User", user)
		r.RemoteAddr = remote
		if strings.Contains(auth+cookie+query, viewerToken) {
			return
		}
		if ap, err := netip.ParseAddrPort(remote); err == nil && netip.MustParsePrefix("10.0.0.0/8").Contains(ap.Addr().Unmap()) {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for _, s := range secrets {
			if strings.Contains(w.Body.String(), s) {
				t.Fatalf("%s?%s: the public answer holds %q", path, query, s)
			}
		}
	})
}

// Behind a TLS-terminating proxy the viewer cookie is Secure when a
// trusted proxy says the request came over https; the same header from
// anyone else changes nothing.
func TestViewerCookieSecureBehindProxy(t *testing.T) {
	h := splitHandler(t, statuspage.Access{Private: true, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, c := range []struct {
		remote, proto string
		secure        bool
	}{
		{"10.0.0.2:5000", "https", true},
		{"10.0.0.2:5000", "http", false},
		{"192.0.2.9:5000", "https", false},
	} {
		r := httptest.NewRequest("GET", "/?token="+viewerToken, nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-Proto", c.proto)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		cookies := w.Result().Cookies()
		if w.Code != http.StatusSeeOther || len(cookies) != 1 || cookies[0].Secure != c.secure {
			t.Errorf("from %s, X-Forwarded-Proto %s: %d, cookies %v, want a 303 and Secure %v", c.remote, c.proto, w.Code, cookies, c.secure)
		}
	}
}

// Regression test for a viewer cookie sent without Secure on an https page:
// serve speaks no TLS and sits behind a terminator, so the request itself
// is never TLS, and the cookie was Secure only behind a proxy trusted for
// sign-ins. A page whose address is https (Access.HTTPS, from
// spec.page.url) always sets it.
func TestViewerCookieSecureOnAnHTTPSPage(t *testing.T) {
	h := splitHandler(t, statuspage.Access{Private: true, HTTPS: true})
	r := httptest.NewRequest("GET", "/?token="+viewerToken, nil)
	r.RemoteAddr = "192.0.2.9:5000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	cookies := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure {
		t.Errorf("an https page's viewer cookie: %d, cookies %v, want a 303 and Secure", w.Code, cookies)
	}
}
