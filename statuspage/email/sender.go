package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// TLS is how a Sender secures its SMTP connection: the one definition of
// the modes spec.page.smtp.tls names.
type TLS string

const (
	// TLSAuto uses STARTTLS when the server offers it, and sends in the
	// clear when it does not (RFC 3207's opportunistic use). The default.
	TLSAuto TLS = "auto"
	// TLSStartTLS requires STARTTLS: a server that does not offer it is a
	// failed attempt.
	TLSStartTLS TLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465, RFC 8314).
	TLSImplicit TLS = "tls"
	// TLSNone never uses TLS: a relay on loopback.
	TLSNone TLS = "none"
)

// TLSModes lists the modes, for errors and help.
var TLSModes = []TLS{TLSAuto, TLSStartTLS, TLSImplicit, TLSNone}

// Sender mails email deliveries through one SMTP server; it is the
// Worker's webhook.Mailer.
type Sender struct {
	// Addr is the SMTP server, host:port.
	Addr string
	// From is the sender of every mail.
	From mail.Address
	// Username and Password, when Username is set, authenticate with
	// AUTH PLAIN, which net/smtp sends only over TLS or to loopback.
	Username, Password string
	TLS                TLS
	// TLSConfig is the TLS client's configuration; nil for the system's
	// roots and the server's host name.
	TLSConfig *tls.Config
	// Page names the status page in mails and is the base of their links.
	Page Page
	// Hello is the name this client gives in EHLO (spec.page.smtp.helo),
	// a domain name or an address; "" for the host of Page.URL, else the
	// machine's name (see helloName).
	Hello string
}

var _ webhook.Mailer = (*Sender)(nil)

// Mail builds d's mail and sends it in one SMTP session. A failure at any
// step (the server down, a refusal, ctx ending) is returned for the
// Worker to try again later.
func (s *Sender) Mail(ctx context.Context, d incident.Delivery) error {
	msg, err := Build(s.Page, s.From, d)
	if err != nil {
		return err
	}
	return s.send(ctx, msg)
}

func (s *Sender) send(ctx context.Context, msg Message) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: address %q: %w", s.Addr, err)
	}
	conf := s.TLSConfig
	if conf == nil {
		conf = &tls.Config{ServerName: host}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if s.TLS == TLSImplicit {
		tc := tls.Client(conn, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: TLS: %w", err)
		}
		conn = tc
	}
	// net/smtp has no context: the connection's deadline is ctx's, and
	// ctx ending closes it.
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := s.session(c, conf, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp: %w (%w)", ctx.Err(), err)
		}
		return err
	}
	return nil
}

// session says hello, secures and authenticates as configured, and sends
// msg.
func (s *Sender) session(c *smtp.Client, conf *tls.Config, msg Message) error {
	if err := c.Hello(s.helloName()); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.TLS == TLSAuto || s.TLS == TLSStartTLS || s.TLS == "" {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case offered:
			if err := c.StartTLS(conf); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		case s.TLS == TLSStartTLS:
			return errors.New("smtp: the server does not offer STARTTLS, which spec.page.smtp.tls: starttls requires")
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, hostOf(s.Addr))); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(msg.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(msg.To); err != nil {
		// A 5xx here is this address refused for good (RFC 5321 section
		// 4.2.1: "permanent negative completion"), such as 550 no such
		// mailbox: retrying it every hour forever helps no one.
		var reply *textproto.Error
		if errors.As(err, &reply) && reply.Code/100 == 5 {
			return fmt.Errorf("smtp: RCPT TO: %w: %w", webhook.ErrRefused, err)
		}
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg.Data); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	// The server's answer to the end of DATA is its acceptance.
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of DATA: %w", err)
	}
	c.Quit() // the mail was taken at the end of DATA: a failed QUIT loses nothing, and a retry would send it twice
	return nil
}

// helloName is the name given in EHLO: RFC 5321 section 4.1.1.1 asks for
// the client's fully-qualified domain name, or an address literal when it
// has none (section 4.1.3), and receiving servers distrust "localhost".
// https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.1
func (s *Sender) helloName() string {
	if s.Hello != "" {
		return helloLiteral(s.Hello)
	}
	if u, err := url.Parse(s.Page.URL); err == nil && u.Hostname() != "" {
		return helloLiteral(u.Hostname())
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		return helloLiteral(name)
	}
	return "localhost"
}

// helloLiteral is host as EHLO names it: a domain name as it is, an
// address as an address literal ("[192.0.2.7]", "[IPv6:2001:db8::7]").
func helloLiteral(host string) string {
	addr, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return host
	case addr.Is4() || addr.Is4In6():
		return "[" + addr.Unmap().String() + "]"
	default:
		return "[IPv6:" + addr.WithZone("").String() + "]"
	}
}

func hostOf(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return host
}
