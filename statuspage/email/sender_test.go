package email_test

import (
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/mailtest"
	"github.com/headroomhq/headroom/statuspage/email"
)

// Regression test for EHLO saying "localhost" whatever the sender: RFC 5321
// section 4.1.1.1 asks for the client's fully-qualified domain name (or an
// address literal), and receiving servers score "localhost" as spam. The
// name is the configured one, else the page's host, else the machine's;
// mailpit writes it in the Received header it adds.
func TestEHLONamesTheSender(t *testing.T) {
	hostname, err := os.Hostname()
	if err != nil {
		t.Skipf("os.Hostname: %v", err)
	}
	mp := mailtest.Start(t)
	for i, tt := range []struct {
		name, hello, pageURL, want string
	}{
		{"the configured name", "mail.acme.example", "https://status.acme.example", "mail.acme.example"},
		{"the page's host", "", "https://status.acme.example:8443/acme/", "status.acme.example"},
		{"the page's IPv4 address, as an address literal", "", "http://192.0.2.7:8080", "[192.0.2.7]"},
		{"the page's IPv6 address, as an address literal", "", "http://[2001:db8::7]/", "[IPv6:2001:db8::7]"},
		{"no page URL: the machine's name", "", "", hostname},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &email.Sender{Addr: mp.SMTPAddr, From: mail.Address{Address: "status@acme.example"}, TLS: email.TLSNone, Hello: tt.hello,
				Page: email.Page{Name: "Acme", URL: tt.pageURL}}
			d := incident.Delivery{ID: int64(i + 1), SubscriberID: "s" + tt.want, Channel: incident.ChannelEmail, Email: "reader@example.org",
				Secret: "t0ken", Payload: incident.ConfirmPayload, CreatedAt: time.Now()}
			if err := s.Mail(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			m := mp.Wait(t, 10*time.Second, i+1, nil)[i]
			received := strings.Join(m.Headers["Received"], "\n")
			if got, _, _ := strings.Cut(strings.TrimPrefix(received, "from "), " "); got != tt.want {
				t.Errorf("Received %q: EHLO %q, want %q", received, got, tt.want)
			}
		})
	}
}
