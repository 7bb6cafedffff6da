package main

import (
	"slices"
	"testing"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/statuspage/email"
)

// config checks spec.page.smtp.tls against its own list (config does not
// import the mail sender): the two lists must be the same.
func TestSMTPModesAgree(t *testing.T) {
	var modes []string
	for _, m := range email.TLSModes {
		modes = append(modes, string(m))
	}
	if !slices.Equal(modes, config.SMTPTLSModes) {
		t.Errorf("email.TLSModes %q, config.SMTPTLSModes %q: want the same", modes, config.SMTPTLSModes)
	}
}

func TestSMTPSenderNeedsItsPassword(t *testing.T) {
	p := &config.Page{Name: "Acme", URL: "https://status.acme.test", Language: "de",
		SMTP: &config.SMTP{Host: "smtp.acme.test", Port: 587, From: "status@acme.test", Username: "u", PasswordEnv: "HEADROOM_TEST_SMTP_PASSWORD", TLS: "auto",
			Helo: "mail.acme.test"}}
	t.Setenv("HEADROOM_TEST_SMTP_PASSWORD", "")
	if _, err := smtpSender(p); err == nil {
		t.Error("no error with the password's variable empty")
	}
	t.Setenv("HEADROOM_TEST_SMTP_PASSWORD", "s3cret")
	m, err := smtpSender(p)
	if err != nil {
		t.Fatal(err)
	}
	s := m.(*email.Sender)
	if s.Addr != "smtp.acme.test:587" || s.Password != "s3cret" || s.From.Address != "status@acme.test" || s.Page.URL != p.URL || s.Hello != "mail.acme.test" || s.Page.Language != "de" {
		t.Errorf("sender %+v", s)
	}
	if m, err := smtpSender(&config.Page{Name: "Acme"}); m != nil || err != nil {
		t.Errorf("without smtp: %v, %v; want no mailer", m, err)
	}
}
