package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/statuspage/webhook"
	"github.com/headroomhq/headroom/store/memory"
)

// clock is a settable clock for the store, the service and the API.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

// syncBuffer is a log destination the server's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// fixture is an admin API on loopback over a memory.Incidents, with a valid
// and a revoked token.
type fixture struct {
	t       testing.TB
	clk     *clock
	store   *faultyStore
	svc     *incident.Service
	srv     *httptest.Server
	token   string
	revoked string
	log     *syncBuffer
}

var page = incident.Page{ID: "headroom", Name: "Example", URL: "https://status.example.com", TimeZone: "UTC"}

func newFixture(t testing.TB, opts ...admin.Option) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)}
	st := &faultyStore{Incidents: &memory.Incidents{Now: clk.Now}}
	svc, err := incident.NewService(ctx, incident.Config{Store: st, Page: page, Now: clk.Now, Text: statuspage.MarkdownText,
		Groups: []incident.Group{{ID: "edge", Name: "Edge"}},
		Components: []incident.Component{
			{ID: "website", Name: "Website", GroupID: "edge"},
			{ID: "api", Name: "API", GroupID: "edge", Position: 1},
			{ID: "pipelines", Name: "Pipelines", Position: 2},
		}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clk: clk, store: st, svc: svc, log: &syncBuffer{}}
	f.token = f.newToken("ci")
	f.revoked = f.newToken("old laptop")
	toks, _ := st.Tokens(ctx)
	for _, tok := range toks {
		if tok.Name == "old laptop" {
			if err := st.RevokeToken(ctx, tok.ID, clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts = append([]admin.Option{admin.WithClock(clk.Now), admin.WithLogger(slog.New(slog.NewTextHandler(f.log, nil)))}, opts...)
	f.srv = httptest.NewServer(admin.New(svc, st, opts...))
	t.Cleanup(f.srv.Close)
	return f
}

// newToken stores a token named name and returns its secret.
func (f *fixture) newToken(name string) string {
	f.t.Helper()
	secret, tok, err := admin.NewToken(name, f.clk.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateToken(context.Background(), tok); err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// answer is an HTTP answer read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, a.body) }

// errorCode returns the answer's error code and message.
func (a answer) errorCode(t *testing.T) (string, string) {
	t.Helper()
	var eb admin.ErrorBody
	if err := json.Unmarshal(a.body, &eb); err != nil {
		t.Fatalf("error answer is not JSON: %v: %s", err, a.body)
	}
	return eb.Error.Code, eb.Error.Message
}

// request sends a request with an Authorization header (none when auth is
// empty) and a JSON body (none when body is nil).
func (f *fixture) request(method, path, auth string, body []byte, contentType string) answer {
	f.t.Helper()
	return send(f.t, http.DefaultClient, f.srv.URL, method, path, auth, body, contentType)
}

func send(t testing.TB, c *http.Client, base, method, path, auth string, body []byte, contentType string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// do sends v as JSON with the valid token.
func (f *fixture) do(method, path string, v any) answer {
	f.t.Helper()
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			f.t.Fatal(err)
		}
	}
	return f.request(method, path, "Bearer "+f.token, body, "application/json")
}

// open opens an incident through the API and returns it.
func (f *fixture) open(req admin.OpenRequest) admin.Incident {
	f.t.Helper()
	a := f.do("POST", "/api/admin/incidents", req)
	if a.status != http.StatusCreated {
		f.t.Fatalf("open: %s", a)
	}
	var inc admin.Incident
	if err := json.Unmarshal(a.body, &inc); err != nil {
		f.t.Fatal(err)
	}
	return inc
}

func decodeIncident(t *testing.T, a answer) admin.Incident {
	t.Helper()
	var inc admin.Incident
	if err := json.Unmarshal(a.body, &inc); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	return inc
}

var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Cache-Control":           "no-store",
	"Referrer-Policy":         "no-referrer",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}

func checkSecurityHeaders(t *testing.T, a answer) {
	t.Helper()
	for k, want := range securityHeaders {
		if got := a.header.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
}

// route is one admin route with a body it accepts.
type route struct {
	method, path string
	body         string
}

func routes(id string) []route {
	return []route{
		{"POST", "/api/admin/incidents", `{"name":"x","body":"y"}`},
		{"GET", "/api/admin/incidents/" + id, ""},
		{"POST", "/api/admin/incidents/" + id + "/publish", ""},
		{"POST", "/api/admin/incidents/" + id + "/updates", `{"status":"identified","body":"y"}`},
		{"POST", "/api/admin/incidents/" + id + "/resolve", `{"body":"y"}`},
		{"PUT", "/api/admin/incidents/" + id + "/postmortem", `{"body":"y"}`},
		{"POST", "/api/admin/incidents/" + id + "/postmortem/publish", ""},
		{"PUT", "/api/admin/components/website", `{"status":"major_outage"}`},
		{"POST", "/api/admin/maintenances", `{"name":"m","body":"b","scheduled_for":"2030-01-01T00:00:00Z","scheduled_until":"2030-01-01T01:00:00Z"}`},
		{"POST", "/api/admin/subscribers", `{"url":"https://example.com/hook"}`},
		{"GET", "/api/admin/subscribers", ""},
		{"DELETE", "/api/admin/subscribers/" + id, ""},
		// Not routes: a token is asked for before that is said.
		{"GET", "/api/admin/no-such-route", ""},
		{"PATCH", "/api/admin/incidents", `{}`},
	}
}

func TestUnauthorizedOnEveryRouteSaysNothing(t *testing.T) {
	f := newFixture(t, admin.WithBadTokenLimit(time.Minute, 1_000_000))
	existing := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"website": "major_outage"}})
	subs := f.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: "https://example.com/hook"})
	var sub admin.Subscriber
	json.Unmarshal(subs.body, &sub)
	version, _ := f.store.Version(context.Background())

	auths := []struct {
		name, header string
	}{
		{"no Authorization header", ""},
		{"empty bearer", "Bearer "},
		{"another scheme", "Basic " + f.token},
		{"token without scheme", f.token},
		{"unknown token", "Bearer hr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"valid token cut short", "Bearer " + f.token[:len(f.token)-1]},
		{"revoked token", "Bearer " + f.revoked},
		{"huge token", "Bearer hr_" + strings.Repeat("A", 16<<10)},
	}
	var first []byte
	for _, auth := range auths {
		for _, id := range []string{existing.ID, "doesnotexist", sub.ID} {
			for _, rt := range routes(id) {
				name := fmt.Sprintf("%s/%s %s", auth.name, rt.method, rt.path)
				var body []byte
				if rt.body != "" {
					body = []byte(rt.body)
				}
				a := f.request(rt.method, rt.path, auth.header, body, "application/json")
				if a.status != http.StatusUnauthorized {
					t.Errorf("%s: got %s, want 401", name, a)
					continue
				}
				if first == nil {
					first = a.body
				}
				if !bytes.Equal(a.body, first) {
					t.Errorf("%s: body %s differs from another 401's %s: it tells something", name, a.body, first)
				}
				if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("%s: WWW-Authenticate %q, want Bearer", name, got)
				}
				checkSecurityHeaders(t, a)
			}
		}
	}
	if code, msg := (answer{body: first}).errorCode(t); code != "unauthorized" || !strings.Contains(msg, "Bearer") {
		t.Errorf("401 says %q %q, want code unauthorized and how to authenticate", code, msg)
	}
	if v, _ := f.store.Version(context.Background()); v != version {
		t.Errorf("store version moved from %d to %d: an unauthenticated request wrote", version, v)
	}
	if got, _ := f.store.Subscribers(context.Background()); len(got) != 1 {
		t.Errorf("%d subscribers, want the 1 made with a valid token", len(got))
	}
}

