package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/statuspage/webhook"
)

// headers is what a receiver gets with a delivery: its id and signature.
func headers(id, signature string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(webhook.DeliveryHeader, id)
	}
	if signature != "" {
		h.Set(webhook.SignatureHeader, signature)
	}
	return h
}

// Regression test for issue 11 item 6: the signature covered the body
// only, so a delivery captured once could be replayed at any time, and
// under another delivery id (past a receiver dropping duplicates). It
// covers the time it was sent and the delivery id; Verify refuses one sent
// outside the tolerance.
func TestVerify(t *testing.T) {
	body := []byte(`{"page":{"id":"p"},"incident":{"name":"Elevated errors"}}`)
	sent := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	good := webhook.Sign("secret", "42", sent, body)
	v1 := good[strings.Index(good, "v1=")+3:]
	ts := fmt.Sprint(sent.Unix())
	tests := []struct {
		name      string
		secret    string
		id        string
		body      []byte
		signature string
		now       time.Time
		want      error
	}{
		{"signed with the secret", "secret", "42", body, good, sent, nil},
		{"received a little later", "secret", "42", body, good, sent.Add(webhook.DefaultTolerance), nil},
		{"the sender's clock a little ahead", "secret", "42", body, good, sent.Add(-webhook.DefaultTolerance), nil},
		{"upper-case hex", "secret", "42", body, "t=" + ts + ",v1=" + strings.ToUpper(v1), sent, nil},
		{"another scheme beside", "secret", "42", body, "t=" + ts + ",v0=abc,v1=" + v1, sent, nil},
		{"a rotated secret's signature beside", "secret", "42", body, "t=" + ts + ",v1=" + strings.Repeat("0", 64) + ",v1=" + v1, sent, nil},
		{"replayed an hour later", "secret", "42", body, good, sent.Add(time.Hour), webhook.ErrStale},
		{"another timestamp", "secret", "42", body, "t=" + fmt.Sprint(sent.Unix()+60) + ",v1=" + v1, sent, webhook.ErrSignature},
		{"another delivery id", "secret", "43", body, good, sent, webhook.ErrSignature},
		{"no delivery id", "secret", "", body, good, sent, webhook.ErrSignature},
		{"another secret", "other", "42", body, good, sent, webhook.ErrSignature},
		{"body changed", "secret", "42", append([]byte(" "), body...), good, sent, webhook.ErrSignature},
		{"no header", "secret", "42", body, "", sent, webhook.ErrSignature},
		{"the old body-only form", "secret", "42", body, "sha256=" + v1, sent, webhook.ErrSignature},
		{"no timestamp", "secret", "42", body, "v1=" + v1, sent, webhook.ErrSignature},
		{"signed timestamp", "secret", "42", body, "t=+" + ts + ",v1=" + v1, sent, webhook.ErrSignature},
		{"two timestamps", "secret", "42", body, "t=" + ts + ",t=1,v1=" + v1, sent, webhook.ErrSignature},
		{"not hex", "secret", "42", body, "t=" + ts + ",v1=zz", sent, webhook.ErrSignature},
		{"truncated", "secret", "42", body, good[:len(good)-2], sent, webhook.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := webhook.Verifier{Secret: tt.secret, Now: func() time.Time { return tt.now }}
			err := v.Verify(headers(tt.id, tt.signature), tt.body)
			if tt.want == nil && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignKnownValue(t *testing.T) {
	// HMAC-SHA256("whsec-test", `1625072400.42.{"a":1}`), by another
	// implementation (Python's hmac).
	got := webhook.Sign("whsec-test", "42", time.Unix(1625072400, 0), []byte(`{"a":1}`))
	want := "t=1625072400,v1=1f9e54d1889f3f4b087c409f72bfdf15762a4ca1b79d115e9c772fa371706df4"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("secret", "42", []byte(`{"a":1}`), "t=1625072400,v1=00")
	f.Add("", "", []byte{}, "")
	f.Add("k", "1", []byte("body"), webhook.Sign("k", "1", time.Unix(1625072400, 0), []byte("body")))
	now := time.Unix(1625072400, 0)
	f.Fuzz(func(t *testing.T, secret, id string, body []byte, signature string) {
		v := webhook.Verifier{Secret: secret, Now: func() time.Time { return now }}
		own := webhook.Sign(secret, id, now, body)
		if err := v.Verify(headers(id, signature), body); err == nil && !strings.Contains(strings.ToLower(signature), own[strings.Index(own, "v1="):]) {
			t.Errorf("Verify accepted %q for id %q whose signature is %q", signature, id, own)
		}
		if id == "" || strings.ContainsAny(id, "\r\n") || strings.TrimSpace(id) != id {
			return // not a header value a delivery has
		}
		if err := v.Verify(headers(id, own), body); err != nil {
			t.Errorf("Verify refused Sign's own signature %q: %v", own, err)
		}
	})
}
