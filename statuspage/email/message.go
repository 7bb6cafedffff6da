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
	"github.com/headroomhq/headroom/statuspage/i18n"
)

// Page is what a mail says of the status page it comes from.
type Page struct {
	// Name is the page's name ("Acme"); URL its public address, the base
	// of the confirm and unsubscribe links.
	Name, URL string
	// Language is the page's language (spec.page.language), a tag
	// i18n.Lookup knows; "" for English. The mails are written in it.
	Language string
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
	lang, err := i18n.Lookup(p.Language)
	if err != nil {
		return Message{}, fmt.Errorf("page language: %w", err)
	}
	name := p.Name
	if name == "" {
		name = lang.T("page.default_name")
	}
	unsubscribe := p.UnsubscribeURL(d.Secret)
	var subject string
	var body strings.Builder
	if bytes.Equal(d.Payload, incident.ConfirmPayload) {
		subject = lang.T("mail.confirm_subject", name)
		body.WriteString(lang.T("mail.confirm_asked", name, to.Address) + "\n\n")
		body.WriteString(lang.T("mail.confirm_link", lang.T("subscribe.confirm_button")) + "\n" + p.ConfirmURL(d.Secret) + "\n\n")
		body.WriteString(lang.T("mail.confirm_ignore") + "\n")
	} else {
		n, err := incident.ReadNotice(d.Payload)
		if err != nil {
			return Message{}, fmt.Errorf("delivery %d: %w", d.ID, err)
		}
		summary := noticeSummary(lang, n)
		subject = "[" + name + "] " + summary
		body.WriteString(summary + "\n\n")
		if n.Body != "" {
			body.WriteString(n.Body + "\n\n")
		}
		if len(n.Affected) > 0 {
			body.WriteString(lang.T("mail.components") + "\n")
			for _, c := range n.Affected {
				body.WriteString("- " + c.Name + ": " + componentStatus(lang, c.Status) + "\n")
			}
			body.WriteString("\n")
		}
		if n.PageStatus != "" {
			body.WriteString(lang.T("mail.page_status", name, pageStatus(lang, n.PageStatus)) + "\n")
		}
		if n.URL != "" {
			body.WriteString(n.URL + "\n")
		}
	}
	body.WriteString("\n-- \n" + lang.T("mail.footer", to.Address, name) + "\n" + lang.T("mail.unsubscribe", unsubscribe) + "\n")

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
	// RFC 3282: the language the text is written in.
	header("Content-Language", lang.Lang)
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

// noticeSummary is n's one line in the language: "Investigating: API
// errors", a component's "Major Outage: API", or its title alone.
func noticeSummary(lang *i18n.Catalog, n incident.Notice) string {
	var status string
	switch {
	case n.StatusCode == "":
		return n.Title
	case n.Component:
		status = componentStatus(lang, incident.ComponentStatus(n.StatusCode))
	default:
		status = orAsIs(lang, "status."+n.StatusCode, n.StatusCode)
	}
	return status + ": " + n.Title
}

// componentStatus is a component's status as the page writes it in its
// language ("Major Outage"); one the catalog does not know, as it is.
func componentStatus(lang *i18n.Catalog, s incident.ComponentStatus) string {
	return orAsIs(lang, "component."+string(s), string(s))
}

// pageStatusKeys are the messages of the page's status descriptions, as
// statuspage's bannerKeys.
var pageStatusKeys = map[string]string{
	incident.DescriptionOperational:        "banner.operational",
	incident.DescriptionMaintenance:        "banner.maintenance",
	incident.DescriptionPartiallyDegraded:  "banner.partially_degraded",
	incident.DescriptionDegraded:           "banner.degraded",
	incident.DescriptionMinorOutage:        "banner.minor_outage",
	incident.DescriptionPartialOutage:      "banner.partial_outage",
	incident.DescriptionMajorSystemOutage:  "banner.major_system_outage",
	incident.DescriptionMajorServiceOutage: "banner.major_service_outage",
}

// pageStatus is the page's status description ("Partial System Outage")
// in its language; one the catalog does not know, as it is.
func pageStatus(lang *i18n.Catalog, description string) string {
	return orAsIs(lang, pageStatusKeys[description], description)
}

// orAsIs is the message key, or s when the catalog lacks it.
func orAsIs(lang *i18n.Catalog, key, s string) string {
	if msg, ok := lang.Messages[key]; ok {
		return msg
	}
	return s
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