func TestBadTokensAreRateLimitedPerClient(t *testing.T) {
	f := newFixture(t, admin.WithBadTokenLimit(time.Minute, 3))
	bad := "Bearer hr_not-a-token"
	for i := range 3 {
		if a := f.request("GET", "/api/admin/subscribers", bad, nil, ""); a.status != http.StatusUnauthorized {
			t.Fatalf("bad token %d: got %s, want 401", i+1, a)
		}
	}
	a := f.request("GET", "/api/admin/subscribers", bad, nil, "")
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("4th bad token: got %s, want 429", a)
	}
	if got := a.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After: got %q, want 60", got)
	}
	if code, _ := a.errorCode(t); code != admin.CodeRateLimited {
		t.Errorf("code %q, want %q", code, admin.CodeRateLimited)
	}
	checkSecurityHeaders(t, a)
	// A valid token from that client still works: the on-call behind the
	// same proxy or NAT as a guesser must not be locked out during an
	// incident (a guess of a 256-bit token cannot succeed anyway).
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Errorf("valid token from a limited client: got %s, want 200", a)
	}

	// Another client (another loopback address) is not limited.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	if a := send(t, other, f.srv.URL, "GET", "/api/admin/subscribers", bad, nil, ""); a.status != http.StatusUnauthorized {
		t.Errorf("bad token from another client: got %s, want 401", a)
	}
	if a := send(t, other, f.srv.URL, "GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Errorf("valid token from another client: got %s, want 200", a)
	}

	// A minute on, the first client has one attempt back.
	f.clk.Add(time.Minute)
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Errorf("valid token a minute later: got %s, want 200", a)
	}
	if a := f.request("GET", "/api/admin/subscribers", bad, nil, ""); a.status != http.StatusUnauthorized {
		t.Errorf("bad token a minute later: got %s, want 401", a)
	}
	if a := f.request("GET", "/api/admin/subscribers", bad, nil, ""); a.status != http.StatusTooManyRequests {
		t.Errorf("bad token again: got %s, want 429", a)
	}
}

func TestTokensCreatedAndRevokedElsewhere(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Fatalf("valid token: %s", a)
	}
	// Created by `headroom token create` in another process: known at its
	// first use (a miss reads the tokens again, at most once a second).
	f.clk.Add(2 * time.Second)
	fresh := f.newToken("new")
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+fresh, nil, ""); a.status != http.StatusOK {
		t.Errorf("token created after the cache was filled: got %s, want 200", a)
	}
	// Revoked by `headroom token revoke`: refused once the cache is older
	// than its maximum age.
	toks, _ := f.store.Tokens(ctx)
	for _, tok := range toks {
		if tok.Name == "new" {
			f.store.RevokeToken(ctx, tok.ID, f.clk.Now())
		}
	}
	f.clk.Add(admin.DefaultTokenMaxAge)
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+fresh, nil, ""); a.status != http.StatusUnauthorized {
		t.Errorf("revoked token: got %s, want 401", a)
	}
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Errorf("the other token after a revocation: got %s, want 200", a)
	}
}

