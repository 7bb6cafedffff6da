package config

import (
	"net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// SMTP is spec.page.smtp: the server the status page's email subscribers'
// mail leaves through. Without it the page offers no email subscription.
type SMTP struct {
	Host string
	// Port is 587 (submission) by default, 465 with TLS "tls".
	Port int
	// From is the mails' sender, an RFC 5322 address ("Acme Status
	// <status@acme.com>").
	From string
	// Username, when set, authenticates; PasswordEnv names the
	// environment variable that holds the password, so that the file
	// holds no secret.
	Username, PasswordEnv string
	// TLS is one of SMTPTLSModes: "auto" (STARTTLS when the server offers
	// it; the default), "starttls" (required), "tls" (from the first
	// byte), "none".
	TLS string
	// Helo (spec.page.smtp.helo) is the name the page's SMTP client
	// gives in EHLO, a domain name or an address; "" for the host of
	// spec.page.url (statuspage/email's Sender.Hello).
	Helo string
}

// SMTPTLSModes are the values of spec.page.smtp.tls: statuspage/email's
// TLS modes (cmd/headroom's TestSMTPModesAgree keeps the two lists equal).
var SMTPTLSModes = []string{"auto", "starttls", "tls", "none"}

// pageSMTPYAML is spec.page.smtp.
type pageSMTPYAML struct {
	Host        string `yaml:"host"`
	Port        int    `yaml:"port"`
	From        string `yaml:"from"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"passwordEnv"`
	TLS         string `yaml:"tls"`
	Helo        string `yaml:"helo"`
}

// smtp checks spec.page.smtp; pageURL is spec.page.url, which the mails'
// links need.
func (p *parser) smtp(at string, s *pageSMTPYAML, pageURL string) *SMTP {
	if s == nil {
		return nil
	}
	out := &SMTP{Host: s.Host, Port: s.Port, From: s.From, Username: s.Username, PasswordEnv: s.PasswordEnv, TLS: s.TLS, Helo: s.Helo}
	if out.TLS == "" {
		out.TLS = "auto"
	}
	if !slices.Contains(SMTPTLSModes, out.TLS) {
		p.fail(at+".tls", s.TLS, "one of "+strings.Join(SMTPTLSModes, ", ")+" (auto: STARTTLS when the server offers it)")
	}
	if out.Port == 0 {
		out.Port = 587
		if out.TLS == "tls" {
			out.Port = 465
		}
	}
	if strings.TrimSpace(s.Host) == "" {
		p.fail(at+".host", s.Host, "the SMTP server's host name, such as smtp.example.com")
	}
	if out.Port < 1 || out.Port > 65535 {
		p.fail(at+".port", strconv.Itoa(s.Port), "a TCP port, 1 to 65535 (587 when omitted, 465 with tls: tls)")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		p.fail(at+".from", s.From, "the mails' sender, an address such as \"Acme Status <status@acme.com>\"")
	}
	if s.PasswordEnv != "" && s.Username == "" {
		p.fail(at+".username", s.Username, "the SMTP user whose password passwordEnv names")
	}
	if s.Username != "" && out.TLS == "none" && !loopbackHost(s.Host) {
		// net/smtp's PLAIN auth refuses to send a password in the clear
		// except to localhost: every mail would fail at AUTH.
		// https://pkg.go.dev/net/smtp#PlainAuth
		p.fail(at+".tls", s.TLS, "auto, starttls or tls when a username is set: the password is never sent in the clear to "+s.Host)
	}
	if s.Helo != "" && !domainName().MatchString(s.Helo) && !isAddr(s.Helo) {
		p.fail(at+".helo", s.Helo, "the name the mails' sender gives the SMTP server in EHLO: this machine's domain name, such as mail.example.com, or its address (the host of spec.page.url when omitted)")
	}
	if pageURL == "" {
		p.fail(at, "", "spec.page.url set too: the mails' confirm and unsubscribe links start with it")
	}
	return out
}

// domainName is a domain name of letters, digits and hyphens (RFC 5321
// section 4.1.2's Domain), for EHLO.
// https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2
var domainName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
})

// isAddr says whether s is an IPv4 or IPv6 address.
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// loopbackHost is the hosts net/smtp's PlainAuth sends a password to
// without TLS.
func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}
