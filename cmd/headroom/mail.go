package main

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/statuspage/email"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// smtpSender is the Mailer of spec.page.smtp, nil without one: email
// subscribers' mail then waits in the outbox. The password is read from
// the environment variable passwordEnv names, here, at start: an unset one
// is an error now rather than a failed login at the first mail.
func smtpSender(p *config.Page) (webhook.Mailer, error) {
	c := p.SMTP
	if c == nil {
		return nil, nil
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("spec.page.smtp.from %q: %w", c.From, err) // checked by config: a bug
	}
	var password string
	if c.PasswordEnv != "" {
		if password = os.Getenv(c.PasswordEnv); password == "" {
			return nil, fmt.Errorf("spec.page.smtp.passwordEnv: the environment variable %s is unset or empty; want the SMTP password of %s in it", c.PasswordEnv, c.Username)
		}
	}
	return &email.Sender{Addr: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), From: *from, Username: c.Username, Password: password,
		TLS: email.TLS(c.TLS), Hello: c.Helo, Page: email.Page{Name: p.Name, URL: p.URL, Language: p.Language}}, nil
}