func TestBodyLimitsAndContentType(t *testing.T) {
	f := newFixture(t)
	big := []byte(`{"name":"x","body":"` + strings.Repeat("a", admin.DefaultMaxBody) + `"}`)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		status      int
		code        string
		message     string
	}{
		{"over the body limit", big, "application/json", 413, admin.CodeTooLarge, "larger than 524288 bytes"},
		{"text/plain", []byte(`{"name":"x","body":"y"}`), "text/plain", 415, admin.CodeUnsupportedMediaType, `got "text/plain", expected application/json`},
		{"no content type", []byte(`{"name":"x","body":"y"}`), "", 415, admin.CodeUnsupportedMediaType, "expected application/json"},
		{"form", []byte(`name=x`), "application/x-www-form-urlencoded", 415, admin.CodeUnsupportedMediaType, "expected application/json"},
		{"latin-1 charset", []byte(`{"name":"x","body":"y"}`), "application/json; charset=latin1", 415, admin.CodeUnsupportedMediaType, "expected application/json"},
		{"unknown field", []byte(`{"name":"x","body":"y","severity":"sev1"}`), "application/json", 400, "invalid", `unknown field "severity"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.request("POST", "/api/admin/incidents", "Bearer "+f.token, tt.body, tt.contentType)
			if a.status != tt.status {
				t.Fatalf("got %s, want %d", a, tt.status)
			}
			code, msg := a.errorCode(t)
			if code != tt.code || !strings.Contains(msg, tt.message) {
				t.Errorf("got %q %q, want code %q and a message with %q", code, msg, tt.code, tt.message)
			}
			checkSecurityHeaders(t, a)
		})
	}
	// JSON with charset=utf-8 is JSON.
	a := f.request("POST", "/api/admin/incidents", "Bearer "+f.token, []byte(`{"name":"x","body":"y"}`), "application/json; charset=utf-8")
	if a.status != http.StatusCreated {
		t.Errorf("charset=utf-8: got %s, want 201", a)
	}
}

// Hostile bodies are the user's mistake (400), never the server's (500).
func TestHostileBodies(t *testing.T) {
	f := newFixture(t)
	inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating."})
	// Deeper than encoding/json's 10000 levels, within the body limit.
	deep := strings.Repeat(`{"a":`, 10_500) + "1" + strings.Repeat("}", 10_500)
	bodies := []struct {
		name, body, message string
	}{
		{"empty", "", "empty, expected a JSON object"},
		{"whitespace", "   ", "empty, expected a JSON object"},
		{"truncated", `{"name":"x",`, "malformed JSON"},
		{"not JSON", `name=x`, "malformed JSON at byte 2"},
		{"array", `[1,2]`, "got a JSON array, expected an object"},
		{"string", `"x"`, "got a JSON string, expected an object"},
		{"number", `12`, "got a JSON number, expected an object"},
		{"two objects", `{"body":"x"} {"body":"y"}`, "one JSON object and nothing after it"},
		{"garbage after", `{"body":"x"}]`, "one JSON object and nothing after it"},
		{"name is a number", `{"name":1,"body":"x"}`, "name: got a JSON number, expected a string"},
		{"body is an object", `{"name":"x","body":{}}`, "body: got a JSON object, expected a string"},
		{"components is a list", `{"name":"x","body":"y","components":["website"]}`, "components: got a JSON array, expected an object"},
		{"component status is a number", `{"name":"x","body":"y","components":{"website":3}}`, "got a JSON number, expected a string"},
		{"status is bool", `{"name":"x","body":"y","status":true}`, "status: got a JSON bool, expected a string"},
		{"bad time", `{"name":"x","body":"y","started_at":"yesterday"}`, `started_at: got "yesterday", expected an RFC 3339 time`},
		{"time as number", `{"name":"x","body":"y","display_at":1625072400}`, "display_at: got a JSON number, expected a string"},
		{"nested too deep", deep, "exceeded max depth"},
		{"invalid UTF-8 in a key", "{\"na\xffme\":\"x\"}", "unknown field"},
		{"unknown status", `{"name":"x","body":"y","status":"on_fire"}`, "on_fire"},
		{"unknown impact", `{"name":"x","body":"y","impact":"apocalyptic"}`, "apocalyptic"},
		{"unknown component status", `{"name":"x","body":"y","components":{"website":"kaput"}}`, "kaput"},
		{"null", `null`, "name"},
		{"empty object", `{}`, "name"},
		{"huge name", `{"name":"` + strings.Repeat("n", 60<<10) + `","body":"y"}`, "name"},
	}
	targets := []string{"/api/admin/incidents", "/api/admin/incidents/" + inc.ID + "/updates", "/api/admin/maintenances"}
	for _, target := range targets {
		for _, b := range bodies {
			t.Run(target+"/"+b.name, func(t *testing.T) {
				a := f.request("POST", target, "Bearer "+f.token, []byte(b.body), "application/json")
				if a.status == http.StatusInternalServerError || a.status/100 == 2 {
					t.Fatalf("got %s, want a 4xx", a)
				}
				if a.status != http.StatusBadRequest && a.status != http.StatusRequestEntityTooLarge {
					t.Fatalf("got %s, want 400", a)
				}
				code, msg := a.errorCode(t)
				if code != "invalid" && code != admin.CodeTooLarge {
					t.Errorf("code %q, want invalid", code)
				}
				if target == "/api/admin/incidents" && !strings.Contains(msg, b.message) {
					t.Errorf("message %q, want it to say %q", msg, b.message)
				}
			})
		}
	}
	if strings.Contains(f.log.String(), "level=ERROR") {
		t.Errorf("hostile bodies logged errors:\n%s", f.log.String())
	}
}

// Regression test for issue 11 item 7: a duplicate key (the last one won)
// and a field name in another case (encoding/json matches names
// case-insensitively) were accepted. Both are refused, naming the field,
// and nothing is written.
func TestStrictFieldNames(t *testing.T) {
	f := newFixture(t)
	inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating."})
	tests := []struct {
		name, path, body, message string
	}{
		{"duplicate body", "/api/admin/incidents", `{"name":"x","body":"We are investigating.","body":""}`, `duplicate field "body"`},
		{"duplicate name", "/api/admin/incidents", `{"name":"x","name":"y","body":"z"}`, `duplicate field "name"`},
		{"duplicate component", "/api/admin/incidents",
			`{"name":"x","body":"y","components":{"website":"major_outage","website":"operational"}}`, `duplicate field "components.website"`},
		{"capitalised field", "/api/admin/incidents", `{"Name":"x","body":"y"}`, `unknown field "Name" (field names are case-sensitive: "name")`},
		{"upper-case field", "/api/admin/incidents", `{"name":"x","BODY":"y"}`, `unknown field "BODY" (field names are case-sensitive: "body")`},
		{"both cases", "/api/admin/incidents", `{"name":"x","body":"y","Body":"z"}`, `unknown field "Body"`},
		{"capitalised on update", "/api/admin/incidents/" + inc.ID + "/updates", `{"Status":"identified","body":"y"}`, `unknown field "Status"`},
		{"duplicate on update", "/api/admin/incidents/" + inc.ID + "/updates", `{"status":"identified","status":"resolved","body":"y"}`, `duplicate field "status"`},
		{"duplicate url", "/api/admin/subscribers", `{"url":"https://hooks.example.com/a","url":"https://hooks.example.com/b"}`, `duplicate field "url"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.request("POST", tt.path, "Bearer "+f.token, []byte(tt.body), "application/json")
			if a.status != http.StatusBadRequest {
				t.Fatalf("got %s, want 400", a)
			}
			code, msg := a.errorCode(t)
			if code != "invalid" || !strings.Contains(msg, tt.message) {
				t.Errorf("got %q %q, want invalid and a message with %q", code, msg, tt.message)
			}
		})
	}
	if n := len(f.svc.Snapshot().Incidents); n != 1 {
		t.Errorf("%d incidents after refused requests, want 1", n)
	}
	if got := decodeIncident(t, f.do("GET", "/api/admin/incidents/"+inc.ID, nil)); len(got.IncidentUpdates) != 1 {
		t.Errorf("%d updates after refused requests, want 1", len(got.IncidentUpdates))
	}
}

