package admin

import (
	"context"
	"crypto/subtle"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/store/memory"
)

func TestNewToken(t *testing.T) {
	now := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	secret, tok, err := NewToken("  ci-deploy ", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 {
		t.Errorf("secret %q: want hr_ and 43 base64url characters", secret)
	}
	if tok.Name != "ci-deploy" || tok.ID == "" || !tok.CreatedAt.Equal(now) || !tok.RevokedAt.IsZero() {
		t.Errorf("token %+v", tok)
	}
	if !reflect.DeepEqual(tok.Hash, HashToken(secret)) || len(tok.Hash) != 32 {
		t.Errorf("hash %x, want the secret's SHA-256", tok.Hash)
	}
	if strings.Contains(string(tok.Hash), secret) {
		t.Error("the stored record holds the secret")
	}
	other, _, _ := NewToken("ci-deploy", now)
	if other == secret {
		t.Error("two tokens are the same")
	}
	for _, name := range []string{"", "   ", strings.Repeat("x", 101)} {
		if _, _, err := NewToken(name, now); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

// The presented token's hash is compared with every active token's hash
// by subtle.ConstantTimeCompare, all of them whichever matches, so that
// neither the comparison nor the loop tells how close a guess came.
func TestTokensCompareInConstantTime(t *testing.T) {
	if got, want := reflect.ValueOf(newTokens(nil, time.Now).compare).Pointer(), reflect.ValueOf(subtle.ConstantTimeCompare).Pointer(); got != want {
		t.Fatal("tokens do not compare with subtle.ConstantTimeCompare")
	}
	ctx := context.Background()
	st := &memory.Incidents{}
	now := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	var secrets []string
	for _, name := range []string{"a", "b", "c", "d"} {
		secret, tok, err := NewToken(name, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	c := newTokens(st, func() time.Time { return now })
	calls := 0
	c.compare = func(a, b []byte) int {
		calls++
		if len(a) != 32 || len(b) != 32 {
			t.Errorf("compared %d and %d bytes, want two SHA-256 sums", len(a), len(b))
		}
		return subtle.ConstantTimeCompare(a, b)
	}
	for i, secret := range append(secrets, "hr_wrong") {
		calls = 0
		tok, ok, err := c.check(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if i < len(secrets) && (!ok || tok.Name != string(rune('a'+i))) {
			t.Errorf("token %d: got %v %q", i, ok, tok.Name)
		}
		if i == len(secrets) && ok {
			t.Error("a wrong token matched")
		}
		if calls != len(secrets) {
			t.Errorf("token %d: %d comparisons, want one per active token (%d), whichever matches", i, calls, len(secrets))
		}
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer hr_abc", "hr_abc", true},
		{"bearer hr_abc", "hr_abc", true},
		{"Bearer  hr_abc ", "hr_abc", true},
		{"Bearer ", "", false},
		{"Bearer", "", false},
		{"Basic hr_abc", "", false},
		{"hr_abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		token, ok := bearer(tt.header)
		if token != tt.token && ok || ok != tt.ok {
			t.Errorf("bearer(%q): got %q %v, want %q %v", tt.header, token, ok, tt.token, tt.ok)
		}
	}
}

func TestRemoteIP(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"127.0.0.1:5555", "127.0.0.1"},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := RemoteIP(r); got != tt.want {
			t.Errorf("RemoteIP(%q): got %q, want %q", tt.remote, got, tt.want)
		}
	}
}

func TestBadTokensForgetsRecoveredClients(t *testing.T) {
	b := newBadTokens(time.Second, 2)
	now := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for i := range 100 {
		b.fail(strings.Repeat("x", i+1), now)
	}
	b.fail("late", now.Add(2*sweepEvery))
	if len(b.clients) != 1 {
		t.Errorf("%d clients remembered, want only the one that failed recently", len(b.clients))
	}
}
