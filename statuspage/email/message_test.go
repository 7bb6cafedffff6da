package email_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/email"
	"github.com/headroomhq/headroom/statuspage/i18n"
)

var (
	page = email.Page{Name: "Bitbücket", URL: "https://status.example.com/"}
	from = mail.Address{Name: "Bitbücket Status", Address: "status@example.com"}
	at   = time.Date(2021, 6, 30, 17, 4, 5, 0, time.UTC)
)

// read parses a built mail as a receiver does and returns its header and
// decoded text.
func read(t *testing.T, m email.Message) (mail.Header, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("mail.ReadMessage: %v\n%s", err, m.Data)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q, want quoted-printable", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header, string(body)
}

func subject(t *testing.T, h mail.Header) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", h.Get("Subject"), err)
	}
	return s
}

// Every mail has RFC 5322's headers, an RFC 2047 subject, its unsubscribe
// link in the text and in RFC 2369 / RFC 8058 headers, and a Date and
// Message-ID that do not change from one attempt to the next.
func TestBuildHeaders(t *testing.T) {
	payload, err := os.ReadFile("../../incident/testdata/webhook-incident-opened.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	d := incident.Delivery{ID: 42, SubscriberID: "sub1", Channel: incident.ChannelEmail, Email: "Ops <ops@example.org>",
		Secret: "tok/en+1", Payload: payload, CreatedAt: at}
	m, err := email.Build(page, from, d)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "status@example.com" || m.To != "ops@example.org" {
		t.Errorf("envelope %s → %s, want status@example.com → ops@example.org", m.From, m.To)
	}
	h, body := read(t, m)
	unsubscribe := "https://status.example.com/unsubscribe?token=tok%2Fen%2B1"
	for name, want := range map[string]string{
		"List-Unsubscribe":      "<" + unsubscribe + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Message-Id":            "<42.sub1@status.example.com>",
		"Mime-Version":          "1.0",
		"Content-Type":          "text/plain; charset=utf-8",
		"Auto-Submitted":        "auto-generated",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if date, err := h.Date(); err != nil || !date.Equal(at) {
		t.Errorf("Date %q (%v), want %v", h.Get("Date"), err, at)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "ops@example.org" {
		t.Errorf("To %q (%v), want ops@example.org", h.Get("To"), err)
	}
	if f, err := h.AddressList("From"); err != nil || f[0].Name != "Bitbücket Status" {
		t.Errorf("From %q (%v), want the encoded name", h.Get("From"), err)
	}
	if got, want := subject(t, h), "[Bitbücket] Investigating: Bitbucket website and API services are returning 502 errors"; got != want {
		t.Errorf("Subject %q, want %q", got, want)
	}
	if strings.ContainsFunc(h.Get("Subject"), func(r rune) bool { return r > 127 }) {
		t.Errorf("Subject %q is not RFC 2047-encoded ASCII", h.Get("Subject"))
	}
	for _, want := range []string{"We are currently investigating", "- API: Partial Outage", "https://bitbucket.status.atlassian.com/incidents/id001", "Unsubscribe: " + unsubscribe} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	// Another attempt sends the same message.
	again, err := email.Build(page, from, d)
	if err != nil || !bytes.Equal(again.Data, m.Data) {
		t.Errorf("a second Build differs: %v", err)
	}
}

func TestBuildConfirmation(t *testing.T) {
	d := incident.Delivery{ID: 7, SubscriberID: "sub1", Channel: incident.ChannelEmail, Email: "ops@example.org",
		Secret: "abc_DEF-123", Payload: incident.ConfirmPayload, CreatedAt: at}
	m, err := email.Build(page, from, d)
	if err != nil {
		t.Fatal(err)
	}
	h, body := read(t, m)
	if got := subject(t, h); got != "Confirm your subscription to Bitbücket status updates" {
		t.Errorf("Subject %q", got)
	}
	for _, want := range []string{"https://status.example.com/subscribe/confirm?token=abc_DEF-123", "ignore this mail",
		"Unsubscribe: https://status.example.com/unsubscribe?token=abc_DEF-123"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	for name, d := range map[string]incident.Delivery{
		"no address":      {ID: 1, Payload: incident.ConfirmPayload},
		"a bad address":   {ID: 1, Email: "not an address", Payload: incident.ConfirmPayload},
		"an odd payload":  {ID: 1, Email: "a@example.org", Payload: []byte(`{"x":1}`)},
		"a header inject": {ID: 1, Email: "a@example.org\r\nBcc: b@example.org", Payload: incident.ConfirmPayload},
	} {
		if _, err := email.Build(page, from, d); err == nil {
			t.Errorf("Build with %s: no error", name)
		}
	}
}

// FuzzBuild: whatever an incident's name and update say, and whatever
// address the form took, the mail parses back with exactly its own
// headers (no header injected through a name or an address) and one
// recipient.
func FuzzBuild(f *testing.F) {
	f.Add("API errors", "We are investigating.", "ops@example.org")
	f.Add("Ünïcödé — 障害", "line\r\nBcc: victim@example.org", "\"A B\" <a@example.org>")
	f.Add("x\r\nBcc: victim@example.org", "", "a@example.org")
	f.Fuzz(func(t *testing.T, name, body, addr string) {
		payload, err := json.Marshal(map[string]any{"page": map[string]any{"id": "p"},
			"incident": map[string]any{"name": name, "status": "investigating", "incident_updates": []any{map[string]any{"body": body}}}})
		if err != nil {
			return
		}
		m, err := email.Build(page, from, incident.Delivery{ID: 1, SubscriberID: "s", Email: addr, Secret: "tok", Payload: payload, CreatedAt: at})
		if err != nil {
			return // an address net/mail refuses
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("the mail does not parse: %v\n%q", err, m.Data)
		}
		for k := range msg.Header {
			switch k {
			case "From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type", "Content-Language", "Content-Transfer-Encoding",
				"Auto-Submitted", "List-Unsubscribe", "List-Unsubscribe-Post":
			default:
				t.Fatalf("header %q injected:\n%q", k, m.Data)
			}
		}
		if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != m.To {
			t.Fatalf("To %q (%v), want the one address %q", msg.Header.Get("To"), err, m.To)
		}
	})
}

// mailEnglish are the English sentences the mails had before they went
// through the catalog, and sameInEnglish the catalog's texts a translation
// may keep: names and abbreviations.
var (
	mailEnglish = []string{"Confirm your subscription", "Someone, you we hope", "To confirm, open this link", "ignore this mail",
		"Affected components", "You receive this mail because", "Unsubscribe:", "status:", "Investigating", "Partial outage",
		"Degraded performance", "Scheduled", "Postmortem", "Partial System Outage", "Partially Degraded Service", "All Systems Operational"}
	sameInEnglish = map[string]bool{"Atom": true, "RSS": true, "API": true, "headroom": true, "min": true, "Service": true, "Pages": true,
		"Page": true, "Status": true, "maintenance": true}
)

// Every mail speaks the page's language (spec.page.language), as its pages
// do: built in another language, a mail's subject and text have none of
// English's texts left, once the incident's own words (its name, its
// update, its components' names) and the links are taken out. The pattern
// of the pages' TestEveryPageInEveryLanguage.
func TestMailsInEveryLanguage(t *testing.T) {
	en, err := i18n.Lookup("en")
	if err != nil {
		t.Fatal(err)
	}
	english := slices.Clone(mailEnglish)
	for key, msg := range en.Messages {
		if !strings.HasPrefix(key, "mail.") && !strings.HasPrefix(key, "status.") && !strings.HasPrefix(key, "component.") && !strings.HasPrefix(key, "banner.") {
			continue
		}
		for _, part := range regexp.MustCompile(`\{\d\}`).Split(msg, -1) {
			if part = strings.Trim(part, " .,:;-()[]"); len([]rune(part)) >= 3 && !sameInEnglish[part] {
				english = append(english, part)
			}
		}
	}
	deliveries := map[string]incident.Delivery{"confirmation": {ID: 1, SubscriberID: "s", Email: "ops@example.org", Secret: "tok", Payload: incident.ConfirmPayload, CreatedAt: at}}
	for _, golden := range []string{"incident-opened", "incident-postmortem", "component", "maintenance-scheduled"} {
		payload, err := os.ReadFile("../../incident/testdata/webhook-" + golden + ".golden.json")
		if err != nil {
			t.Fatal(err)
		}
		deliveries[golden] = incident.Delivery{ID: 2, SubscriberID: "s", Email: "ops@example.org", Secret: "tok", Payload: payload, CreatedAt: at}
	}
	for _, lang := range i18n.Supported() {
		if lang == "en" {
			continue
		}
		t.Run(lang, func(t *testing.T) {
			c, err := i18n.Lookup(lang)
			if err != nil {
				t.Fatal(err)
			}
			p := page
			p.Language = lang
			for kind, d := range deliveries {
				m, err := email.Build(p, from, d)
				if err != nil {
					t.Fatal(err)
				}
				h, body := read(t, m)
				if got := h.Get("Content-Language"); got != lang {
					t.Errorf("%s: Content-Language %q, want %q", kind, got, lang)
				}
				text := subject(t, h) + "\n" + body
				if unsubscribe := strings.TrimSpace(strings.Split(c.T("mail.unsubscribe", ""), "\n")[0]); !strings.Contains(text, unsubscribe) {
					t.Errorf("%s: no %q in:\n%s", kind, unsubscribe, text)
				}
				// The incident's own words, and the links and address.
				text = regexp.MustCompile(`https?://\S+|\S+@\S+`).ReplaceAllString(text, " ")
				if !bytes.Equal(d.Payload, incident.ConfirmPayload) {
					n, err := incident.ReadNotice(d.Payload)
					if err != nil {
						t.Fatal(err)
					}
					for _, own := range append([]string{n.Title, n.Body}, componentNames(n)...) {
						if own != "" {
							text = strings.ReplaceAll(text, own, " ")
						}
					}
				}
				for _, e := range english {
					if regexp.MustCompile(`(^|\P{L})` + regexp.QuoteMeta(e) + `($|\P{L})`).MatchString(text) {
						t.Errorf("%s in %s: English %q is left:\n%s", kind, lang, e, text)
					}
				}
			}
		})
	}
}

// componentNames are the names of a notice's components.
func componentNames(n incident.Notice) []string {
	var out []string
	for _, c := range n.Components {
		name, _, _ := strings.Cut(c, ": ")
		out = append(out, name)
	}
	return out
}