// Regression test for issue 11 item 7: a body the page renders to nothing
// (raw HTML, which goldmark omits; a javascript: link or an image, which
// the sanitizer removes) was published as an empty update. It is refused,
// naming the field, on every write that takes a body.
func TestBodyThatShowsNothing(t *testing.T) {
	f := newFixture(t)
	inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating."})
	resolved := f.open(admin.OpenRequest{Name: "Old one", Body: "Investigating."})
	if a := f.do("POST", "/api/admin/incidents/"+resolved.ID+"/resolve", admin.ResolveRequest{Body: "Fixed."}); a.status != 200 {
		t.Fatalf("resolve: %s", a)
	}
	empties := map[string]string{
		"an HTML block":     "<div>\nWe are investigating.\n</div>",
		"a script":          "<script>alert(1)</script>",
		"a javascript link": "[](javascript:alert(1))",
		"an image":          "![](https://evil.example.com/x.png)",
		"a comment":         "<!-- nothing to see -->",
	}
	for what, body := range empties {
		writes := []struct {
			name, method, path, field string
			req                       any
		}{
			{"open", "POST", "/api/admin/incidents", "body", admin.OpenRequest{Name: "x", Body: body}},
			{"update", "POST", "/api/admin/incidents/" + inc.ID + "/updates", "body", admin.UpdateRequest{Status: "identified", Body: body}},
			{"resolve", "POST", "/api/admin/incidents/" + inc.ID + "/resolve", "body", admin.ResolveRequest{Body: body}},
			{"maintenance", "POST", "/api/admin/maintenances", "body", admin.MaintenanceRequest{Name: "m", Body: body,
				ScheduledFor: "2021-07-01T02:00:00Z", ScheduledUntil: "2021-07-01T03:00:00Z"}},
			{"postmortem", "PUT", "/api/admin/incidents/" + resolved.ID + "/postmortem", "draft", admin.PostmortemRequest{Body: body}},
		}
		for _, w := range writes {
			t.Run(w.name+" with "+what, func(t *testing.T) {
				a := f.do(w.method, w.path, w.req)
				if a.status != http.StatusBadRequest {
					t.Fatalf("got %s, want 400", a)
				}
				code, msg := a.errorCode(t)
				if want := w.field + ": shows nothing"; code != "invalid" || !strings.Contains(msg, want) {
					t.Errorf("got %q %q, want invalid and a message with %q", code, msg, want)
				}
			})
		}
	}
	// A body with text beside what is removed is published.
	if a := f.do("POST", "/api/admin/incidents/"+inc.ID+"/updates", admin.UpdateRequest{Status: "identified",
		Body: "We found the cause. <span>ignored</span> [details](javascript:alert(1))"}); a.status != http.StatusOK {
		t.Errorf("update with text: got %s, want 200", a)
	}
}

