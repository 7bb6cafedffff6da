package email

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// Page is what a mail says of the status page it comes from.
type Page struct {
	// Name is the page's name ("Acme"); URL its public address, the base
	// of the confirm and unsubscribe links.
	Name, URL string
}

// Paths of the links in mails, under the page's URL; the status page
// serves them (statuspage.Subscriptions).
const (
	ConfirmPath     = "/subscribe/confirm"
	UnsubscribePath = "/unsubscribe"
)

// ConfirmURL is the link that confirms the subscription of token.
func (p Page) ConfirmURL(token string) string {
	return strings.TrimRight(p.URL, "/") + ConfirmPath + "?token=" + url.QueryEscape(token)
}

// UnsubscribeURL is the link that ends the subscription of token.
func (p Page) UnsubscribeURL(token string) string {
	return strings.TrimRight(p.URL, "/") + UnsubscribePath + "?token=" + url.QueryEscape(token)
}

// Message is one mail, ready for SMTP's DATA.
type Message struct {
	From, To string // addr-specs, for the envelope
	Data     []byte
}

// Build makes the mail of delivery d from from: the confirmation when
// d.Payload is incident.ConfirmPayload, else the notification it carries.
//
// The Date is the delivery's CreatedAt and the Message-ID names the
// delivery, so an attempt made again after a lost answer sends the same
// message, which mail clients show once.
func Build(p Page, from mail.Address, d incident.Delivery) (Message, error) {
	to, err := mail.ParseAddress(d.Email)
	if err != nil {
		return Message{}, fmt.Errorf("subscriber %s: address %q: %w", d.SubscriberID, d.Email, err)
	}
	name := p.Name
	if name == "" {
		name = "Service"
	}
	unsubscribe := p.UnsubscribeURL(d.Secret)
	var subject string
	var body strings.Builder
	if bytes.Equal(d.Payload, incident.ConfirmPayload) {
		subject = "Confirm your subscription to " + name + " status updates"
		fmt.Fprintf(&body, "Someone, you we hope, asked to receive %s status updates at %s.\n\n", name, to.Address)
		fmt.Fprintf(&body, "To confirm, open this link and press Confirm:\n%s\n\n", p.ConfirmURL(d.Secret))
		body.WriteString("If you did not ask, ignore this mail: nothing more will be sent to you.\n")
	} else {
		n, err := incident.ReadNotice(d.Payload)
		if err != nil {
			return Message{}, fmt.Errorf("delivery %d: %w", d.ID, err)
		}
		subject = "[" + name + "] " + n.Subject()
		body.WriteString(n.Subject() + "\n\n")
		if n.Body != "" {
			body.WriteString(n.Body + "\n\n")
		}
		if len(n.Components) > 0 {
			body.WriteString("Affected components:\n")
			for _, c := range n.Components {
				body.WriteString("- " + c + "\n")
			}
			body.WriteString("\n")
		}
		if n.PageStatus != "" {
			fmt.Fprintf(&body, "%s status: %s\n", name, n.PageStatus)
		}
		if n.URL != "" {
			body.WriteString(n.URL + "\n")
		}
	}
	fmt.Fprintf(&body, "\n-- \nYou receive this mail because %s was subscribed to %s status updates.\nUnsubscribe: %s\n", to.Address, name, unsubscribe)

	var msg bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", (&mail.Address{Address: to.Address}).String())
	// mime.QEncoding leaves ASCII as it is and encodes the rest (RFC 2047).
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", d.CreatedAt.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+strconv.FormatInt(d.ID, 10)+"."+d.SubscriberID+"@"+domain(p.URL)+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: an automatic mail, which auto-responders do not answer.
	header("Auto-Submitted", "auto-generated")
	// RFC 2369 and RFC 8058: mail clients show an unsubscribe button,
	// which POSTs "List-Unsubscribe=One-Click" to the HTTPS link.
	header("List-Unsubscribe", "<"+unsubscribe+">")
	header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	msg.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&msg)
	qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n"))) // to memory: no error
	qp.Close()
	return Message{From: from.Address, To: to.Address, Data: msg.Bytes()}, nil
}

// domain is the host of the page's URL, for Message-IDs: "headroom.invalid"
// when it has none (RFC 2606 reserves .invalid).
func domain(pageURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil || u.Hostname() == "" {
		return "headroom.invalid"
	}
	return u.Hostname()
}
