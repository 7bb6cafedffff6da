package email_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/mailtest"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/email"
	"github.com/headroomhq/headroom/statuspage/webhook"
	"github.com/headroomhq/headroom/store/sqlite"
)

// page is a status page as serve runs it, on a SQLite file, behind a
// loopback HTTP server: the Service, the public pages with the
// subscription pages in front, and the outbox's Worker mailing through an
// SMTP server.
type testPage struct {
	svc    *incident.Service
	db     *sqlite.DB
	srv    *httptest.Server
	worker *webhook.Worker
}

var components = []incident.Component{{ID: "api", Name: "API", Position: 1}, {ID: "web", Name: "Website", Position: 2}}

func openPage(t *testing.T, path, smtpAddr string) *testPage {
	t.Helper()
	ctx := t.Context()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := incident.Page{ID: "acme", Name: "Acme", URL: srv.URL}
	svc, err := incident.NewService(ctx, incident.Config{Store: db, Page: p, Components: components, Text: statuspage.MarkdownText})
	if err != nil {
		t.Fatal(err)
	}
	subs := &statuspage.Subscriptions{Next: statuspage.New(), Store: db, Enabled: true}
	subs.Publish(svc.Snapshot())
	svc.OnSnapshot = subs.Publish
	h = subs
	sender := &email.Sender{Addr: smtpAddr, From: mail.Address{Name: "Acme Status", Address: "status@acme.example"}, TLS: email.TLSAuto,
		Page: email.Page{Name: p.Name, URL: p.URL}}
	w := &webhook.Worker{Store: db, Mailer: sender, Logger: slog.New(slog.DiscardHandler), Timeout: 5 * time.Second}
	return &testPage{svc: svc, db: db, srv: srv, worker: w}
}