func TestValidationMessages(t *testing.T) {
	f := newFixture(t)
	inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"website": "major_outage"}})
	resolved := f.open(admin.OpenRequest{Name: "Old one", Body: "Investigating."})
	if a := f.do("POST", "/api/admin/incidents/"+resolved.ID+"/resolve", admin.ResolveRequest{Body: "Fixed."}); a.status != 200 {
		t.Fatalf("resolve: %s", a)
	}
	tests := []struct {
		name, method, path string
		body               any
		status             int
		want               []string
	}{
		{"unknown component on open", "POST", "/api/admin/incidents",
			admin.OpenRequest{Name: "x", Body: "y", Components: map[string]incident.ComponentStatus{"database": "major_outage"}},
			400, []string{`"database"`}},
		{"unknown component on update", "POST", "/api/admin/incidents/" + inc.ID + "/updates",
			admin.UpdateRequest{Status: "identified", Body: "y", Components: map[string]incident.ComponentStatus{"database": "major_outage"}},
			400, []string{`"database"`}},
		{"unknown component set", "PUT", "/api/admin/components/database", admin.ComponentRequest{Status: "major_outage"},
			404, []string{`"database"`}},
		{"bad component status", "PUT", "/api/admin/components/website", admin.ComponentRequest{Status: "kaput"},
			400, []string{"kaput"}},
		{"empty body on open", "POST", "/api/admin/incidents", admin.OpenRequest{Name: "x"}, 400, []string{"body"}},
		{"empty name on open", "POST", "/api/admin/incidents", admin.OpenRequest{Body: "y"}, 400, []string{"name"}},
		{"empty body on update", "POST", "/api/admin/incidents/" + inc.ID + "/updates", admin.UpdateRequest{Status: "identified"}, 400, []string{"body"}},
		{"blank body on resolve", "POST", "/api/admin/incidents/" + inc.ID + "/resolve", admin.ResolveRequest{Body: "  \n "}, 400, []string{"body"}},
		{"maintenance status on an incident", "POST", "/api/admin/incidents/" + inc.ID + "/updates",
			admin.UpdateRequest{Status: "in_progress", Body: "y"}, 400, []string{"in_progress"}},
		{"update of a resolved incident to investigating", "POST", "/api/admin/incidents/" + resolved.ID + "/updates",
			admin.UpdateRequest{Status: "investigating", Body: "y"}, 400, []string{"investigating", "resolved"}},
		{"postmortem of an unresolved incident", "PUT", "/api/admin/incidents/" + inc.ID + "/postmortem",
			admin.PostmortemRequest{Body: "## What happened"}, 400, []string{"resolved"}},
		{"publish without a draft", "POST", "/api/admin/incidents/" + resolved.ID + "/postmortem/publish", nil, 400, []string{"draft"}},
		{"unknown incident", "POST", "/api/admin/incidents/nosuchincident/updates", admin.UpdateRequest{Status: "identified", Body: "y"},
			404, []string{"nosuchincident"}},
		{"unknown incident get", "GET", "/api/admin/incidents/nosuchincident", nil, 404, []string{"nosuchincident"}},
		{"maintenance ending before it starts", "POST", "/api/admin/maintenances",
			admin.MaintenanceRequest{Name: "m", Body: "b", ScheduledFor: "2030-01-01T02:00:00Z", ScheduledUntil: "2030-01-01T01:00:00Z"},
			400, []string{"scheduled_until"}},
		{"maintenance without times", "POST", "/api/admin/maintenances", admin.MaintenanceRequest{Name: "m", Body: "b"},
			400, []string{"scheduled_for"}},
		{"subscriber without url", "POST", "/api/admin/subscribers", admin.SubscriberRequest{}, 400, []string{"url"}},
		{"subscriber with a relative url", "POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: "/hook"}, 400, []string{"/hook", "http"}},
		{"subscriber with a ftp url", "POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: "ftp://example.com/x"}, 400, []string{"ftp"}},
		{"subscriber of an unknown component", "POST", "/api/admin/subscribers",
			admin.SubscriberRequest{URL: "https://example.com/hook", Components: []string{"database"}}, 400, []string{`"database"`, "website"}},
		{"subscriber with a short secret", "POST", "/api/admin/subscribers",
			admin.SubscriberRequest{URL: "https://example.com/hook", Secret: "short"}, 400, []string{"secret"}},
		{"remove an unknown subscriber", "DELETE", "/api/admin/subscribers/nosuchsub", nil, 404, []string{"nosuchsub"}},
		{"unknown route", "GET", "/api/admin/nothing", nil, 404, []string{"/api/admin/nothing"}},
		{"wrong method", "DELETE", "/api/admin/incidents/" + inc.ID, nil, 405, []string{"GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do(tt.method, tt.path, tt.body)
			if a.status != tt.status {
				t.Fatalf("got %s, want %d", a, tt.status)
			}
			_, msg := a.errorCode(t)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			checkSecurityHeaders(t, a)
		})
	}
}

func TestIncidentLifecycle(t *testing.T) {
	f := newFixture(t)
	started := "2021-06-30T16:56:00Z"
	a := f.do("POST", "/api/admin/incidents", admin.OpenRequest{Name: "Elevated errors on the website", Impact: "major",
		Body: "We are investigating 502 errors.", Components: map[string]incident.ComponentStatus{"website": "major_outage"}, StartedAt: started})
	if a.status != http.StatusCreated {
		t.Fatalf("open: %s", a)
	}
	inc := decodeIncident(t, a)
	if got, want := a.header.Get("Location"), "/api/admin/incidents/"+inc.ID; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	if want := "https://status.example.com/incidents/" + inc.ID; inc.URL != want || inc.Shortlink != want {
		t.Errorf("url %q shortlink %q, want %q", inc.URL, inc.Shortlink, want)
	}
	if inc.Status != incident.Investigating || inc.Impact != incident.ImpactMajor || inc.Kind != incident.KindIncident || len(inc.IncidentUpdates) != 1 {
		t.Errorf("opened: %+v", inc)
	}
	if inc.StartedAt != "2021-06-30T16:56:00.000Z" {
		t.Errorf("started_at %q, want the one given", inc.StartedAt)
	}
	checkSecurityHeaders(t, a)

	f.clk.Add(4 * time.Minute)
	a = f.do("POST", "/api/admin/incidents/"+inc.ID+"/updates", admin.UpdateRequest{Status: "identified", Body: "A scheduled scale-in removed capacity.",
		Components: map[string]incident.ComponentStatus{"website": "partial_outage"}})
	if a.status != http.StatusOK {
		t.Fatalf("update: %s", a)
	}
	if got := decodeIncident(t, a); got.Status != incident.Identified || len(got.IncidentUpdates) != 2 {
		t.Errorf("updated: status %s, %d updates", got.Status, len(got.IncidentUpdates))
	}

	f.clk.Add(10 * time.Minute)
	a = f.do("POST", "/api/admin/incidents/"+inc.ID+"/resolve", admin.ResolveRequest{Body: "Capacity restored."})
	if a.status != http.StatusOK {
		t.Fatalf("resolve: %s", a)
	}
	if got := decodeIncident(t, a); got.Status != incident.Resolved || got.ResolvedAt == nil {
		t.Errorf("resolved: status %s, resolved_at %v", got.Status, got.ResolvedAt)
	}
	for _, c := range f.svc.Snapshot().Components {
		if c.ID == "website" && c.Status != incident.Operational {
			t.Errorf("website %s after resolving, want operational", c.Status)
		}
	}

	a = f.do("PUT", "/api/admin/incidents/"+inc.ID+"/postmortem", admin.PostmortemRequest{Body: "## What happened\nA scheduled scale-in."})
	if a.status != http.StatusOK {
		t.Fatalf("postmortem: %s", a)
	}
	// The draft is the admins' only: the admin view has it, the public
	// snapshot's API does not publish it.
	a = f.do("GET", "/api/admin/incidents/"+inc.ID, nil)
	got := decodeIncident(t, a)
	if a.status != http.StatusOK || got.PostmortemDraft != "## What happened\nA scheduled scale-in." || got.PostmortemBody != nil {
		t.Errorf("admin view: %s", a)
	}

	a = f.do("POST", "/api/admin/incidents/"+inc.ID+"/postmortem/publish", nil)
	if a.status != http.StatusOK {
		t.Fatalf("publish: %s", a)
	}
	got = decodeIncident(t, a)
	if got.Status != incident.Postmortem || got.PostmortemBody == nil || *got.PostmortemBody != "## What happened\nA scheduled scale-in." || got.PostmortemPublishedAt == nil {
		t.Errorf("published: %s", a)
	}
	if !strings.Contains(f.log.String(), "admin: write") || !strings.Contains(f.log.String(), "token=ci") {
		t.Errorf("no audit line naming the token in the log:\n%s", f.log.String())
	}
}

// A draft opened through the admin API is the admins' only until it is
// published: GET shows it, the page's snapshot does not; publishing puts
// it on the page with its updates and its components' statuses; a second
// publish is 409, an unknown id 404. The Client says the same.
func TestDraftsAndPublish(t *testing.T) {
	f := newFixture(t)
	d := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Draft: true,
		Components: map[string]incident.ComponentStatus{"website": "major_outage"}})
	if !d.Draft || d.PublishedAt != nil {
		t.Errorf("opened: draft %v, published_at %v; want a draft, not published", d.Draft, d.PublishedAt)
	}
	public := func() (*incident.Incident, incident.ComponentStatus) {
		snap := f.svc.Snapshot()
		var website incident.ComponentStatus
		for _, c := range snap.Components {
			if c.ID == "website" {
				website = c.Status
			}
		}
		return snap.Incident(d.ID), website
	}
	if inc, website := public(); inc != nil || website != incident.Operational {
		t.Errorf("after opening the draft the page has incident %v, website %s; want none, operational", inc, website)
	}
	a := f.do("GET", "/api/admin/incidents/"+d.ID, nil)
	if got := decodeIncident(t, a); a.status != http.StatusOK || !got.Draft {
		t.Errorf("GET the draft: %s", a)
	}
	f.clk.Add(time.Minute)
	a = f.do("POST", "/api/admin/incidents/"+d.ID+"/updates", admin.UpdateRequest{Status: "identified", Body: "Capacity was cut."})
	if got := decodeIncident(t, a); a.status != http.StatusOK || !got.Draft || len(got.IncidentUpdates) != 2 {
		t.Errorf("update the draft: %s", a)
	}

	f.clk.Add(time.Minute)
	a = f.do("POST", "/api/admin/incidents/"+d.ID+"/publish", nil)
	if a.status != http.StatusOK {
		t.Fatalf("publish: %s", a)
	}
	got := decodeIncident(t, a)
	if got.Draft || got.PublishedAt == nil || *got.PublishedAt != "2021-06-30T17:02:00.000Z" || got.CreatedAt != *got.PublishedAt || len(got.IncidentUpdates) != 2 {
		t.Errorf("published: %s", a)
	}
	if inc, website := public(); inc == nil || website != incident.MajorOutage {
		t.Errorf("after publishing the page has incident %v, website %s; want it, major_outage", inc, website)
	}
	checkSecurityHeaders(t, a)

	for _, tt := range []struct {
		name, path string
		body       any
		status     int
		code, says string
	}{
		{"published already", "/api/admin/incidents/" + d.ID + "/publish", nil, http.StatusConflict, "conflict", "published already"},
		{"unknown incident", "/api/admin/incidents/nosuchincident/publish", nil, http.StatusNotFound, "not_found", "nosuchincident"},
		{"a body", "/api/admin/incidents/" + d.ID + "/publish", map[string]any{"draft": false}, http.StatusBadRequest, "invalid", "draft"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do("POST", tt.path, tt.body)
			code, msg := a.errorCode(t)
			if a.status != tt.status || code != tt.code || !strings.Contains(msg, tt.says) {
				t.Errorf("got %s; want %d %s saying %q", a, tt.status, tt.code, tt.says)
			}
		})
	}

	c := &admin.Client{URL: f.srv.URL, Token: f.token}
	d2, err := c.Open(t.Context(), admin.OpenRequest{Name: "Git pushes failing", Body: "Investigating.", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Publish(t.Context(), d2.ID); err != nil || p.Draft {
		t.Errorf("Client.Publish = %+v, %v; want it published", p, err)
	}
	if _, err := c.Publish(t.Context(), d2.ID); headroom.ErrorCode(err) != headroom.ECONFLICT {
		t.Errorf("Client.Publish of a published incident: %v; want ECONFLICT", err)
	}
}

func TestComponentsAndMaintenance(t *testing.T) {
	f := newFixture(t)
	a := f.do("PUT", "/api/admin/components/api", admin.ComponentRequest{Status: "degraded_performance"})
	if a.status != http.StatusOK {
		t.Fatalf("set component: %s", a)
	}
	var c admin.Component
	json.Unmarshal(a.body, &c)
	if c.ID != "api" || c.Status != incident.DegradedPerformance {
		t.Errorf("component: %s", a)
	}

	a = f.do("POST", "/api/admin/maintenances", admin.MaintenanceRequest{Name: "Database upgrade", Body: "Read-only for an hour.",
		ScheduledFor: "2021-07-01T02:00:00Z", ScheduledUntil: "2021-07-01T03:00:00Z", Components: []string{"api"}, AutoStart: true, AutoComplete: true})
	if a.status != http.StatusCreated {
		t.Fatalf("schedule: %s", a)
	}
	m := decodeIncident(t, a)
	if m.Kind != incident.KindMaintenance || m.Status != incident.Scheduled || m.ScheduledFor == nil || !m.AutoStart || !m.AutoComplete {
		t.Errorf("maintenance: %s", a)
	}
	// Resolving a maintenance completes it.
	a = f.do("POST", "/api/admin/incidents/"+m.ID+"/updates", admin.UpdateRequest{Status: "in_progress", Body: "Started."})
	if a.status != http.StatusOK {
		t.Fatalf("start: %s", a)
	}
	a = f.do("POST", "/api/admin/incidents/"+m.ID+"/resolve", admin.ResolveRequest{Body: "Done."})
	if got := decodeIncident(t, a); a.status != http.StatusOK || got.Status != incident.Completed {
		t.Errorf("resolve a maintenance: %s", a)
	}
}

func TestSubscribersAndSignedWebhooks(t *testing.T) {
	f := newFixture(t, admin.WithPrivateWebhooks(true)) // the receiver is on loopback
	type got struct {
		body []byte
		err  error
	}
	received := make(chan got, 10)
	var secret string
	var mu sync.Mutex
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		s := secret
		mu.Unlock()
		received <- got{body, webhook.Verifier{Secret: s, Now: f.clk.Now}.Verify(r.Header, body)}
	}))
	defer rcv.Close()

	a := f.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: rcv.URL + "/hook", Components: []string{"website"}})
	if a.status != http.StatusCreated {
		t.Fatalf("subscribe: %s", a)
	}
	var sub admin.Subscriber
	json.Unmarshal(a.body, &sub)
	if len(sub.Secret) < 32 || sub.ID == "" || !slices.Equal(sub.Components, []string{"website"}) {
		t.Fatalf("subscriber: %s", a)
	}
	mu.Lock()
	secret = sub.Secret
	mu.Unlock()

	a = f.do("GET", "/api/admin/subscribers", nil)
	var list admin.Subscribers
	json.Unmarshal(a.body, &list)
	if a.status != http.StatusOK || len(list.Subscribers) != 1 || list.Subscribers[0].ID != sub.ID || list.Subscribers[0].Secret != "" {
		t.Errorf("list (secrets never shown again): %s", a)
	}

	inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"website": "major_outage"}})
	f.open(admin.OpenRequest{Name: "Slow pipelines", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"pipelines": "degraded_performance"}})
	w := &webhook.Worker{Store: f.store, Now: f.clk.Now, Logger: slog.New(slog.DiscardHandler), AllowPrivate: true}
	if err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(received)
	var n int
	for g := range received {
		n++
		if g.err != nil {
			t.Errorf("receiver: %v", g.err)
		}
		var payload incident.IncidentWebhook
		if err := json.Unmarshal(g.body, &payload); err != nil {
			t.Errorf("payload: %v: %s", err, g.body)
			continue
		}
		if payload.Incident.ID != inc.ID || payload.Page.ID != page.ID {
			t.Errorf("payload of incident %q on page %q, want %q on %q", payload.Incident.ID, payload.Page.ID, inc.ID, page.ID)
		}
	}
	if n != 1 {
		t.Errorf("receiver got %d deliveries, want 1 (the pipelines incident does not concern it)", n)
	}

	if a := f.do("DELETE", "/api/admin/subscribers/"+sub.ID, nil); a.status != http.StatusNoContent {
		t.Errorf("remove: %s", a)
	}
	if a := f.do("DELETE", "/api/admin/subscribers/"+sub.ID, nil); a.status != http.StatusNotFound {
		t.Errorf("remove again: %s", a)
	}
}

