package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A SHA-256 in hex, and the same with a wrong length.
const (
	tokenSum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	shortSum = "9f86d081884c7d659a2feaa0c55ad015"
)

// privatePage is pageOnly with the Git group private, viewer tokens and a
// trusted proxy.
var privatePage = strings.Replace(pageOnly, `    components:
    - name: Website and API
    - name: Git
      description: Pushes and pulls
      components:
`, `    access:
      tokens:
      - {name: support, sha256: `+tokenSum+`}
      proxy:
        header: x-auth-request-user
        trusted: [10.0.0.0/8, 192.0.2.7, "fd00::/8"]
    components:
    - name: Website and API
      private: false
    - name: Git
      description: Pushes and pulls
      private: true
      components:
`, 1)

// A private group makes its components private; the access is read with
// the header canonical, single addresses as /32 and the tokens' sums.
func TestLoadPrivatePage(t *testing.T) {
	if privatePage == pageOnly {
		t.Fatal("the test's page is pageOnly")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"headroom.yaml": privatePage})
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var private []string
	for _, c := range cfg.Page.Components {
		if c.Private {
			private = append(private, c.ID)
		}
	}
	if want := []string{"git-via-ssh", "git-https"}; !reflect.DeepEqual(private, want) {
		t.Errorf("private components %v, want %v", private, want)
	}
	a := cfg.Page.Access
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}
	if a.Private || a.ProxyHeader != "X-Auth-Request-User" || !reflect.DeepEqual(a.TrustedProxies, want) ||
		len(a.TokenHashes) != 1 || len(a.TokenHashes[0]) != 32 || !bytes.HasPrefix(a.TokenHashes[0], []byte{0x9f, 0x86}) {
		t.Errorf("access %+v", a)
	}
}

func TestPageAccessErrors(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		want           at
	}{
		{"unknown visibility", "    url:", "    visibility: internal\n    url:", at{"headroom.yaml", 6, "spec.page.visibility"}},
		{"private page, no way in", "    url:", "    visibility: private\n    url:", at{"headroom.yaml", 6, "spec.page.visibility"}},
		{"private component, no way in", "      - name: Git via SSH\n", "      - name: Git via SSH\n        private: true\n", at{"headroom.yaml", 13, "spec.page.components[1].components[0].private"}},
		{"a token itself, not its sum", "    url:", "    visibility: private\n    access:\n      tokens: [{name: a, sha256: hrv_secret}]\n    url:", at{"headroom.yaml", 8, "spec.page.access.tokens[0].sha256"}},
		{"a short sum", "    url:", "    visibility: private\n    access:\n      tokens: [{name: a, sha256: " + shortSum + "}]\n    url:", at{"headroom.yaml", 8, "spec.page.access.tokens[0].sha256"}},
		{"a token without a name", "    url:", "    visibility: private\n    access:\n      tokens: [{sha256: " + tokenSum + "}]\n    url:", at{"headroom.yaml", 8, "spec.page.access.tokens[0].name"}},
		{"a proxy trusted from nowhere", "    url:", "    visibility: private\n    access:\n      proxy: {header: X-User}\n    url:", at{"headroom.yaml", 8, "spec.page.access.proxy.trusted"}},
		{"a bad address", "    url:", "    visibility: private\n    access:\n      proxy: {trusted: [10.0.0.0/33]}\n    url:", at{"headroom.yaml", 8, "spec.page.access.proxy.trusted[0]"}},
		{"email sign-up on a private page", "    url:", "    visibility: private\n    smtp: {host: smtp.example.com, from: status@example.com}\n    access: {tokens: [{name: a, sha256: " + tokenSum + "}]}\n    url:", at{"headroom.yaml", 7, "spec.page.smtp"}},
		{"a trusted proxy by name", "    url:", "    trustedProxies: [10.0.0.0/8, proxy.internal]\n    url:", at{"headroom.yaml", 6, "spec.page.trustedProxies[1]"}},
		{"the proxy header is a credential's", "    url:", "    visibility: private\n    access:\n      proxy: {header: Cookie, trusted: [10.0.0.1]}\n    url:", at{"headroom.yaml", 8, "spec.page.access.proxy.header"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(pageOnly, tt.old) {
				t.Fatalf("no %q", tt.old)
			}
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, tt.old, tt.new, 1)})
			_, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			list := inputErrors(t, err)
			if got := (at{filepath.Base(list[0].File), list[0].Line, list[0].Field}); len(list) != 1 || got != tt.want {
				t.Errorf("got %v, want one error at %v", err, tt.want)
			}
		})
	}
}

// spec.page.trustedProxies: addresses and ranges, an address its own /32.
func TestLoadTrustedProxies(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, "    url:", "    trustedProxies: [10.0.0.0/8, 192.0.2.7, \"2001:db8::/32\"]\n    url:", 1)})
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(cfg.Page.TrustedProxies)
	if want := "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]"; got != want {
		t.Errorf("trustedProxies: got %s, want %s", got, want)
	}
}