func (p *testPage) deliver(t *testing.T) {
	t.Helper()
	if err := p.worker.Once(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func (p *testPage) open(t *testing.T, name string, comps map[string]incident.ComponentStatus) {
	t.Helper()
	if _, err := p.svc.Open(t.Context(), incident.OpenIncident{Name: name, Body: "We are looking into " + name + ".", Components: comps}); err != nil {
		t.Fatal(err)
	}
}

// do sends a request and returns the status and body.
func do(t *testing.T, method, rawURL, form string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var confirmLink = regexp.MustCompile(`http://\S+/subscribe/confirm\?token=[A-Za-z0-9_-]+`)

// The whole double opt-in against a real SMTP server (mailpit): the form
// POSTed as a browser does, the confirmation mail read from the server and
// its link followed, an incident's mail with its List-Unsubscribe headers,
// a component the reader did not choose telling nothing, and a mail
// client's RFC 8058 one-click unsubscribe ending it all.
func TestDoubleOptInThroughSMTP(t *testing.T) {
	mp := mailtest.Start(t)
	p := openPage(t, filepath.Join(t.TempDir(), "page.db"), mp.SMTPAddr)

	code, hdr, body := do(t, http.MethodGet, p.srv.URL+"/subscribe", "")
	if code != http.StatusOK || !strings.Contains(body, `<form method="post"`) || !strings.Contains(body, `value="api"`) ||
		!strings.Contains(hdr.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Fatalf("GET /subscribe: %d, CSP %q, want the form with a checkbox per component, posting to self:\n%s", code, hdr.Get("Content-Security-Policy"), body)
	}
	if _, hdr, _ := do(t, http.MethodGet, p.srv.URL+"/", ""); strings.Contains(hdr.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Errorf("the status page's CSP %q allows forms; only the subscription pages should", hdr.Get("Content-Security-Policy"))
	}
	code, _, sent := do(t, http.MethodPost, p.srv.URL+"/subscribe", "email=reader%40example.org&component=api")
	if code != http.StatusOK || !strings.Contains(sent, "Check your inbox") {
		t.Fatalf("POST /subscribe: %d, want the check-your-inbox page:\n%s", code, sent)
	}
	if code, _, body := do(t, http.MethodPost, p.srv.URL+"/subscribe", "email=not-an-address"); code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("POST /subscribe of a bad address: %d, want 400 and the form marking it:\n%s", code, body)
	}

	p.deliver(t)
	confirmation := mp.Wait(t, 10*time.Second, 1, nil)[0]
	if !strings.Contains(confirmation.Subject, "Confirm your subscription") || len(confirmation.To) != 1 || confirmation.To[0].Address != "reader@example.org" {
		t.Fatalf("first mail: %q to %v, want the confirmation to reader@example.org", confirmation.Subject, confirmation.To)
	}
	link := confirmLink.FindString(confirmation.Text)
	if link == "" {
		t.Fatalf("confirmation mail has no confirm link:\n%s", confirmation.Text)
	}

	// Pending: an incident sends nothing yet.
	p.open(t, "API errors while pending", map[string]incident.ComponentStatus{"api": incident.MajorOutage})
	p.deliver(t)

	// Opening the link asks; pressing Confirm confirms.
	if code, _, body := do(t, http.MethodGet, link, ""); code != http.StatusOK || !strings.Contains(body, "<button") {
		t.Fatalf("GET %s: %d, want a Confirm button:\n%s", link, code, body)
	}
	if code, _, body := do(t, http.MethodPost, link, ""); code != http.StatusOK || !strings.Contains(body, "Subscribed") {
		t.Fatalf("POST %s: %d, want Subscribed:\n%s", link, code, body)
	}

	p.open(t, "Website slow", map[string]incident.ComponentStatus{"web": incident.DegradedPerformance})
	p.open(t, "API errors", map[string]incident.ComponentStatus{"api": incident.PartialOutage})
	p.deliver(t)
	mails := mp.Wait(t, 10*time.Second, 2, nil)
	if len(mails) != 2 {
		t.Fatalf("got %d mails, want 2 (the confirmation and the API incident's; not the pending one's nor the website's)", len(mails))
	}
	m := mails[1]
	if !strings.Contains(m.Subject, "API errors") || strings.Contains(m.Subject, "pending") {
		t.Errorf("incident mail subject %q, want the API incident's", m.Subject)
	}
	unsub := strings.Trim(strings.Join(m.Headers["List-Unsubscribe"], ""), "<>")
	if !strings.HasPrefix(unsub, p.srv.URL+"/unsubscribe?token=") || strings.Join(m.Headers["List-Unsubscribe-Post"], "") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q; want the one-click unsubscribe link", m.Headers["List-Unsubscribe"], m.Headers["List-Unsubscribe-Post"])
	}
	if !strings.Contains(m.Text, "Unsubscribe: "+unsub) {
		t.Errorf("incident mail's text lacks its unsubscribe link:\n%s", m.Text)
	}

	// RFC 8058 section 3.2: the mail client POSTs this body to the link.
	if code, _, body := do(t, http.MethodPost, unsub, "List-Unsubscribe=One-Click"); code != http.StatusOK || !strings.Contains(body, "Unsubscribed") {
		t.Fatalf("one-click POST %s: %d:\n%s", unsub, code, body)
	}
	subs, err := p.db.Subscribers(t.Context())
	if err != nil || len(subs) != 0 {
		t.Fatalf("subscribers after unsubscribing: %+v (%v), want none", subs, err)
	}
	p.open(t, "API down again", map[string]incident.ComponentStatus{"api": incident.MajorOutage})
	p.deliver(t)
	time.Sleep(200 * time.Millisecond)
	if all, _ := mp.Messages(t.Context()); len(all) != 2 {
		t.Errorf("%d mails after unsubscribing, want still 2", len(all))
	}
	if code, _, _ := do(t, http.MethodPost, unsub, "List-Unsubscribe=One-Click"); code != http.StatusNotFound {
		t.Errorf("a second one-click POST: %d, want 404 (no such subscription)", code)
	}
}

// Subscribing an address that is subscribed already answers exactly as a
// new one: the form tells nobody who subscribes. The second asking within
// the hour sends no second mail.
func TestSubscribeRevealsNothing(t *testing.T) {
	mp := mailtest.Start(t)
	p := openPage(t, filepath.Join(t.TempDir(), "page.db"), mp.SMTPAddr)
	_, _, first := do(t, http.MethodPost, p.srv.URL+"/subscribe", "email=reader%40example.org")
	code, _, second := do(t, http.MethodPost, p.srv.URL+"/subscribe", "email=reader%40example.org")
	_, _, other := do(t, http.MethodPost, p.srv.URL+"/subscribe", "email=someone-else%40example.org")
	if code != http.StatusOK || first != second || second != other {
		t.Errorf("answers differ between a new and a known address (status %d)", code)
	}
	p.deliver(t)
	mp.Wait(t, 10*time.Second, 2, nil)
	time.Sleep(200 * time.Millisecond)
	if all, _ := mp.Messages(t.Context()); len(all) != 2 {
		t.Errorf("%d mails, want 2: one per address", len(all))
	}
}

// helperEnv makes the test binary the writer process of
// TestKilledWriterLosesNoMail.
const helperEnv = "HEADROOM_EMAIL_TEST_WRITER"

// A mail queued by a write whose process is then killed with SIGKILL,
// while the SMTP server is down, arrives once the server is up and another
// process delivers: the outbox is in the write's transaction.
func TestKilledWriterLosesNoMail(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		writer(t)
		return
	}
	smtpAddr := mailtest.FreeAddr(t) // nothing listens there yet
	path := filepath.Join(t.TempDir(), "page.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterLosesNoMail$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path+" "+smtpAddr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	var ready bool
	for lines.Scan() {
		if lines.Text() == "WRITTEN" {
			ready = true
			break
		}
	}
	if !ready {
		t.Fatal("the writer process ended without writing")
	}
	// kill -9: no shutdown, no flush, nothing but what was committed.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	mp := mailtest.StartAt(t, smtpAddr)
	p := openPage(t, path, smtpAddr)
	queued, err := p.db.Queued(t.Context(), 10)
	if err != nil || len(queued) != 1 || queued[0].Attempts != 1 {
		t.Fatalf("outbox after the kill: %+v (%v), want the one mail, tried once", queued, err)
	}
	// Its retry is due after the backoff: the restarted process's clock
	// is past it.
	p.worker.Now = func() time.Time { return time.Now().Add(2 * webhook.DefaultMaxBackoff) }
	p.deliver(t)
	m := mp.Wait(t, 10*time.Second, 1, nil)[0]
	if !strings.Contains(m.Subject, "Database down") {
		t.Errorf("mail after the restart: %q, want the incident written before the kill", m.Subject)
	}
	if q, _ := p.db.Queued(t.Context(), 10); len(q) != 0 {
		t.Errorf("outbox after delivering: %d left, want 0", len(q))
	}
}

// writer is the killed process: it subscribes a confirmed reader, writes
// an incident, fails to mail it (no SMTP server), says so and waits for
// its end.
func writer(t *testing.T) {
	path, smtpAddr, _ := strings.Cut(os.Getenv(helperEnv), " ")
	p := openPage(t, path, smtpAddr)
	now := time.Now()
	if err := p.db.AddSubscriber(t.Context(), incident.Subscriber{ID: "reader", Channel: incident.ChannelEmail, Email: "reader@example.org",
		Secret: "t0ken", CreatedAt: now, ConfirmedAt: now}); err != nil {
		t.Fatal(err)
	}
	p.open(t, "Database down", map[string]incident.ComponentStatus{"api": incident.MajorOutage})
	p.deliver(t) // refused: nobody listens at smtpAddr
	q, err := p.db.Queued(t.Context(), 10)
	if err != nil || len(q) != 1 || q[0].Attempts != 1 {
		t.Fatalf("writer: outbox %+v (%v), want one failed attempt", q, err)
	}
	fmt.Println("WRITTEN")
	select {} // until killed
}

// Regression test for a mail the SMTP server refuses for good — a 5xx at
// RCPT TO, "no such mailbox" for a mistyped address — retried every hour
// forever: it now leaves the outbox at the first refusal, and the other
// reader's mail is delivered beside it.
func TestRefusedRecipientLeavesTheOutbox(t *testing.T) {
	mp := mailtest.Start(t, "--smtp-allowed-recipients", `^reader@example\.org$`)
	p := openPage(t, filepath.Join(t.TempDir(), "page.db"), mp.SMTPAddr)
	now := time.Now()
	for _, s := range []incident.Subscriber{
		{ID: "reader", Channel: incident.ChannelEmail, Email: "reader@example.org", Secret: "t0ken", CreatedAt: now, ConfirmedAt: now},
		{ID: "typo", Channel: incident.ChannelEmail, Email: "raeder@example.org", Secret: "t1ken", CreatedAt: now, ConfirmedAt: now},
	} {
		if err := p.db.AddSubscriber(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	p.open(t, "Database down", map[string]incident.ComponentStatus{"api": incident.MajorOutage})
	p.deliver(t)
	if got := mp.Wait(t, 10*time.Second, 1, nil); got[0].To[0].Address != "reader@example.org" {
		t.Errorf("delivered to %v, want the reader", got[0].To)
	}
	if q, err := p.db.Queued(t.Context(), 10); err != nil || len(q) != 0 {
		for _, d := range q {
			t.Logf("queued: delivery %d to %s, %d attempts, last error %q", d.ID, d.Email, d.Attempts, d.LastError)
		}
		t.Errorf("outbox after one round: %d queued (%v), want none: the refused mail is not retried", len(q), err)
	}
}