// Regression test for issue 11 item 6: GET /api/admin/subscribers returned
// a subscriber's URL with its credentials (a password, a token in the
// query). The list redacts them; the answer that created it, like its
// secret, shows the URL as given.
func TestSubscriberURLCredentialsAreRedacted(t *testing.T) {
	f := newFixture(t)
	raw := "https://ops:hunter2-password@hooks.example.com/status?team=sre&token=s3cr3t-token"
	a := f.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: raw})
	if a.status != http.StatusCreated {
		t.Fatalf("subscribe: %s", a)
	}
	var sub admin.Subscriber
	json.Unmarshal(a.body, &sub)
	if sub.URL != raw {
		t.Errorf("the creating answer's url %q, want it as given", sub.URL)
	}
	a = f.do("GET", "/api/admin/subscribers", nil)
	for _, secret := range []string{"hunter2-password", "s3cr3t-token", "sre"} {
		if strings.Contains(string(a.body), secret) {
			t.Errorf("list shows %q: %s", secret, a.body)
		}
	}
	var list admin.Subscribers
	json.Unmarshal(a.body, &list)
	if want := "https://ops:xxxxx@hooks.example.com/status?team=xxxxx&token=xxxxx"; len(list.Subscribers) != 1 || list.Subscribers[0].URL != want {
		t.Errorf("list: %s, want the url %q", a.body, want)
	}
}

