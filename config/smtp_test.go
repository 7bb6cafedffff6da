package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadSMTP(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       *SMTP
	}{
		{"the defaults: port 587, STARTTLS when offered", "    smtp: {host: smtp.example.com, from: status@example.com}\n",
			&SMTP{Host: "smtp.example.com", Port: 587, From: "status@example.com", TLS: "auto"}},
		{"implicit TLS: port 465", "    smtp: {host: smtp.example.com, from: \"Acme <s@example.com>\", tls: tls, username: u, passwordEnv: SMTP_PASSWORD}\n",
			&SMTP{Host: "smtp.example.com", Port: 465, From: "Acme <s@example.com>", TLS: "tls", Username: "u", PasswordEnv: "SMTP_PASSWORD"}},
		{"the name given in EHLO", "    smtp: {host: smtp.example.com, from: status@example.com, helo: mail.example.com}\n",
			&SMTP{Host: "smtp.example.com", Port: 587, From: "status@example.com", TLS: "auto", Helo: "mail.example.com"}},
		{"an address given in EHLO", "    smtp: {host: smtp.example.com, from: status@example.com, helo: \"2001:db8::7\"}\n",
			&SMTP{Host: "smtp.example.com", Port: 587, From: "status@example.com", TLS: "auto", Helo: "2001:db8::7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, "    components:\n", tt.yaml+"    components:\n", 1)})
			cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Page.SMTP, tt.want) {
				t.Errorf("SMTP = %+v, want %+v", cfg.Page.SMTP, tt.want)
			}
		})
	}
}

func TestSMTPErrors(t *testing.T) {
	for _, tt := range []struct {
		name, smtp string
		want       string // field
	}{
		{"no host", "{from: s@example.com}", "spec.page.smtp.host"},
		{"a bad sender", "{host: h, from: not-an-address}", "spec.page.smtp.from"},
		{"an unknown TLS mode", "{host: h, from: s@example.com, tls: ssl}", "spec.page.smtp.tls"},
		{"a port out of range", "{host: h, from: s@example.com, port: 70000}", "spec.page.smtp.port"},
		{"a password without a user", "{host: h, from: s@example.com, passwordEnv: P}", "spec.page.smtp.username"},
		// Regression test: every send failed at AUTH, found at the first mail.
		{"a password in the clear", "{host: smtp.example.com, from: s@example.com, username: u, passwordEnv: P, tls: none}", "spec.page.smtp.tls"},
		{"an EHLO name with a space", "{host: h, from: s@example.com, helo: mail example}", "spec.page.smtp.helo"},
		{"an EHLO name with a bad label", "{host: h, from: s@example.com, helo: -mail.example.com}", "spec.page.smtp.helo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, "    components:\n", "    smtp: "+tt.smtp+"\n    components:\n", 1)})
			_, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			list := inputErrors(t, err)
			if len(list) != 1 || list[0].Field != tt.want || list[0].Line != 7 {
				t.Errorf("got %v, want one error at line 7, %s", err, tt.want)
			}
		})
	}
	// The mails' links need the page's address.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, "    url: https://bitbucket.status.example.com\n", "    smtp: {host: h, from: s@example.com}\n", 1)})
	if _, err := Load(filepath.Join(dir, "headroom.yaml")); err == nil || !strings.Contains(err.Error(), "spec.page.url") {
		t.Errorf("smtp without spec.page.url: %v, want an error asking for it", err)
	}
}