// Regression test for issue 11 item 6: a subscriber could be an internal
// address (loopback, the cloud metadata service, a private network). One
// named by its address or as localhost is refused when subscribing, unless
// the page allows private webhooks; a name is checked at each delivery.
func TestInternalSubscribersAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data/",
		"https://10.1.2.3/hook", "http://[::1]/hook", "http://[::ffff:192.168.1.1]/hook", "http://0.0.0.0/hook"} {
		a := f.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: u})
		if a.status != http.StatusBadRequest {
			t.Errorf("subscribe %s: got %s, want 400", u, a)
			continue
		}
		if _, msg := a.errorCode(t); !strings.Contains(msg, "url: ") || !strings.Contains(msg, "internal address") || !strings.Contains(msg, "allowPrivate") {
			t.Errorf("subscribe %s: message %q, want it to name the url, say why and how to allow it", u, msg)
		}
	}
	if a := f.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: "https://hooks.example.com/status"}); a.status != http.StatusCreated {
		t.Errorf("a public receiver: got %s, want 201", a)
	}
	inside := newFixture(t, admin.WithPrivateWebhooks(true))
	if a := inside.do("POST", "/api/admin/subscribers", admin.SubscriberRequest{URL: "http://10.1.2.3/hook"}); a.status != http.StatusCreated {
		t.Errorf("with private webhooks allowed: got %s, want 201", a)
	}
}

func TestStoreFailures(t *testing.T) {
	tests := []struct {
		name    string
		fault   error
		status  int
		code    string
		message string
		logged  string
	}{
		{"another writer won every retry", &headroom.Error{Code: headroom.ECONFLICT, Message: "incident \"x\": written meanwhile"}, 409, "conflict", "", ""},
		{"the database is down", &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "dial tcp 10.0.0.5:5432: connection refused"}, 503, "unavailable",
			"the store is unavailable; try again", "10.0.0.5:5432"},
		{"the disk is full", errors.New("sqlite: database or disk is full"), 500, "internal", "internal error", "disk is full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			inc := f.open(admin.OpenRequest{Name: "Elevated errors", Body: "Investigating."})
			f.store.fail(tt.fault)
			a := f.do("POST", "/api/admin/incidents/"+inc.ID+"/updates", admin.UpdateRequest{Status: "identified", Body: "Found it."})
			if a.status != tt.status {
				t.Fatalf("got %s, want %d", a, tt.status)
			}
			code, msg := a.errorCode(t)
			if code != tt.code || (tt.message != "" && msg != tt.message) {
				t.Errorf("got %q %q, want %q %q", code, msg, tt.code, tt.message)
			}
			if tt.logged != "" {
				if strings.Contains(msg, tt.logged) {
					t.Errorf("the answer shows the cause %q to the client: %s", tt.logged, msg)
				}
				if !strings.Contains(f.log.String(), tt.logged) {
					t.Errorf("the log does not have the cause %q:\n%s", tt.logged, f.log.String())
				}
			}
		})
	}
}

func TestTokenStoreDownIsNot401(t *testing.T) {
	f := newFixture(t)
	f.store.failTokens(&headroom.Error{Code: headroom.EUNAVAILABLE, Message: "connection refused"})
	for range admin.DefaultBadTokenBurst + 2 {
		a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, "")
		if a.status != http.StatusServiceUnavailable {
			t.Fatalf("got %s, want 503: the token cannot be checked, it is not bad (nor counted as bad)", a)
		}
	}
	f.store.failTokens(nil)
	if a := f.request("GET", "/api/admin/subscribers", "Bearer "+f.token, nil, ""); a.status != http.StatusOK {
		t.Errorf("store back: got %s, want 200", a)
	}
}

// faultyStore is a memory.Incidents whose writes and token reads fail on
// demand.
type faultyStore struct {
	*memory.Incidents
	mu                  sync.Mutex
	commitErr, tokenErr error
}

func (s *faultyStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commitErr = err
}

func (s *faultyStore) failTokens(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenErr = err
}

func (s *faultyStore) Commit(ctx context.Context, c *incident.Change) error {
	s.mu.Lock()
	err := s.commitErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Incidents.Commit(ctx, c)
}

func (s *faultyStore) Tokens(ctx context.Context) ([]incident.Token, error) {
	s.mu.Lock()
	err := s.tokenErr
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.Incidents.Tokens(ctx)
}

// Whatever the body, the answer is a 201 or a 4xx with the error JSON,
// never a 500.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"x","body":"y"}`,
		`{"name":"x","body":"y","components":{"website":"major_outage"},"started_at":"2021-06-30T17:00:00Z"}`,
		`{"name":"x","body":"y","status":"resolved"}`,
		`{"name":"","body":"y","impact":"critical"}`,
		`{"status":"identified","body":"y"}`,
		`[`, `null`, `{"name":1}`, "{\"name\":\"\xff\"}", `{"components":{"":""}}`,
	} {
		f.Add(seed)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/api/admin/incidents", "/api/admin/maintenances", "/api/admin/subscribers", "/api/admin/components/website"} {
			method := "POST"
			if strings.HasPrefix(path, "/api/admin/components/") {
				method = "PUT"
			}
			a := send(t, http.DefaultClient, fx.srv.URL, method, path, "Bearer "+fx.token, []byte(body), "application/json")
			if a.status >= 500 || (a.status/100 != 2 && a.status/100 != 4) {
				t.Fatalf("%s %s %q: got %s", method, path, body, a)
			}
			if a.status/100 == 4 {
				var eb admin.ErrorBody
				if err := json.Unmarshal(a.body, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
					t.Fatalf("%s %q: error answer %s is not the error JSON", path, body, a.body)
				}
			}
		}
	})
}

// Every channel is added, listed and removed through the API: an email
// subscriber pending with its confirmation queued (or confirmed when the
// operator skips it), Slack and Teams with their credential URLs hidden
// once created, and bad combinations refused with the field named.
func TestSubscriberChannels(t *testing.T) {
	f := newFixture(t)
	add := func(req admin.SubscriberRequest) admin.Subscriber {
		t.Helper()
		a := f.do("POST", "/api/admin/subscribers", req)
		if a.status != http.StatusCreated {
			t.Fatalf("subscribe %+v: %s", req, a)
		}
		var sub admin.Subscriber
		json.Unmarshal(a.body, &sub)
		return sub
	}
	pending := add(admin.SubscriberRequest{Channel: incident.ChannelEmail, Email: "Ops <ops@example.com>", Components: []string{"website"}})
	if pending.Channel != incident.ChannelEmail || pending.Email != "ops@example.com" || pending.ConfirmedAt != nil || pending.Secret != "" {
		t.Errorf("email subscriber %+v: want ops@example.com, pending, no token shown", pending)
	}
	confirmed := add(admin.SubscriberRequest{Channel: incident.ChannelEmail, Email: "oncall@example.com", SkipConfirmation: true})
	if confirmed.ConfirmedAt == nil {
		t.Errorf("skip_confirmation: %+v, want it confirmed", confirmed)
	}
	slackURL := "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
	slack := add(admin.SubscriberRequest{Channel: incident.ChannelSlack, URL: slackURL})
	if slack.URL != slackURL || slack.Secret != "" {
		t.Errorf("slack subscriber's creating answer %+v: want its URL as given, no secret", slack)
	}
	add(admin.SubscriberRequest{Channel: incident.ChannelTeams, URL: "https://acme.webhook.office.com/webhookb2/SECRETPATH"})

	q, err := f.store.Queued(t.Context(), 10)
	if err != nil || len(q) != 1 || q[0].SubscriberID != pending.ID || string(q[0].Payload) != string(incident.ConfirmPayload) {
		t.Errorf("outbox %+v (%v): want the pending subscriber's confirmation only", q, err)
	}

	a := f.do("GET", "/api/admin/subscribers", nil)
	for _, secret := range []string{"XXXXSECRET", "SECRETPATH"} {
		if strings.Contains(string(a.body), secret) {
			t.Errorf("the list shows %q: %s", secret, a.body)
		}
	}
	var list admin.Subscribers
	json.Unmarshal(a.body, &list)
	channels := map[incident.Channel]int{}
	for _, s := range list.Subscribers {
		channels[s.Channel]++
	}
	if len(list.Subscribers) != 4 || channels[incident.ChannelEmail] != 2 || channels[incident.ChannelSlack] != 1 || channels[incident.ChannelTeams] != 1 {
		t.Errorf("list: %s", a.body)
	}
	if a := f.do("DELETE", "/api/admin/subscribers/"+pending.ID, nil); a.status != http.StatusNoContent {
		t.Errorf("remove: %s", a)
	}

	for name, tt := range map[string]struct {
		req   admin.SubscriberRequest
		field string
	}{
		"an unknown channel":      {admin.SubscriberRequest{Channel: "sms", URL: "https://example.com"}, "channel"},
		"email without address":   {admin.SubscriberRequest{Channel: incident.ChannelEmail}, "email"},
		"email with a bad one":    {admin.SubscriberRequest{Channel: incident.ChannelEmail, Email: "nope"}, "email"},
		"email with a url":        {admin.SubscriberRequest{Channel: incident.ChannelEmail, Email: "a@example.com", URL: "https://example.com"}, "url"},
		"slack without a url":     {admin.SubscriberRequest{Channel: incident.ChannelSlack}, "url"},
		"a webhook with an email": {admin.SubscriberRequest{URL: "https://example.com", Email: "a@example.com"}, "email"},
	} {
		a := f.do("POST", "/api/admin/subscribers", tt.req)
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), tt.field) {
			t.Errorf("%s: %s, want 400 naming %s", name, a, tt.field)
		}
	}
}
